"""Which configurations serve a model at a traffic within its targets, how many nodes each needs
and what each costs; every configuration dropped, with why.

For every instance type, tensor-parallel degree, max_num_seqs B and vLLM replicas per node r
(one unless asked: the cluster runs one server per node), evaluate.py finds the fewest nodes
whose replicas serve the traffic (a stable queue, enough slots) and meet the TTFT and TPOT
targets, predicted by the load model (facts/performance/load.py): users or Poisson arrivals
queue for the replicas' slots and share each replica's engine between prefills and decode
steps. $/1M output = nodes x $/h per node / (served output tokens/s x 3600) x 1e6.

Each option is marked measured / interpolated / extrapolated by how far it is from published
data (coverage.py); extrapolated ones are kept out unless asked, and a pick within MARGIN of a
target is flagged. Ranked by the fleet's hourly price, then TTFT p99 and TPOT. The hourly
price is On-Demand where a source gives one; trn2.48xlarge has none and is ranked at its sourced
Capacity Block rate, labelled so and never discounted (facts/prices.py); --price-per-hour gives
a type the user's own rate instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..args.identifiers import region_name_problems
from ..facts import catalog
from ..facts import performance as perf
from ..facts.host_memory import host_memory_problem
from ..facts.memory import memory_fit
from ..facts.performance.parameters import generation_params
from ..pricing import cost, prices
from ..pricing.prices import RegionalPrice
from .coverage import Coverage
from .deployment import WEIGHT_DTYPE
from .workload import ModelChoice, Targets, Traffic

CANDIDATE_MAX_NUM_SEQS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
# The weights the written stack serves (args' model.dtype default); quantized weights cannot be
# expressed in a stack, so they are not sized.
DTYPE = "bfloat16"
# Beyond the nodes the traffic needs, how many more a TTFT target may ask for before the option
# is dropped (queue waits shrink quickly with nodes; past this the floor is the problem).
EXTRA_NODES_FACTOR = 4
# A prediction within this fraction of its target is flagged: the model's own error on unseen
# published figures is larger (benchmarks/RESULTS.md), so such a pick may miss in practice.
MARGIN = 0.05


@dataclass(frozen=True)
class Reason:
    code: str  # not-offered-in-region, no-price, host-memory, uncalibrated, extrapolated,
    # does-not-fit, misses-ttft-p50, misses-ttft-p99, misses-tpot, not-servable
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
    nodes_for_traffic: int  # enough slots and a stable queue, before --min-nodes and targets
    concurrency: float  # requests in flight over the fleet (running and queued)
    prediction: perf.Prediction  # one replica at batch max_num_seqs, mean lengths
    ttft_p50_ms: float
    ttft_p99_ms: float
    load: perf.LoadResult  # one replica's share of the traffic at ``nodes``, mean lengths
    served_tokens_per_s: float  # output tokens/s the traffic asks of the fleet
    cost: cost.OptionCost
    replicas_per_node: int
    coverage: Coverage
    near_target: tuple[str, ...]  # targets met by less than MARGIN
    calibrated_by_bench: bool  # a saved `size --calibrate --save` for this deployment

    @property
    def tpot_ms(self) -> float:
        return self.load.inter_token_s * 1e3

    @property
    def deployable(self) -> bool:
        """NeuronServingCluster runs one vLLM server per node (docs/size.md, "Replicas")."""
        return self.replicas_per_node == 1

    @property
    def usd_per_hour(self) -> float:
        """The fleet's hourly price at its basis (On-Demand, or the Capacity Block rate or the
        user's rate where that is the price): the first of its cost terms."""
        assert self.cost.terms  # options without a price are rejected
        return self.cost.terms[0].usd_per_hour

    @property
    def purchase_option(self) -> str:
        assert self.cost.basis is not None
        return self.cost.basis.purchase_option


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
    replicas_per_node: tuple[int, ...] = (1,)  # vLLM servers per node (behind a local proxy)
    include_extrapolated: bool = False
    # $/h per node the user pays for a type (--price-per-hour TYPE=USD), used instead of the
    # snapshot's price, with no discount applied.
    price_per_hour: Mapping[str, float] | None = None

    def price(self, instance_type: str) -> RegionalPrice | None:
        """What a node of ``instance_type`` costs per hour in the region, and how it is bought."""
        given = (self.price_per_hour or {}).get(instance_type)
        if given is not None:
            return RegionalPrice(
                instance_type, self.region, given, "--price-per-hour", "given", "your-rate"
            )
        return prices.hourly(instance_type, self.region)


