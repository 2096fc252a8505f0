"""The `size --json` document (docs/size.md): the question, every feasible option ranked, every
dropped one with its reasons. Same input, same bytes."""

from __future__ import annotations

import math
from typing import Any

from ..pricing import cost
from ..safeio.json_text import to_json as to_json  # sizing.to_json: the canonical encoder
from .search import Option, Rejection, SizingResult

# Version of the `size --json` document. Bump on any incompatible change. 3: an option's first
# cost term is its price basis ("on-demand", "capacity-block" or "your-rate"), not always
# On-Demand; prices carry their purchase_option.
SCHEMA_VERSION = 3

FORMULAS = {
    "replica": "a vLLM server with max_num_seqs B slots; a request's life with n running is "
    "s + n x prefill + (O - 1) x step, so a replica completes n / that per second",
    "nodes": "the fewest whose replicas hold every user (ceil(users / (B r))) or keep up with "
    "the arrivals (lambda / replicas < rate(B)), at least min_nodes, raised until TTFT p50/p99 "
    "and TPOT hold",
    "ttft_p50_ms / ttft_p99_ms": "the load model's quantiles at the p50 / p99 prompt: wait for "
    "a slot (mean-value analysis for users, the birth-death chain for Poisson arrivals) + the "
    "prefills ahead + serving + one prefill",
    "tpot_ms": "inter-token latency under load: step + (1 - cohort) x (running - 1) x prefill "
    "/ (O - 1)",
    "usd_per_million_output_tokens": "nodes x $/h per node in the region / (served output "
    "tokens/s x 3600) x 1e6",
    "rank": "by the fleet's $/h at its price basis (On-Demand; a Capacity Block rate where that "
    "is the only sourced price; your --price-per-hour), then TTFT p99 and TPOT",
}
# The NLB routes each TCP connection by a flow hash (protocol, addresses, ports, sequence
# number) and keeps it on one target for its life (ELB user guide, "What is a Network Load
# Balancer?"): blind to queues. Modelled as each request going to a replica at random, which is
# what clients opening a connection per request get; clients that keep one connection each are
# pinned, and fare worse. A queue-aware balancer (an ALB's least_outstanding_requests) would need
# no more nodes than the slots ("traffic:" in the table); the cluster's NLB cannot do that.
BALANCER = (
    "node counts assume the NLB's routing: each connection to a node by a hash, blind to "
    "queues, so one replica can queue while another has a free slot; a queue-aware balancer "
    "would need only the '(traffic: N)' nodes that hold every user (docs/size.md, 'Balancer')"
)
ASSUMPTIONS = (
    "NeuronServingCluster runs one vLLM replica per node; more replicas per node (behind a "
    "local proxy) are ranked only when asked (--replicas-per-node) and cannot be written as a "
    "stack yet",
    BALANCER,
    "requests/s arrive as a Poisson process; concurrent users send their next request "
    "think_time_s after the last reply",
    "the traffic is steady 24/7: $/1M output tokens is the fleet's price over the tokens the "
    "traffic asks for",
)


def _num(value: float) -> float | None:
    """Rounded for stable bytes; JSON has no infinity, so an unbounded wait is null."""
    return None if not math.isfinite(value) else round(value, 3)


def option_document(option: Option, rank: int) -> dict[str, Any]:
    p = option.prediction
    return {
        "rank": rank,
        "instance_type": option.instance_type,
        "tensor_parallel_size": option.tensor_parallel_size,
        "max_num_seqs": option.max_num_seqs,
        "nodes": option.nodes,
        "nodes_for_traffic": option.nodes_for_traffic,
        "concurrency": _num(option.concurrency),
        "ttft_p50_ms": _num(option.ttft_p50_ms),
        "ttft_p99_ms": _num(option.ttft_p99_ms),
        "ttft_no_queue_ms": _num(p.ttft_ms),
        "slot_wait_mean_ms": _num(option.load.slot_wait_mean_s * 1e3),
        "tpot_ms": _num(option.tpot_ms),
        "decode_step_ms": _num(p.tpot_ms),
        "e2e_ms": _num(option.load.e2e_s * 1e3),
        "per_request_tokens_per_s": _num(option.load.e2e_tokens / option.load.e2e_s),
        "node_output_tokens_per_s": _num(p.output_tokens_per_s),
        "fleet_output_tokens_per_s": _num(p.output_tokens_per_s * option.nodes),
        "served_output_tokens_per_s": _num(option.served_tokens_per_s),
        "generation": p.generation,
        "calibrated": p.calibrated,
        "calibrated_by_bench": option.calibrated_by_bench,
        "replicas_per_node": option.replicas_per_node,
        "deployable": option.deployable,
        "coverage": option.coverage.kind,
        "coverage_detail": option.coverage.detail,
        "near_target": list(option.near_target),
        "costs": [
            {
                "term": term.term,
                "usd_per_hour": _num(term.usd_per_hour),
                "usd_per_month": _num(term.usd_per_month),
                "usd_per_million_output_tokens": _num(term.usd_per_million_tokens or math.inf),
            }
            for term in option.cost.terms
        ],
    }


