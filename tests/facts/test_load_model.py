"""The replica under load (facts/performance/load.py) against queueing results worked by hand."""

from __future__ import annotations

import itertools
import math

import pytest

from graviton_llm.facts.performance.load import Engine, closed_loop, open_loop


def constant_service(slots: int, seconds: float, cohort: float = 0.0) -> Engine:
    """A replica whose every request takes ``seconds`` whatever the load (no prefill, no
    serving time): each slot is an exponential-free server of rate 1 / seconds."""
    return Engine(slots, 0.0, 0.0, seconds, 2, cohort)


def test_open_loop_is_erlang_c_when_slots_serve_independently():
    # c = 3 slots, mu = 2/s each, lambda = 4/s: A = 2 Erlangs. By hand: Erlang B(3, 2) =
    # (8/6) / (1 + 2 + 2 + 8/6) = 0.210526; C = 3 B / (3 - 2 (1 - B)) = 4/9.
    result = open_loop(constant_service(3, 0.5), 4.0)
    p_wait = 4 / 9
    # Mean wait C / (c mu - lambda) = (4/9) / 2; p99: ln((4/9) / 0.01) / 2; p50: P(wait) < 1/2.
    assert result.slot_wait_mean_s == pytest.approx(p_wait / 2)
    assert result.ttft_p99_s == pytest.approx(math.log(p_wait / 0.01) / 2)
    assert result.ttft_p50_s == 0.0
    assert result.queued == pytest.approx(p_wait * (4 / 6) / (1 - 4 / 6))  # Lq = C rho / (1-rho)


def test_open_loop_at_or_past_capacity_is_unstable():
    result = open_loop(constant_service(2, 1.0), 2.0)  # capacity exactly 2/s
    assert not result.stable and math.isinf(result.ttft_p99_s)


def test_closed_loop_is_the_machine_repairman_by_hand():
    # One slot serving 1 request/s, 2 users thinking 1 s. Birth-death by hand: pi = (1, 2, 2)/5,
    # X = mu (1 - pi_0) = 0.8/s, R = N / X - Z = 1.5 s. An arrival finds (arrival theorem,
    # one other user) the replica busy half the time and then waits 1 s.
    result = closed_loop(constant_service(1, 1.0), users=2, think_s=1.0)
    assert result.throughput_rps == pytest.approx(0.8)
    assert result.e2e_s == pytest.approx(1.5)
    assert result.slot_wait_mean_s == pytest.approx(0.5)
    assert (result.ttft_p50_s, result.ttft_p99_s) == (0.0, pytest.approx(1.0))


def test_closed_loop_without_think_time_saturates_at_the_slots():
    # 10 users back to back on 4 slots of 2 s each: X = 4 / 2 = 2/s, R = 10 / 2 = 5 s, and
    # every arrival finds 9 others: 6 beyond the 4 running, so it waits (9 - 4 + 1) / 2 = 3 s.
    result = closed_loop(constant_service(4, 2.0), users=10)
    assert result.throughput_rps == pytest.approx(2.0)
    assert result.e2e_s == pytest.approx(5.0)
    assert result.ttft_mean_s == pytest.approx(3.0)
    assert result.running == pytest.approx(4.0) and result.queued == pytest.approx(6.0)


def test_running_requests_wait_for_the_prefills_ahead_of_them():
    # 5 users on 8 slots, no queue: an arrival finds the 4 others running and waits for a
    # cohort fraction of their prefills: serving + prefill (1 + 0.5 x 4).
    engine = Engine(8, serving_s=0.05, prefill_s=0.2, step_s=0.02, output_len=100, cohort=0.5)
    result = closed_loop(engine, users=5)
    assert result.ttft_mean_s == pytest.approx(0.05 + 0.2 * 3)
    assert result.slot_wait_mean_s == pytest.approx(0.0)
    # Its place in the cohort is uniform: 0 to 2 x 0.5 x 4 prefills (0.8 s) of waiting.
    assert result.ttft_p50_s == pytest.approx(0.05 + 0.2 + 0.4, rel=0.01)
    assert result.ttft_p99_s == pytest.approx(0.05 + 0.2 + 0.99 * 0.8, rel=0.01)
    # Throughput: 5 running, each cycle s + 5 prefills + 99 steps.
    assert result.throughput_rps == pytest.approx(5 / (0.05 + 5 * 0.2 + 99 * 0.02))


def test_ttft_grows_with_users_and_arrivals():
    engine = Engine(8, serving_s=0.05, prefill_s=0.2, step_s=0.02, output_len=100, cohort=0.5)
    closed = [closed_loop(engine, users=n) for n in (1, 4, 8, 16, 64)]
    for a, b in itertools.pairwise(closed):
        assert b.ttft_p50_s >= a.ttft_p50_s and b.ttft_p99_s >= a.ttft_p99_s
        assert b.throughput_rps >= a.throughput_rps - 1e-12
    opened = [open_loop(engine, rate) for rate in (0.5, 1.0, 2.0, 2.4)]
    for a, b in itertools.pairwise(opened):
        assert b.ttft_p50_s >= a.ttft_p50_s and b.ttft_p99_s >= a.ttft_p99_s


def test_bad_load_inputs_are_refused():
    engine = constant_service(2, 1.0)
    with pytest.raises(ValueError, match="users"):
        closed_loop(engine, users=0)
    with pytest.raises(ValueError, match="arrivals_per_s"):
        open_loop(engine, 0.0)


def test_replicas_behind_a_blind_balancer_queue_while_another_is_free():
    # 2 replicas of one slot (1 request/s each), 2 users back to back, routed at random. The
    # product form by hand: (2,0), (1,1), (0,2) equally likely, so a replica is busy 2/3 of the
    # time, X = 2 x 2/3 = 4/3 per second and R = 2 / X = 1.5 s: half a second of slot wait
    # that a queue-aware balancer would not have.
    result = closed_loop(constant_service(1, 1.0), users=2, replicas=2)
    assert result.throughput_rps == pytest.approx(4 / 3)
    assert result.e2e_s == pytest.approx(1.5)
    assert result.slot_wait_mean_s == pytest.approx(0.5)


def _erlang_c(servers: int, offered: float) -> float:
    """Erlang's C from the textbook sum (small c only): the reference the chain must match."""
    top = offered**servers / math.factorial(servers) * servers / (servers - offered)
    below = sum(offered**k / math.factorial(k) for k in range(servers))
    return top / (below + top)


@pytest.mark.parametrize(("servers", "offered"), [(1, 0.5), (2, 1.0), (4, 3.2), (8, 7.5)])
def test_open_loop_probability_of_waiting_is_erlang_c(servers, offered):
    # mu = 1/s per slot (1 s a request), lambda = offered Erlangs.
    result = open_loop(constant_service(servers, 1.0), offered)
    p_wait = _erlang_c(servers, offered)
    assert result.slot_wait_mean_s == pytest.approx(p_wait / (servers - offered))
