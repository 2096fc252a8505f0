"""Queue waits before a prefill: Erlang C and the exponential-tail quantiles, by hand."""

from __future__ import annotations

import itertools
import math

import pytest

from graviton_llm.sizing.queueing import erlang_c, exponential_tail_quantile, waits


def test_erlang_c_matches_hand_computed_cases():
    # M/M/1: P(wait) = rho.
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    # c = 2, A = 1: B(2) = (1/2) / (2 + 1/2) = 0.2; C = 2 x 0.2 / (2 - 1 x 0.8) = 1/3.
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # c = 3, A = 2: B(3) = 4/19; C = 3 (4/19) / (3 - 2 (15/19)) = (12/19) / (27/19) = 4/9.
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)


def test_erlang_c_edges_and_monotonic_in_servers():
    assert erlang_c(4, 0.0) == 0.0
    assert erlang_c(4, 4.0) == 1.0  # saturated: every arrival waits
    values = [erlang_c(c, 10.0) for c in range(11, 30)]
    assert all(a > b for a, b in itertools.pairwise(values))


def test_quantile_of_an_exponential_tail():
    # P(W > t) = 0.5 e^(-2t): p99 at ln(0.5 / 0.01) / 2.
    assert exponential_tail_quantile(0.99, 0.5, 2.0) == pytest.approx(math.log(50) / 2)
    # Fewer than half wait: the median wait is 0.
    assert exponential_tail_quantile(0.5, 0.4, 2.0) == 0.0
    assert exponential_tail_quantile(0.99, 0.5, 0.0) == math.inf


def test_prefill_wait_is_the_mdl_approximation_by_hand():
    # 4 req/s on 2 nodes, prefill 0.1 s: rho = 0.2, decay = 2 x 0.8 / 0.1 = 16 /s.
    w = waits(
        arrivals_per_s=4, nodes=2, slots_per_node=8, e2e_s=2.0, prefill_s=0.1, closed_loop=True
    )
    assert w.slot_p99_ms == 0.0  # closed loop: users never exceed the slots
    assert w.prefill_p50_ms == 0.0  # 20 % wait at all
    assert w.prefill_p99_ms == pytest.approx(math.log(0.2 / 0.01) / 16 * 1e3)
    assert w.p99_ms == w.prefill_p99_ms


def test_slot_wait_by_hand_and_saturation():
    # 2 req/s x 1 s E2E = 2 Erlangs on 1 node x 3 slots: C = 4/9, decay (3 - 2) / 1 s.
    w = waits(
        arrivals_per_s=2, nodes=1, slots_per_node=3, e2e_s=1.0, prefill_s=0.0, closed_loop=False
    )
    assert w.slot_p99_ms == pytest.approx(math.log((4 / 9) / 0.01) * 1e3)
    assert w.slot_p50_ms == 0.0
    saturated = waits(
        arrivals_per_s=20, nodes=1, slots_per_node=8, e2e_s=1.0, prefill_s=0.06, closed_loop=False
    )
    assert saturated.prefill_p99_ms == math.inf  # rho = 1.2: the prefill engine cannot keep up
