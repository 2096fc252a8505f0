"""One configuration of `size` under the traffic: the fewest nodes that serve it within the
targets, by the load model (facts/performance/load.py), or every reason it cannot.

    replicas     = nodes x replicas_per_node, each with max_num_seqs B slots
    nodes needed = closed loop: ceil(users / (B r)) (a slot for every user);
                   open loop: the fewest with lambda / replicas < rate(B) (a stable queue)
                   at least --min-nodes, then raised until TTFT p50/p99 and TPOT hold
    TTFT p50/p99 = the load model's, at the p50 / p99 prompt (slot wait, the prefills ahead,
                   serving and one prefill)
    TPOT         = inter-token latency under load: a step plus the others' prefills a request
                   sees while it decodes
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

from ..facts import performance as perf
from ..facts.performance.parameters import generation_params
from ..pricing import cost
from .calibration_store import scales_for
from .coverage import coverage
from .deployment import WEIGHT_DTYPE
from .search import DTYPE, EXTRA_NODES_FACTOR, MARGIN, Option, Reason, SizingRequest
from .workload import Traffic


@cache
def _load(engine: perf.Engine, traffic: Traffic, replicas: int) -> perf.LoadResult:
    """One replica's steady state when ``replicas`` share the traffic (cached: a search asks
    for the same point many times)."""
    if traffic.concurrent_users is not None:
        return perf.closed_loop(engine, traffic.concurrent_users, traffic.think_time_s, replicas)
    assert traffic.requests_per_s is not None
    return perf.open_loop(engine, traffic.requests_per_s / replicas)


def nodes_for_traffic(traffic: Traffic, engine: perf.Engine, replicas_per_node: int) -> int:
    """The fewest nodes whose slots hold every user (closed loop) or whose replicas complete
    requests faster than they arrive (open loop)."""
    slots = engine.slots * replicas_per_node
    if traffic.concurrent_users is not None:
        return math.ceil(traffic.concurrent_users / slots)
    assert traffic.requests_per_s is not None
    capacity = engine.rate(engine.slots) * replicas_per_node
    return math.floor(traffic.requests_per_s / capacity) + 1


def fewest_nodes(meets: Callable[[int], bool], low: int, high: int) -> int:
    """The fewest nodes in [low, high] that ``meets`` the targets (high when none does). Waits
    only shrink as nodes are added, so a bisection finds it."""
    if meets(low) or not meets(high):
        return low if meets(low) else high
    while high - low > 1:  # meets(high) and not meets(low)
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high


def evaluate(
    request: SizingRequest, name: str, tp: int, seqs: int, replicas_per_node: int
) -> Option | tuple[Reason, ...]:
    traffic, targets, shape = request.traffic, request.targets, request.model.shape
    where = coverage(name, tp, seqs, float(shape.params))
    # An uncalibrated generation (Graviton) has no data at all: --include-uncalibrated, which
    # ranks roofline bounds, already says the figures are not estimates.
    calibrated = generation_params(perf.hardware(name).generation).calibrated
    if where.kind == "extrapolated" and calibrated and not request.include_extrapolated:
        return (
            Reason(
                "extrapolated",
                f"{where.detail}: no published figure is near enough to trust the prediction "
                "(--include-extrapolated ranks it anyway)",
            ),
        )
    scales = scales_for(request.model.id, name, tp, seqs)

    def engine(input_len: int) -> perf.Engine:
        return perf.engine(
            shape, name, tensor_parallel_size=tp, max_num_seqs=seqs, input_len=input_len,
            output_len=traffic.output_len, weight_dtype=WEIGHT_DTYPE[DTYPE], scales=scales,
        )  # fmt: skip

    mean, p50, p99 = (
        engine(traffic.input_len),
        engine(traffic.prompt_p50),
        engine(traffic.prompt_p99),
    )
    for_traffic = nodes_for_traffic(traffic, mean, replicas_per_node)
    needed = max(for_traffic, request.min_nodes)

    def at(nodes: int) -> tuple[float, float, float, perf.LoadResult]:
        replicas = nodes * replicas_per_node
        load = _load(mean, traffic, replicas)
        t50 = _load(p50, traffic, replicas).ttft_p50_s * 1e3
        t99 = _load(p99, traffic, replicas).ttft_p99_s * 1e3
        return t50, t99, load.inter_token_s * 1e3, load

    goals = (targets.ttft_p50_ms, targets.ttft_p99_ms, targets.tpot_ms)

    def meets(nodes: int) -> bool:
        values = at(nodes)[:3]
        return all(goal is None or value <= goal for value, goal in zip(values, goals, strict=True))

    # Without any queue or other request: what no number of nodes can lower.
    floors = (
        (p50.serving_s + p50.prefill_s) * 1e3,
        (p99.serving_s + p99.prefill_s) * 1e3,
        mean.step_s * 1e3,
    )
    reachable = all(
        goal is None or floor <= goal for floor, goal in zip(floors, goals, strict=True)
    )
    nodes = fewest_nodes(meets, needed, needed * EXTRA_NODES_FACTOR) if reachable else needed
    t50, t99, tpot, load = at(nodes)
    reasons = []
    labels = (
        ("misses-ttft-p50", "TTFT p50"),
        ("misses-ttft-p99", "TTFT p99"),
        ("misses-tpot", "TPOT"),
    )
    for (code, label), value, goal, floor in zip(
        labels, (t50, t99, tpot), goals, floors, strict=True
    ):
        if goal is not None and value > goal:
            why = (
                f"even without queueing ({floor:,.1f} ms)"
                if floor > goal
                else f"under load, even at {nodes} nodes ({EXTRA_NODES_FACTOR} x {needed})"
            )
            reasons.append(Reason(code, f"{label} {value:,.1f} ms > {goal:g} ms {why}"))
    if reasons:
        return tuple(reasons)
    near = tuple(
        label
        for (_, label), value, goal in zip(labels, (t50, t99, tpot), goals, strict=True)
        if goal is not None and value > (1 - MARGIN) * goal
    )
    replicas = nodes * replicas_per_node
    fleet_rps = (
        load.throughput_rps
        if traffic.concurrent_users is not None
        else load.throughput_rps * replicas
    )
    served = fleet_rps * traffic.output_len
    in_flight = (load.running + load.queued) * replicas
    full = perf.predict(
        shape, name, tensor_parallel_size=tp, batch=seqs, input_len=traffic.input_len,
        output_len=traffic.output_len, weight_dtype=WEIGHT_DTYPE[DTYPE], max_num_seqs=seqs,
        scales=scales,
    )  # fmt: skip
    option_cost = cost.option_cost(
        name, nodes, tokens_per_second=served / nodes, discounts=request.discounts,
        region=request.region, price=request.price(name),
    )  # fmt: skip
    return Option(
        name, tp, seqs, nodes, for_traffic, in_flight, full, t50, t99, load, served, option_cost,
        replicas_per_node, where, near, scales is not None,
    )  # fmt: skip
