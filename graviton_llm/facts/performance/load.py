"""A vLLM replica under load: requests beyond its ``max_num_seqs`` slots wait, and the running
ones share one engine between prefills and decode steps (docs/performance-model.md, "Load").

The replica is a load-dependent server: with n requests running (n <= B slots), each request's
life takes ``cycle(n) = s + n x prefill + (O - 1) x step`` (roofline.continuous_batching), so
requests complete at ``rate(n) = n / cycle(n)``; past B the extra requests queue for a slot and
the completion rate stays ``rate(B)``.

* Closed loop (N users, think time Z): exact mean-value analysis for a load-dependent station
  and a delay station (Reiser and Lavenberg 1980), which also gives, by the arrival theorem, the
  distribution of what an arriving request finds. It waits for a slot behind the requests
  beyond the B running, served at rate(B).
* Open loop (Poisson arrivals at lambda): the birth-death chain of the same station. Past B
  its states are geometric, so P(wait) = pi_B / (1 - rho) with rho = lambda / rate(B), and the
  wait's tail is P(W > t) = P(wait) exp(-(rate(B) - lambda) t): Erlang C when rate(n) = n mu.

Inside the replica a new request also waits for the prefills ahead of it. Under a closed loop
the running requests finish, and so return, in cohorts (they decode in lockstep and were
admitted together), so an arrival waits on average for ``cohort x (n - 1)`` of the other running
requests' prefills, and sees the rest, ``(1 - cohort) x (n - 1)``, between its own tokens: the
prefills land in TTFT or in the inter-token latency, the cycle is the same. ``cohort`` is fitted
on published loaded runs (0: prefills spread evenly, as the closed-loop equations assume; 1: a
request waits for every other one's prefill). Under Poisson arrivals the prefill engine is an
M/D/1 queue (Pollaczek-Khinchine's mean wait), and decode runs in the time it leaves free: the
inter-token latency is step / (1 - lambda x prefill).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Engine:
    """One replica's timings, in seconds: ``slots`` = max_num_seqs."""

    slots: int
    serving_s: float
    prefill_s: float
    step_s: float
    output_len: int
    cohort: float  # fraction of the other running requests' prefills an arrival waits for

    def cycle(self, running: int) -> float:
        n = min(max(running, 1), self.slots)
        return self.serving_s + n * self.prefill_s + (self.output_len - 1) * self.step_s

    def rate(self, running: int) -> float:
        """Requests completed per second with ``running`` requests in the replica."""
        n = min(running, self.slots)
        return n / self.cycle(n) if n > 0 else 0.0

    def inter_token_s(self, running: float) -> float:
        """Inter-token latency with ``running`` requests: a step plus the share of the others'
        prefills a request sees while it decodes, spread over its O - 1 steps. The cohort's
        share fell before its first token (in its TTFT), so the cycle is the same either way."""
        others = max(min(running, self.slots) - 1, 0)
        during_decode = (1 - self.cohort) * others * self.prefill_s
        return self.step_s + during_decode / max(self.output_len - 1, 1)


@dataclass(frozen=True)
class LoadResult:
    """A replica's steady state under a traffic; times in seconds."""

    throughput_rps: float  # requests completed per second
    running: float  # mean requests holding a slot
    queued: float  # mean requests waiting for a slot
    ttft_mean_s: float
    ttft_p50_s: float
    ttft_p99_s: float
    slot_wait_mean_s: float
    inter_token_s: float
    e2e_s: float  # arrival to last token, queue included
    stable: bool = True

    @property
    def output_tokens_per_s(self) -> float:
        return self.throughput_rps * self.e2e_tokens

    e2e_tokens: float = 0.0


_PLACES = 200  # points of an arrival's uniform place in its cohort, for the quantiles


def _discrete_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    index = int(np.searchsorted(cumulative, q * cumulative[-1] - 1e-12))
    return float(values[order][min(index, len(values) - 1)])


