"""Which configurations serve a model at a traffic within its targets, how many nodes each needs
and what each costs; every configuration dropped, with why.

For every instance type, tensor-parallel degree and max_num_seqs B (one vLLM replica per node,
as the stack deploys), with every node running B requests (its capacity, the worst case for
latency at that B):

    E2E          = the performance model's request time at batch B (prefill, O - 1 steps and
                   the other requests' prefills)
    concurrency  L = lambda x E2E                                        (Little's law)
    nodes        = floor(L / B) + 1    open loop: the fewest nodes with more slots than L (at
                                       L = nodes x B, Poisson arrivals queue without bound)
                 = ceil(N / B)         N concurrent users (closed loop)
                   at least --min-nodes, then raised, if needed, until the TTFT targets
                   are met (queueing.py)
    TPOT         = inter-token latency under load (a decode step plus the other requests'
                   prefills), what a client measures as TPOT
    TTFT p50/p99 = serving + prefill of the p50/p99 prompt + queue waits (p99: + one decode step)
    $/1M output  = nodes x $/h per node / (served output tokens/s x 3600) x 1e6

Ranked by the fleet's hourly price, then TTFT p99 and TPOT.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..facts import catalog
from ..facts import performance as perf
from ..facts.memory import memory_fit
from ..facts.performance.parameters import generation_params
from ..pricing import cost
from .deployment import WEIGHT_DTYPE
from .queueing import Waits, waits
from .workload import ModelChoice, Targets, Traffic

CANDIDATE_MAX_NUM_SEQS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
# The weights the written stack serves (args' model.dtype default); quantized weights cannot be
# expressed in a stack, so they are not sized.
DTYPE = "bfloat16"
# Beyond the nodes the traffic needs, how many more a TTFT target may ask for before the option
# is dropped (queue waits shrink quickly with nodes; past this the floor is the problem).
EXTRA_NODES_FACTOR = 4


@dataclass(frozen=True)
class Reason:
    code: str  # not-offered-in-region, no-price, uncalibrated, does-not-fit, misses-ttft-p50,
    # misses-ttft-p99, misses-tpot, not-servable
    detail: str


@dataclass(frozen=True)
class Rejection:
    """A dropped instance type (tensor_parallel_size None), TP degree (max_num_seqs None: at
    every max_num_seqs) or configuration."""

    instance_type: str
    tensor_parallel_size: int | None
    max_num_seqs: int | None
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Option:
    instance_type: str
    tensor_parallel_size: int
    max_num_seqs: int
    nodes: int
    nodes_for_traffic: int  # Little's law alone, before --min-nodes and the TTFT targets
    concurrency: float  # L, requests in flight over the fleet
    prediction: perf.Prediction  # one node at batch max_num_seqs, mean lengths
    ttft_p50_ms: float
    ttft_p99_ms: float
    waits: Waits
    served_tokens_per_s: float  # output tokens/s the traffic asks of the fleet
    cost: cost.OptionCost

    @property
    def tpot_ms(self) -> float:
        return self.prediction.itl_under_load_ms

    @property
    def on_demand_usd_per_hour(self) -> float:
        term = self.cost.term("on-demand")
        assert term is not None  # options without a price are rejected
        return term.usd_per_hour


@dataclass(frozen=True)
class SizingRequest:
    model: ModelChoice
    traffic: Traffic
    targets: Targets
    max_model_len: int
    region: str = "us-east-1"
    discounts: Mapping[cost.Term, cost.Discount] | None = None  # default: the assumed ones
    instance_types: tuple[str, ...] | None = None  # default: every type in the catalog
    max_num_seqs: tuple[int, ...] = CANDIDATE_MAX_NUM_SEQS
    include_uncalibrated: bool = False
    min_nodes: int = 1  # e.g. one per availability zone


@dataclass(frozen=True)
class SizingResult:
    request: SizingRequest
    options: tuple[Option, ...]  # feasible, best first
    rejected: tuple[Rejection, ...]

    @property
    def best(self) -> Option | None:
        return self.options[0] if self.options else None


def size(request: SizingRequest) -> SizingResult:
    names = request.instance_types or tuple(catalog.INSTANCE_TYPES)
    unknown = [name for name in names if catalog.instance_spec(name) is None]
    if unknown:
        known = ", ".join(sorted(catalog.INSTANCE_TYPES))
        raise ValueError(f"--instance-type {', '.join(unknown)}: not in the catalog ({known})")
    if not request.max_num_seqs or any(seqs < 1 for seqs in request.max_num_seqs):
        raise ValueError("--max-num-seqs must be >= 1")
    if request.min_nodes < 1:
        raise ValueError(f"--min-nodes must be >= 1, got {request.min_nodes}")
    options: list[Option] = []
    rejected: list[Rejection] = []
    for name in names:
        reasons = _instance_reasons(request, name)
        if reasons:
            rejected.append(Rejection(name, None, None, reasons))
            continue
        for tp in perf.hardware(name).tensor_parallel_degrees:
            _size_degree(request, name, tp, options, rejected)
    options.sort(key=_rank_key)
    return SizingResult(request, tuple(options), tuple(rejected))


def _rank_key(option: Option) -> tuple[float | int | str, ...]:
    return (
        round(option.on_demand_usd_per_hour, 6),
        option.ttft_p99_ms,
        option.tpot_ms,
        option.instance_type,
        option.tensor_parallel_size,
        option.max_num_seqs,
    )


def _instance_reasons(request: SizingRequest, name: str) -> tuple[Reason, ...]:
    spec = catalog.instance_spec(name)
    assert spec is not None
    reasons = []
    if request.region not in spec.regions:
        reasons.append(
            Reason(
                "not-offered-in-region",
                f"not offered in {request.region} (offered in {', '.join(spec.regions)})",
            )
        )
    if catalog.on_demand_price(name) is None:
        reasons.append(
            Reason(
                "no-price",
                f"no price in the {catalog.PRICE_SNAPSHOT_REGION} snapshot "
                f"({catalog.PRICE_SNAPSHOT_DATE}): cannot be ranked by cost",
            )
        )
    generation = perf.hardware(name).generation
    if not generation_params(generation).calibrated and not request.include_uncalibrated:
        reasons.append(
            Reason(
                "uncalibrated",
                f"{generation}: no published measurement calibrates the model, its figures are "
                "roofline upper bounds (--include-uncalibrated ranks them anyway)",
            )
        )
    return tuple(reasons)


def _memory_problem(request: SizingRequest, name: str, tp: int, seqs: int) -> str | None:
    """The performance model's fit check, then the args' rule (facts/memory.py) the written
    stack will be validated by, so the best option always validates."""
    hw = perf.hardware(name)
    problems = perf.check(
        request.model.shape, hw, tensor_parallel_size=tp, batch=seqs, input_len=1, output_len=1,
        weight_dtype=WEIGHT_DTYPE[DTYPE], max_num_seqs=seqs,
        max_model_len=request.max_model_len,
    )  # fmt: skip
    if problems:  # the reason code says "does not fit"; the detail need not repeat it
        return "; ".join(p.removeprefix("does not fit: ") for p in problems)
    spec = catalog.instance_spec(name)
    assert spec is not None
    fit = memory_fit(
        spec=spec, params_billion=request.model.params_billion, dtype=DTYPE,
        tensor_parallel_size=tp, max_model_len=request.max_model_len, max_num_seqs=seqs,
        model=request.model.info,
    )  # fmt: skip
    if not fit.fits:
        return (
            f"{fit.required_gib:.1f} GiB with headroom > {fit.available_gib:.0f} "
            f"GiB at tensor_parallel_size {tp} (facts/memory.py)"
        )
    return None


def _size_degree(
    request: SizingRequest, name: str, tp: int, options: list[Option], rejected: list[Rejection]
) -> None:
    seqs_list = sorted(set(request.max_num_seqs))
    problem = _memory_problem(request, name, tp, seqs_list[0])
    if problem is not None:
        # Nothing fits at the smallest batch: one rejection for the whole degree.
        rejected.append(Rejection(name, tp, None, (Reason("does-not-fit", problem),)))
        return
    for seqs in seqs_list:
        problem = _memory_problem(request, name, tp, seqs)
        if problem is not None:
            rejected.append(Rejection(name, tp, seqs, (Reason("does-not-fit", problem),)))
            continue
        try:
            outcome = _evaluate(request, name, tp, seqs)
        except perf.PerformanceInputError as error:
            outcome = (Reason("not-servable", str(error)),)
        if isinstance(outcome, Option):
            options.append(outcome)
        else:
            rejected.append(Rejection(name, tp, seqs, outcome))


def _predict(
    request: SizingRequest, name: str, tp: int, seqs: int, input_len: int
) -> perf.Prediction:
    return perf.predict(
        request.model.shape, name, tensor_parallel_size=tp, batch=seqs, input_len=input_len,
        output_len=request.traffic.output_len, weight_dtype=WEIGHT_DTYPE[DTYPE],
        max_num_seqs=seqs,
    )  # fmt: skip


def nodes_for_traffic(traffic: Traffic, e2e_s: float, slots: int) -> tuple[float, int]:
    """(concurrency L, nodes): Little's law L = lambda x E2E and floor(L / B) + 1 nodes (open
    loop), or N users and ceil(N / B) nodes (closed loop)."""
    if traffic.concurrent_users is not None:
        users = traffic.concurrent_users
        return float(users), math.ceil(users / slots)
    assert traffic.requests_per_s is not None
    concurrency = traffic.requests_per_s * e2e_s
    return concurrency, math.floor(concurrency / slots) + 1


def _fewest_nodes(meets: Callable[[int], bool], low: int, high: int) -> int:
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


def _evaluate(request: SizingRequest, name: str, tp: int, seqs: int) -> Option | tuple[Reason, ...]:
    traffic, targets = request.traffic, request.targets
    mean = _predict(request, name, tp, seqs, traffic.input_len)
    p50 = _predict(request, name, tp, seqs, traffic.prompt_p50)
    p99 = _predict(request, name, tp, seqs, traffic.prompt_p99)
    serving_ms = generation_params(mean.generation).serving_overhead_ms
    e2e_s = mean.e2e_ms / 1e3
    concurrency, for_traffic = nodes_for_traffic(traffic, e2e_s, seqs)
    needed = max(for_traffic, request.min_nodes)
    arrivals = traffic.requests_per_s or concurrency / e2e_s

    def ttft(nodes: int) -> tuple[float, float, Waits]:
        w = waits(
            arrivals_per_s=arrivals, nodes=nodes, slots_per_node=seqs, e2e_s=e2e_s,
            prefill_s=(mean.ttft_ms - serving_ms) / 1e3, closed_loop=traffic.closed_loop,
        )  # fmt: skip
        return p50.ttft_ms + w.p50_ms, p99.ttft_ms + mean.tpot_ms + w.p99_ms, w

    # Without any queue: what no number of nodes can lower.
    floors = (
        (p50.ttft_ms, targets.ttft_p50_ms),
        (p99.ttft_ms + mean.tpot_ms, targets.ttft_p99_ms),
    )
    reachable = all(target is None or floor <= target for floor, target in floors)

    def meets(nodes: int) -> bool:
        t50, t99, _ = ttft(nodes)
        return (targets.ttft_p50_ms is None or t50 <= targets.ttft_p50_ms) and (
            targets.ttft_p99_ms is None or t99 <= targets.ttft_p99_ms
        )

    nodes = _fewest_nodes(meets, needed, needed * EXTRA_NODES_FACTOR) if reachable else needed
    t50, t99, w = ttft(nodes)
    reasons = []
    if targets.tpot_ms is not None and mean.itl_under_load_ms > targets.tpot_ms:
        reasons.append(
            Reason(
                "misses-tpot",
                f"TPOT under load {mean.itl_under_load_ms:,.1f} ms > {targets.tpot_ms:g} ms "
                f"(decode step {mean.tpot_ms:,.1f} ms at {seqs} sequences)",
            )
        )
    for code, label, predicted, (floor, target) in (
        ("misses-ttft-p50", "p50", t50, floors[0]),
        ("misses-ttft-p99", "p99", t99, floors[1]),
    ):
        if target is not None and predicted > target:
            why = (
                f"even without queueing ({floor:,.0f} ms)"
                if floor > target
                else f"from queueing, even at {nodes} nodes ({EXTRA_NODES_FACTOR} x {needed})"
            )
            reasons.append(Reason(code, f"TTFT {label} {predicted:,.0f} ms > {target:g} ms {why}"))
    if reasons:
        return tuple(reasons)
    served = (
        traffic.requests_per_s * traffic.output_len
        if traffic.requests_per_s is not None
        else concurrency * traffic.output_len / e2e_s
    )
    option_cost = cost.option_cost(
        name, nodes, tokens_per_second=served / nodes, discounts=request.discounts
    )
    return Option(
        name, tp, seqs, nodes, for_traffic, concurrency, mean, t50, t99, w, served, option_cost
    )


def best_per_degree(options: tuple[Option, ...]) -> list[Option]:
    """The best option of each (instance type, TP degree), in rank order."""
    seen: set[tuple[str, int]] = set()
    best = []
    for option in options:
        key = (option.instance_type, option.tensor_parallel_size)
        if key not in seen:
            seen.add(key)
            best.append(option)
    return best
