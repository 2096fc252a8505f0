"""The `size --json` document (docs/size.md): the question, every feasible option ranked, every
dropped one with its reasons. Same input, same bytes."""

from __future__ import annotations

import json
import math
from typing import Any

from ..facts import catalog
from ..pricing import cost
from .search import Option, Rejection, SizingResult

# Version of the `size --json` document. Bump on any incompatible change.
SCHEMA_VERSION = 1

FORMULAS = {
    "concurrency": "L = requests_per_s x e2e_ms / 1000 (Little's law); L = concurrent_users",
    "nodes": "floor(L / max_num_seqs) + 1 (open loop) or ceil(users / max_num_seqs), at least "
    "min_nodes, raised until the TTFT targets hold",
    "tpot_ms": "inter-token latency under load: step + (B - 1) x prefill / (O - 1), B = "
    "max_num_seqs",
    "ttft_p50_ms": "serving + prefill(p50 prompt) + median queue waits",
    "ttft_p99_ms": "serving + prefill(p99 prompt) + one decode step + p99 queue waits",
    "usd_per_million_output_tokens": "nodes x $/h per node / (served output tokens/s x 3600) x 1e6",
}
ASSUMPTIONS = (
    "one vLLM replica per node (as the stack deploys); cores beyond the TP degree idle",
    "every node runs max_num_seqs requests (its capacity): latencies are a full node's",
    "requests/s arrive as a Poisson process; concurrent users send back to back (no think time)",
    "queue waits: M/M/c for slots and M/D/1 for the prefill engine, exponential-tail "
    "approximations on the safe side (graviton_llm/sizing/queueing.py)",
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
        "queue_wait_p99_ms": _num(option.waits.p99_ms),
        "tpot_ms": _num(option.tpot_ms),
        "decode_step_ms": _num(p.tpot_ms),
        "e2e_ms": _num(p.e2e_ms),
        "per_request_tokens_per_s": _num(p.per_request_tokens_per_s),
        "node_output_tokens_per_s": _num(p.output_tokens_per_s),
        "fleet_output_tokens_per_s": _num(p.output_tokens_per_s * option.nodes),
        "served_output_tokens_per_s": _num(option.served_tokens_per_s),
        "generation": p.generation,
        "calibrated": p.calibrated,
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


def region_note(region: str) -> str | None:
    if region == catalog.PRICE_SNAPSHOT_REGION:
        return None
    return (
        f"prices are the {catalog.PRICE_SNAPSHOT_REGION} snapshot of "
        f"{catalog.PRICE_SNAPSHOT_DATE}; {region} prices differ: check the AWS price list "
        "before deciding"
    )


def terms_document(discounts: dict[cost.Term, cost.Discount] | None) -> list[dict[str, Any]]:
    chosen = cost.ASSUMED_DISCOUNTS if discounts is None else discounts
    rows: list[dict[str, Any]] = [
        {"term": "on-demand", "fraction_off": 0.0, "source": "price snapshot", "assumption": False}
    ]
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
        "prices": {
            "snapshot_region": catalog.PRICE_SNAPSHOT_REGION,
            "snapshot_date": catalog.PRICE_SNAPSHOT_DATE,
            "source": catalog.PRICE_SNAPSHOT_SOURCE,
            "note": region_note(request.region),
        },
        "terms": terms_document(dict(request.discounts) if request.discounts else None),
        "formulas": FORMULAS,
        "assumptions": list(ASSUMPTIONS),
        "options": [option_document(o, i) for i, o in enumerate(result.options, start=1)],
        "rejected": [rejection_document(r) for r in result.rejected],
    }


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n"
