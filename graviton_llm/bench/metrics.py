"""Benchmark metrics: one pure function from per-request records to a frozen dataclass.

Definitions follow ``vllm bench serve`` (vLLM ``benchmarks/serve.py``, ``calculate_metrics``):

- TTFT: first text chunk - send.
- TPOT: (E2E - TTFT) / (output tokens - 1), over requests with more than one output token.
- ITL: every gap between consecutive text chunks, pooled across requests.
- E2E: send -> last text chunk.
- Throughput: totals divided by the wall-clock window of the run, here last end - first send.
  Never by the sum of latencies: under concurrency C that understates throughput ~C-fold,
  which is the bug in the blog's ``benchmark_llama.py``.
- Goodput: completed requests per second whose TTFT, TPOT and E2E all meet the SLOs given
  (vLLM's ``--goodput ttft:500 tpot:50``); a one-token request has TPOT 0 there, as in vLLM.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..pricing import cost
from .records import RequestRecord


@dataclass(frozen=True)
class Distribution:
    """Summary of one latency, in milliseconds. Percentiles as ``numpy.percentile`` (linear)."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None
    p99: float | None

    @classmethod
    def of_seconds(cls, values: Sequence[float]) -> Distribution:
        if not values:
            return cls(0, None, None, None, None)
        ms = np.asarray(values, dtype=float) * 1000.0
        p50, p90, p99 = np.percentile(ms, [50, 90, 99])
        return cls(len(ms), float(ms.mean()), float(p50), float(p90), float(p99))


@dataclass(frozen=True)
class SLO:
    """Per-request service levels in milliseconds; a None bound is not checked."""

    ttft_ms: float | None = None
    tpot_ms: float | None = None
    e2e_ms: float | None = None

    @property
    def empty(self) -> bool:
        return self.ttft_ms is None and self.tpot_ms is None and self.e2e_ms is None

    def met_by(self, record: RequestRecord) -> bool:
        checks = (
            (self.ttft_ms, record.ttft),
            (self.tpot_ms, record.tpot or 0.0),
            (self.e2e_ms, record.e2e),
        )
        for bound, seconds in checks:
            if bound is None:
                continue
            if seconds is None or seconds * 1000.0 > bound:
                return False
        return True


@dataclass(frozen=True)
class BenchmarkMetrics:
    """Everything the summary table, the JSON and ``--compare`` show."""

    requests: int
    """Measured requests (warm-up excluded)."""
    completed: int
    failed: int
    duration_s: float
    """Wall-clock window: last end - first send."""
    prompt_tokens: int
    output_tokens: int
    request_throughput: float
    """Completed requests per second over the window."""
    output_throughput: float
    """Output tokens per second over the window."""
    total_token_throughput: float
    """(Prompt + output tokens) per second over the window."""
    ttft: Distribution
    tpot: Distribution
    itl: Distribution
    e2e: Distribution
    error_rate: float
    errors: dict[str, int]
    """Failed requests by kind: ``http_<status>``, ``timeout``, ``connection``,
    ``malformed_stream``."""
    mean_concurrency: float
    """Sum of time in flight / window (Little's law): should be near the concurrency asked for."""
    requests_without_usage: int
    """Completed requests whose server sent no ``usage``; their token count is a chunk count."""
    slo: SLO = field(default_factory=SLO)
    goodput: float | None = None
    """Requests per second meeting every SLO; None when no SLO was given."""
    good_requests: int | None = None
    price_per_hour: float | None = None
    cost_per_million_output_tokens: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchmarkMetrics:
        data = dict(data)
        for name in ("ttft", "tpot", "itl", "e2e"):
            data[name] = Distribution(**data[name])
        data["slo"] = SLO(**(data.get("slo") or {}))
        return cls(**data)


def cost_per_million_tokens(price_per_hour: float, tokens_per_second: float) -> float | None:
    """Dollars per 1M tokens for an instance billed ``price_per_hour`` at the measured rate
    (graviton_llm.cost's formula at full utilization); None when nothing was generated."""
    if tokens_per_second <= 0:
        return None
    return cost.cost_per_million_tokens(price_per_hour, tokens_per_second)


def compute_metrics(
    records: Iterable[RequestRecord],
    *,
    slo: SLO | None = None,
    price_per_hour: float | None = None,
) -> BenchmarkMetrics:
    """Metrics over the measured (non-warm-up) records."""
    measured = [r for r in records if not r.warmup]
    slo = slo or SLO()
    done = [r for r in measured if r.ok]
    failed = [r for r in measured if not r.ok]

    if measured:
        duration = max(r.end_time for r in measured) - min(r.send_time for r in measured)
    else:
        duration = 0.0

    def per_second(amount: float) -> float:
        return amount / duration if duration > 0 else 0.0

    prompt_tokens = sum(r.prompt_tokens or 0 for r in done)
    output_tokens = sum(r.output_tokens or 0 for r in done)
    output_throughput = per_second(output_tokens)

    goodput = good = None
    if not slo.empty:
        good = sum(1 for r in done if slo.met_by(r))
        goodput = per_second(good)

    cost = None
    if price_per_hour is not None:
        cost = cost_per_million_tokens(price_per_hour, output_throughput)

    return BenchmarkMetrics(
        requests=len(measured),
        completed=len(done),
        failed=len(failed),
        duration_s=duration,
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        request_throughput=per_second(len(done)),
        output_throughput=output_throughput,
        total_token_throughput=per_second(prompt_tokens + output_tokens),
        ttft=Distribution.of_seconds([r.ttft for r in done if r.ttft is not None]),
        tpot=Distribution.of_seconds([t for r in done if (t := r.tpot) is not None]),
        itl=Distribution.of_seconds([gap for r in done for gap in r.itl]),
        e2e=Distribution.of_seconds([r.e2e for r in done]),
        error_rate=len(failed) / len(measured) if measured else 0.0,
        errors=dict(sorted(Counter(r.error_label() or "" for r in failed).items())),
        mean_concurrency=per_second(sum(r.end_time - r.send_time for r in measured)),
        requests_without_usage=sum(1 for r in done if not r.usage_reported),
        slo=slo,
        goodput=goodput,
        good_requests=good,
        price_per_hour=price_per_hour,
        cost_per_million_output_tokens=cost,
    )


def throughput_over_time(
    records: Iterable[RequestRecord], bin_s: float = 1.0
) -> tuple[list[float], list[float]]:
    """Output tokens/s per time bin (bin starts relative to the first send), for the plot.

    A request's tokens are spread evenly over its text chunks, placed at their arrival times.
    """
    done = [r for r in records if not r.warmup and r.ok and r.first_token_time is not None]
    if not done:
        return [], []
    origin = min(r.send_time for r in done)
    times: list[float] = []
    weights: list[float] = []
    for r in done:
        chunk_times = r.token_times()
        per_chunk = (r.output_tokens or len(chunk_times)) / len(chunk_times)
        times.extend(t - origin for t in chunk_times)
        weights.extend([per_chunk] * len(chunk_times))
    end = max(times)
    bins = max(1, int(np.ceil(end / bin_s))) if end > 0 else 1
    counts, edges = np.histogram(times, bins=bins, range=(0.0, bins * bin_s), weights=weights)
    return [float(e) for e in edges[:-1]], [float(c) / bin_s for c in counts]