def closed_loop(engine: Engine, users: int, think_s: float = 0.0, replicas: int = 1) -> LoadResult:
    """``users`` users, each sending its next request ``think_s`` after the last one ended, to
    one of ``replicas`` identical replicas at random (a load balancer that does not look at
    queues): a replica can hold more than its share, so requests can wait for a slot while
    another replica has one free. ``throughput_rps`` is the whole deployment's."""
    if users < 1:
        raise ValueError(f"users must be >= 1, got {users}")
    if think_s < 0:
        raise ValueError(f"think_s must be >= 0, got {think_s}")
    if replicas < 1:
        raise ValueError(f"replicas must be >= 1, got {replicas}")
    rates = np.array([engine.rate(j) for j in range(1, users + 1)])
    found = np.array([1.0])  # P(j requests in a replica) with n - 1 users: the arrival's view
    throughput = response = 0.0
    for n in range(1, users + 1):
        j = np.arange(1, n + 1)
        view = found
        # Each replica is visited 1/replicas of the time: the response time is one replica's,
        # and each replica completes throughput / replicas.
        response = float(np.sum(j / rates[:n] * view))
        throughput = n / (think_s + response)
        tail = throughput / replicas / rates[:n] * view
        found = np.concatenate(([max(0.0, 1.0 - tail.sum())], tail))
    ahead = np.arange(len(view))  # requests an arrival finds, weighted by ``view`` (N - 1 users)
    slots, full_rate = engine.slots, engine.rate(engine.slots)
    slot_wait = np.maximum(ahead - slots + 1, 0) / full_rate
    running_found = np.minimum(ahead, slots - 1)
    # Within its cohort an arrival's place is uniform: it waits for 0 to 2 x cohort x (n - 1)
    # prefills, cohort x (n - 1) on average.
    base = engine.serving_s + engine.prefill_s + slot_wait
    spread = 2 * engine.cohort * running_found * engine.prefill_s
    place = (np.arange(_PLACES) + 0.5) / _PLACES
    values = (base[:, None] + spread[:, None] * place[None, :]).ravel()
    weights = np.repeat(view / _PLACES, _PLACES)
    in_replica = np.arange(len(found))
    running = float(np.sum(np.minimum(in_replica, slots) * found))
    queued = float(np.sum(np.maximum(in_replica - slots, 0) * found))
    return LoadResult(
        throughput_rps=throughput,
        running=running,
        queued=queued,
        ttft_mean_s=float(np.sum((base + spread / 2) * view)),
        ttft_p50_s=_discrete_quantile(values, weights, 0.5),
        ttft_p99_s=_discrete_quantile(values, weights, 0.99),
        slot_wait_mean_s=float(np.sum(slot_wait * view)),
        inter_token_s=engine.inter_token_s(running),
        e2e_s=response,
        e2e_tokens=engine.output_len,
    )


def tail_quantile(q: float, p_wait: float, decay_per_s: float) -> float:
    """t with P(W > t) = 1 - q when P(W > t) = p_wait exp(-decay t) (0 if p_wait <= 1 - q)."""
    if p_wait <= 1 - q:
        return 0.0
    if decay_per_s <= 0:
        return math.inf
    return math.log(p_wait / (1 - q)) / decay_per_s


def open_loop(engine: Engine, arrivals_per_s: float) -> LoadResult:
    """Poisson arrivals at ``arrivals_per_s``; unstable (infinite waits) at or past rate(B)."""
    if not arrivals_per_s > 0:
        raise ValueError(f"arrivals_per_s must be > 0, got {arrivals_per_s}")
    slots = engine.slots
    full_rate = engine.rate(slots)
    rho = arrivals_per_s / full_rate
    prefill_load = arrivals_per_s * engine.prefill_s
    if rho >= 1 or prefill_load >= 1:
        inf = math.inf
        return LoadResult(full_rate, slots, inf, inf, inf, inf, inf, inf, inf, False, 0.0)
    # Unnormalized pi_n for n = 0..B, then a geometric tail pi_B rho^k past B.
    weights = [1.0]
    for n in range(1, slots + 1):
        weights.append(weights[-1] * arrivals_per_s / engine.rate(n))
    pi = np.array(weights)
    total = pi[:-1].sum() + pi[-1] / (1 - rho)
    pi /= total
    p_wait = float(pi[-1] / (1 - rho))
    decay = full_rate - arrivals_per_s
    running = float(np.sum(np.arange(slots + 1) * pi)) + slots * p_wait - slots * pi[-1]
    queued = p_wait * rho / (1 - rho)
    slot_mean = p_wait / decay
    # The prefill engine as M/D/1: mean wait rho D / (2 (1 - rho)); its tail approximated by
    # an exponential with that mean and P(wait) = rho (exact for M/M/1, safe for M/D/1).
    d = engine.prefill_s
    prefill_mean = prefill_load * d / (2 * (1 - prefill_load))
    prefill_decay = prefill_load / prefill_mean if prefill_mean > 0 else math.inf
    base = engine.serving_s + d
    p50, p99 = (
        base + tail_quantile(q, p_wait, decay) + tail_quantile(q, prefill_load, prefill_decay)
        for q in (0.5, 0.99)
    )
    ttft_mean = base + slot_mean + prefill_mean
    # Poisson arrivals do not come in cohorts: the engine prefills a fraction lambda x prefill
    # of the time, and decode steps run in the rest.
    inter_token = engine.step_s / (1 - prefill_load)
    return LoadResult(
        throughput_rps=arrivals_per_s,
        running=running,
        queued=queued,
        ttft_mean_s=ttft_mean,
        ttft_p50_s=p50,
        ttft_p99_s=p99,
        slot_wait_mean_s=slot_mean,
        inter_token_s=inter_token,
        e2e_s=ttft_mean + (engine.output_len - 1) * inter_token,
        e2e_tokens=engine.output_len,
    )
