"""`size --calibrate bench.json`: the performance model's prediction for a deployment against
what `graviton-llm bench` (or `vllm bench serve --save-result`) measured on it.

The bench result is read as plain JSON by one defensive function, ``read_bench``: the keys of
`vllm bench serve` at the top level (``mean_ttft_ms``, ``median_tpot_ms``, ``output_throughput``,
``max_concurrency``, ``total_input_tokens``...; our bench.json from format graviton-llm-bench/2
on), else our earlier nesting (``metrics.ttft.mean``, ``meta.concurrency``...). Compared like with
like, as the fit does (docs/performance-model.md): measured TPOT against the inter-token latency
under load, throughput against the aggregate of every node the benchmark reached.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..facts.models import model_key
from ..safeio.bounds import require_number
from ..safeio.files import InputFileError, load_json
from .deployment import (
    DeploymentPerformance,
    deployment_performance,
    tensor_parallel_size_or_default,
)


@dataclass(frozen=True)
class BenchSummary:
    source: str  # the file's `format`, or "vllm bench serve"
    model: str | None
    completed: int
    input_len: int  # mean prompt tokens of completed requests
    output_len: int  # mean output tokens
    concurrency: float  # requests in flight
    closed_loop: bool
    measured: dict[str, float | None]  # mean/median TTFT and TPOT, mean E2E (ms); tokens/s


MAX_BENCH_FILE_BYTES = 256 * 2**20  # ours: bench.json holds its records; 10k requests ~ 10 MB


def read_bench_file(path: Path) -> Any:
    try:
        return load_json(path, limit=MAX_BENCH_FILE_BYTES, what="a bench result")
    except InputFileError as error:
        raise ValueError(f"--calibrate: cannot read a bench result ({error})") from None


def _number(data: Any, *paths: str) -> float | None:
    """The first finite number found at one of the dotted ``paths``."""
    for path in paths:
        value = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    return None


def read_bench(data: Any) -> BenchSummary:
    """What a bench result says about its workload and latencies, whichever keys it uses."""
    if not isinstance(data, Mapping):
        raise ValueError("bench result: not a JSON object")
    given = data.get("meta")
    meta: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    completed = _number(data, "completed", "metrics.completed")
    prompt = _number(data, "total_input_tokens", "metrics.prompt_tokens")
    output = _number(data, "total_output_tokens", "metrics.output_tokens")
    if not completed or prompt is None or output is None:
        raise ValueError(
            "bench result: no completed requests or token totals (completed, "
            "total_input_tokens, total_output_tokens)"
        )
    # Counts a benchmark can produce (ours: far beyond any run); negative ones are a broken file.
    require_number(completed, "bench result: completed", minimum=1, maximum=1e9)
    require_number(prompt, "bench result: total input tokens", minimum=0, maximum=1e15)
    require_number(output, "bench result: total output tokens", minimum=0, maximum=1e15)
    measured = {
        "ttft_mean": _number(data, "mean_ttft_ms", "metrics.ttft.mean"),
        "ttft_median": _number(data, "median_ttft_ms", "metrics.ttft.median"),
        "tpot_mean": _number(data, "mean_tpot_ms", "metrics.tpot.mean"),
        "tpot_median": _number(data, "median_tpot_ms", "metrics.tpot.median"),
        "e2e_mean": _number(data, "mean_e2el_ms", "metrics.e2e.mean"),
        "output_throughput": _number(data, "output_throughput", "metrics.output_throughput"),
    }
    rate = data.get("request_rate", meta.get("request_rate"))
    closed = rate is None or rate == "inf" or (isinstance(rate, float) and math.isinf(rate))
    concurrency = _number(data, "max_concurrency", "meta.concurrency") if closed else None
    if concurrency is None:  # open loop (or unbounded): in flight on average
        concurrency = _number(data, "mean_concurrency", "metrics.mean_concurrency")
    throughput = _number(data, "request_throughput", "metrics.request_throughput")
    if concurrency is None and throughput and measured["e2e_mean"]:
        concurrency = throughput * measured["e2e_mean"] / 1e3  # Little's law
    if concurrency is None:
        concurrency = 1.0 if closed else 0.0
    if concurrency <= 0:
        raise ValueError("bench result: cannot tell how many requests were in flight")
    require_number(concurrency, "bench result: requests in flight", minimum=0, maximum=1e6)
    for name, value in measured.items():
        if value is not None:
            require_number(value, f"bench result: {name}", minimum=0, maximum=1e12)
    model = data.get("model_id", meta.get("model"))
    return BenchSummary(
        source=str(data.get("format") or "vllm bench serve"),
        model=model if isinstance(model, str) else None,
        completed=int(completed),
        input_len=max(1, round(prompt / completed)),
        output_len=max(1, round(output / completed)),
        concurrency=concurrency,
        closed_loop=closed,
        measured=measured,
    )


@dataclass(frozen=True)
class Row:
    metric: str
    statistic: str
    predicted: float
    measured: float

    @property
    def error(self) -> float:
        """Signed relative error of the prediction, as the fit reports it."""
        return self.predicted / self.measured - 1


@dataclass(frozen=True)
class Calibration:
    bench: BenchSummary
    deployment: DeploymentPerformance
    batch: int  # requests per node the prediction runs
    nodes: int  # nodes the benchmark's traffic reached
    rows: tuple[Row, ...]
    warnings: tuple[str, ...]


def calibrate(
    data: Any,
    model_id: str,
    instance_type: str,
    *,
    tensor_parallel_size: int | None,
    max_num_seqs: int,
    max_model_len: int | None = None,
    dtype: str = "bfloat16",
    nodes: int = 1,
) -> Calibration:
    """Predicted against measured for the deployment a bench result was measured on. ``nodes``:
    the nodes its traffic was spread over (1 for a node's own URL; the node count when the
    benchmark went through the load balancer). ``tensor_parallel_size`` None: the default the
    args would fill in."""
    if nodes < 1:
        raise ValueError(f"--bench-nodes must be >= 1, got {nodes}")
    bench = read_bench(data)
    warnings = []
    per_node = bench.concurrency / nodes
    batch = max(1, round(per_node))
    if batch > max_num_seqs:
        warnings.append(
            f"{per_node:g} requests in flight per node exceed max_num_seqs {max_num_seqs}: the "
            "rest waited in vLLM's queue, which the measured TTFT includes and this table's "
            "prediction (the closed-loop equations at max_num_seqs) does not; --save fits and "
            "shows the load model, which queues them"
        )
        batch = max_num_seqs
    if not bench.closed_loop:
        warnings.append(
            "open-loop run: predicted at its mean concurrency; the model's equations are a "
            "closed loop's"
        )
    if bench.model is not None and model_key(bench.model) != model_key(model_id):
        warnings.append(f"the bench ran model {bench.model!r}, the deployment serves {model_id!r}")
    tp = tensor_parallel_size_or_default(instance_type, tensor_parallel_size)
    performance = deployment_performance(
        model_id, instance_type, tensor_parallel_size=tp,
        max_num_seqs=max_num_seqs, dtype=dtype, nodes=nodes, batch=batch,
        max_model_len=max_model_len or bench.input_len + bench.output_len,
        input_len=bench.input_len, output_len=bench.output_len,
    )  # fmt: skip
    p = performance.prediction
    if p is None:
        raise ValueError(f"no prediction for this deployment: {performance.problem}")
    m = bench.measured
    candidates = (
        ("TTFT ms", "mean", p.ttft_ms, m["ttft_mean"]),
        ("TTFT ms", "median", p.ttft_ms, m["ttft_median"]),
        ("TPOT ms", "mean", p.itl_under_load_ms, m["tpot_mean"]),
        ("TPOT ms", "median", p.itl_under_load_ms, m["tpot_median"]),
        ("E2E ms", "mean", p.e2e_ms, m["e2e_mean"]),
        ("output tokens/s", "aggregate", p.output_tokens_per_s * nodes, m["output_throughput"]),
    )
    rows = tuple(
        Row(metric, statistic, predicted, measured)
        for metric, statistic, predicted, measured in candidates
        if measured is not None and measured > 0
    )
    if not rows:
        raise ValueError("bench result: no TTFT, TPOT, E2E or throughput figure to compare")
    return Calibration(bench, performance, batch, nodes, rows, tuple(warnings))


def calibration_document(result: Calibration) -> dict[str, Any]:
    bench = result.bench
    return {
        "deployment": result.deployment.document(),
        "bench": {
            "source": bench.source,
            "model": bench.model,
            "completed": bench.completed,
            "input_len": bench.input_len,
            "output_len": bench.output_len,
            "concurrency": round(bench.concurrency, 3),
            "closed_loop": bench.closed_loop,
        },
        "batch": result.batch,
        "nodes": result.nodes,
        "rows": [
            {
                "metric": r.metric,
                "statistic": r.statistic,
                "predicted": round(r.predicted, 3),
                "measured": round(r.measured, 3),
                "error": round(r.error, 4),
            }
            for r in result.rows
        ],
        "warnings": list(result.warnings),
    }