@dataclass(frozen=True)
class SizingResult:
    request: SizingRequest
    options: tuple[Option, ...]  # feasible, best first
    rejected: tuple[Rejection, ...]

    @property
    def best(self) -> Option | None:
        return self.options[0] if self.options else None


def region_problem(region: str) -> str | None:
    """The deploy region as `plan` checks it: an AWS region name (args.identifiers, the rule the
    stack's region is held to), and one where some catalog type is offered (a region no type is
    offered in would drop every option with the same reason)."""
    named = region_name_problems("--region", region)
    if named:
        return f"--region {named[0].message}"
    offered = sorted({r for spec in catalog.INSTANCE_TYPES.values() for r in spec.regions})
    if region not in offered:
        return (
            f"--region {region!r}: no instance type in the catalog is offered there; "
            f"regions: {', '.join(offered)}"
        )
    return None


def size(request: SizingRequest) -> SizingResult:
    problem = region_problem(request.region)
    if problem is not None:
        raise ValueError(problem)
    names = request.instance_types or tuple(catalog.INSTANCE_TYPES)
    unknown = [name for name in names if catalog.instance_spec(name) is None]
    if unknown:
        known = ", ".join(sorted(catalog.INSTANCE_TYPES))
        raise ValueError(f"--instance-type {', '.join(unknown)}: not in the catalog ({known})")
    if not request.max_num_seqs or any(seqs < 1 for seqs in request.max_num_seqs):
        raise ValueError("--max-num-seqs must be >= 1")
    if request.min_nodes < 1:
        raise ValueError(f"--min-nodes must be >= 1, got {request.min_nodes}")
    if not request.replicas_per_node or any(r < 1 for r in request.replicas_per_node):
        raise ValueError("--replicas-per-node must be >= 1")
    for name, usd in (request.price_per_hour or {}).items():
        if catalog.instance_spec(name) is None or not (usd > 0 and math.isfinite(usd)):
            raise ValueError(
                f"--price-per-hour {name}={usd}: give TYPE=USD for a catalog type, USD > 0"
            )
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
        round(option.usd_per_hour, 6),
        not option.deployable,
        option.ttft_p99_ms,
        option.tpot_ms,
        option.instance_type,
        option.tensor_parallel_size,
        option.max_num_seqs,
        option.replicas_per_node,
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
    if request.region in spec.regions and request.price(name) is None:
        elsewhere = ", ".join(prices.priced_regions(name)) or "none"
        reasons.append(
            Reason(
                "no-price",
                f"sold in {request.region} but the price snapshot has no {request.region} price "
                f"(priced in: {elsewhere}): cannot be ranked by cost; give your rate with "
                f"--price-per-hour {name}=USD",
            )
        )
    checkpoint = request.model.shape.params * perf.parameters.WEIGHT_BYTES[WEIGHT_DTYPE[DTYPE]]
    staging = host_memory_problem(spec, checkpoint)
    if staging is not None:
        reasons.append(Reason("host-memory", staging))
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


def _replica_counts(request: SizingRequest, name: str, tp: int) -> list[int]:
    """The asked replicas per node that fit the instance's NeuronCores (one on CPU)."""
    spec = catalog.instance_spec(name)
    assert spec is not None
    if spec.accelerator != "neuron":
        return [1]
    return [r for r in sorted(set(request.replicas_per_node)) if r * tp <= spec.neuron_cores]


def _size_degree(
    request: SizingRequest, name: str, tp: int, options: list[Option], rejected: list[Rejection]
) -> None:
    from .evaluate import evaluate  # it builds this module's Option and Reason

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
        for replicas in _replica_counts(request, name, tp):
            try:
                outcome = evaluate(request, name, tp, seqs, replicas)
            except perf.PerformanceInputError as error:
                outcome = (Reason("not-servable", str(error)),)
            if isinstance(outcome, Option):
                options.append(outcome)
            else:
                rejected.append(Rejection(name, tp, seqs, outcome))


def best_per_degree(options: tuple[Option, ...]) -> list[Option]:
    """The best option of each (instance type, TP degree, replicas per node), in rank order."""
    seen: set[tuple[str, int, int]] = set()
    best = []
    for option in options:
        key = (option.instance_type, option.tensor_parallel_size, option.replicas_per_node)
        if key not in seen:
            seen.add(key)
            best.append(option)
    return best