def rejection_document(rejection: Rejection) -> dict[str, Any]:
    return {
        "instance_type": rejection.instance_type,
        "tensor_parallel_size": rejection.tensor_parallel_size,
        "max_num_seqs": rejection.max_num_seqs,
        "reasons": [{"code": r.code, "detail": r.detail} for r in rejection.reasons],
    }


def price_sources(result: SizingResult) -> list[dict[str, Any]]:
    """Where each ranked type's price in the region comes from, how it is bought, and its
    date."""
    seen: dict[str, dict[str, Any]] = {}
    for option in result.options:
        price = option.cost.basis
        if price is not None and price.instance_type not in seen:
            seen[price.instance_type] = {
                "instance_type": price.instance_type,
                "region": price.region,
                "purchase_option": price.purchase_option,
                "usd_per_hour": price.usd_per_hour,
                "source": price.source,
                "date": price.source_date,
            }
    return list(seen.values())


# What a price basis other than On-Demand means for the figures (printed and in --json).
BASIS_NOTES = {
    "capacity-block": "an EC2 Capacity Block rate, not On-Demand: the hours are reserved and "
    "paid up front in blocks of 1 to 182 days bought ahead (not cancellable, offered when AWS "
    "has the capacity, priced at purchase); no Reserved Instance or Savings Plan discount "
    "applies, so no 1yr/3yr term is shown. A steady 24/7 service buys block after block. "
    "Check today's rate with `aws ec2 describe-capacity-block-offerings`, or give yours with "
    "--price-per-hour TYPE=USD",
    "your-rate": "your rate (--price-per-hour), used as given: no discount applied",
}


def terms_document(
    discounts: dict[cost.Term, cost.Discount] | None, bases: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    chosen = cost.ASSUMED_DISCOUNTS if discounts is None else discounts
    rows: list[dict[str, Any]] = [
        {"term": "on-demand", "fraction_off": 0.0, "source": "price snapshot", "assumption": False}
    ]
    for basis in bases:
        rows.append(
            {"term": basis, "fraction_off": 0.0, "source": BASIS_NOTES[basis], "assumption": False}
        )
    for term in cost.TERMS[1:]:
        discount = chosen.get(term)
        if discount is not None:
            rows.append(
                {
                    "term": term,
                    "fraction_off": discount.fraction,
                    "source": discount.source,
                    "assumption": discount.assumption,
                }
            )
    return rows


def other_bases(result: SizingResult) -> tuple[str, ...]:
    """The price bases other than On-Demand that ranked options stand on, in order."""
    found = {o.purchase_option for o in result.options} - {"on-demand"}
    return tuple(basis for basis in BASIS_NOTES if basis in found)


def sizing_document(result: SizingResult) -> dict[str, Any]:
    request = result.request
    model, traffic, targets = request.model, request.traffic, request.targets
    return {
        "schema_version": SCHEMA_VERSION,
        "model": {
            "id": model.id,
            "params_billion": model.params_billion,
            "layers": model.shape.layers,
            "hidden_size": model.shape.hidden_size,
            "kv_heads": model.shape.kv_heads,
            "max_context": model.max_context,
        },
        "traffic": {
            "requests_per_s": traffic.requests_per_s,
            "concurrent_users": traffic.concurrent_users,
            "input_len": traffic.input_len,
            "output_len": traffic.output_len,
            "input_len_p50": traffic.prompt_p50,
            "input_len_p99": traffic.prompt_p99,
            "output_len_p99": traffic.output_len_p99 or traffic.output_len,
        },
        "max_model_len": request.max_model_len,
        "min_nodes": request.min_nodes,
        "targets": {
            "ttft_p50_ms": targets.ttft_p50_ms,
            "ttft_p99_ms": targets.ttft_p99_ms,
            "tpot_ms": targets.tpot_ms,
        },
        "region": request.region,
        "prices": price_sources(result),
        "terms": terms_document(
            dict(request.discounts) if request.discounts else None, other_bases(result)
        ),
        "formulas": FORMULAS,
        "assumptions": list(ASSUMPTIONS),
        "options": [option_document(o, i) for i, o in enumerate(result.options, start=1)],
        "rejected": [rejection_document(r) for r in result.rejected],
    }
