"""How long a request waits before its prefill starts, from textbook queueing approximations.

The performance model's TTFT has no queue (one request's own serving time and prefill). Under
traffic a request can wait twice:

1. **For a slot** (open loop only): a node runs at most ``max_num_seqs`` requests; the fleet is
   ``c = nodes x max_num_seqs`` servers, each busy for one request's E2E. Modelled as M/M/c:
   P(wait) is Erlang's C formula and P(W > t) = C x exp(-(c - A) t / E2E), with A = lambda x E2E
   the offered load (Little's law). Service times are closer to constant than exponential, so
   this overstates the tail: an assumption on the safe side.
2. **For the prefill engine** of its node: prompts are prefilled one at a time between decode
   steps (docs/performance-model.md), a single server with a near-constant service time D.
   Modelled as M/D/1 with rho = lambda_node x D and the usual exponential approximation of
   its tail, P(W > t) = rho x exp(-t rho / E[W]), E[W] = rho D / (2 (1 - rho)) (Pollaczek-
   Khinchine): exact for M/M/1, and for M/D/1 it decays slower than the true tail (safe side).

A quantile of each wait follows from P(W > t) = p x exp(-k t): t_q = ln(p / (1 - q)) / k, and 0
when p <= 1 - q. The quantiles of the two waits are added: exact when the waits move together
(both grow with load), an approximation otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def erlang_c(servers: int, offered: float) -> float:
    """P(an arrival waits) in M/M/c with ``servers`` and ``offered`` Erlangs: from Erlang's B,
    B = P(X = c) / P(X <= c) for X ~ Poisson(A), summed in log space (a fleet can have tens of
    thousands of slots), then C = c B / (c - A (1 - B))."""
    if offered <= 0:
        return 0.0
    if offered >= servers:
        return 1.0
    k = np.arange(servers + 1)
    log_factorial = np.concatenate(([0.0], np.cumsum(np.log(k[1:]))))
    log_terms = k * math.log(offered) - log_factorial
    top = log_terms.max()
    blocking = float(np.exp(log_terms[-1] - top) / np.exp(log_terms - top).sum())
    return servers * blocking / (servers - offered * (1 - blocking))


def exponential_tail_quantile(q: float, p_wait: float, decay_per_s: float) -> float:
    """Seconds t with P(W > t) = 1 - q when P(W > t) = p_wait x exp(-decay t)."""
    if p_wait <= 1 - q:
        return 0.0
    if decay_per_s <= 0:
        return math.inf
    return math.log(p_wait / (1 - q)) / decay_per_s


@dataclass(frozen=True)
class Waits:
    """Queue waits before a prefill starts, in ms, at the median and the 99th percentile."""

    slot_p50_ms: float
    slot_p99_ms: float
    prefill_p50_ms: float
    prefill_p99_ms: float

    @property
    def p50_ms(self) -> float:
        return self.slot_p50_ms + self.prefill_p50_ms

    @property
    def p99_ms(self) -> float:
        return self.slot_p99_ms + self.prefill_p99_ms


def waits(
    *,
    arrivals_per_s: float,
    nodes: int,
    slots_per_node: int,
    e2e_s: float,
    prefill_s: float,
    closed_loop: bool,
) -> Waits:
    """Waits for ``arrivals_per_s`` spread evenly over ``nodes`` (closed loop: users are never
    more than the slots, so no slot wait)."""
    slot50 = slot99 = 0.0
    if not closed_loop:
        servers = nodes * slots_per_node
        offered = arrivals_per_s * e2e_s
        p_slot = erlang_c(servers, offered)
        decay = (servers - offered) / e2e_s
        slot50 = exponential_tail_quantile(0.5, p_slot, decay)
        slot99 = exponential_tail_quantile(0.99, p_slot, decay)
    rho = arrivals_per_s / nodes * prefill_s
    if rho >= 1:
        pre50 = pre99 = math.inf
    else:
        decay = 2 * (1 - rho) / prefill_s if prefill_s > 0 else math.inf
        pre50 = exponential_tail_quantile(0.5, rho, decay)
        pre99 = exponential_tail_quantile(0.99, rho, decay)
    return Waits(slot50 * 1e3, slot99 * 1e3, pre50 * 1e3, pre99 * 1e3)
