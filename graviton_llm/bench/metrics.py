"""Benchmark metrics: one pure function from per-request records to a frozen dataclass.

Definitions follow ``vllm bench serve`` (vLLM vllm/benchmarks/serve.py, ``calculate_metrics``),
and so do the names (``to_dict`` writes vLLM's result keys, so dashboards that read vLLM's
files read ours):

- TTFT: first chunk carrying output of any kind (reasoning included) - send.
- TPOT: (E2EL - TTFT) / (output tokens - 1), over requests with more than one output token.
- ITL: every gap between consecutive output-carrying chunks, pooled across requests.
- E2EL: send -> last output-carrying chunk.
- Throughput: totals of completed requests divided by the wall-clock window of the run, here
  last end - first send. Never by the sum of latencies: under concurrency C that understates
  throughput ~C-fold, which is the bug in the blog's ``benchmark_llama.py``. A failed request
  adds nothing to any throughput, though the time it took stays in the window.
- Goodput: completed requests per second whose TTFT, TPOT and E2EL all meet the SLOs given
  (vLLM's ``--goodput ttft:500 tpot:50``); a one-token request has TPOT 0 there, as in vLLM.
- Peak output tokens/s: the most output tokens in one 1-second bucket counted from the first
  send, and peak concurrent requests: the most completed requests in flight at one instant
  (send to last token), both as vLLM's ``max_output_tokens_per_s`` / ``max_concurrent_requests``,
  except that a chunk counts as the tokens it carried where vLLM counts each chunk as one.
- Each distribution: mean, std (population, as ``numpy.std``), median, p90, p99 in ms; absent
  (None, no keys in the JSON) when no request gave a value. vLLM writes 0 there instead.

Ours besides: time to the first *answer* token (for reasoning models), reasoning and answer
token totals, errors by kind, mean concurrency, and where the token counts came from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..pricing import cost
from .records import RequestRecord

DISTRIBUTIONS = ("ttft", "tpot", "itl", "e2el", "time_to_first_answer")
_STATS = ("mean", "std", "median", "p90", "p99")


@dataclass(frozen=True)
class Distribution:
    """Summary of one latency, in milliseconds. Percentiles as ``numpy.percentile`` (linear)."""

    count: int
    mean: float
    std: float
    median: float
    p90: float
    p99: float

    @classmethod
    def of_seconds(cls, values: Sequence[float]) -> Distribution | None:
        """None for no values: an empty distribution is absent, not zero."""
        if not values:
            return None
        ms = np.asarray(values, dtype=float) * 1000.0
        p50, p90, p99 = np.percentile(ms, [50, 90, 99])
        return cls(len(ms), float(ms.mean()), float(ms.std()), float(p50), float(p90), float(p99))


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
    """Everything the summary table, the JSON and ``--compare`` show. Field names are vLLM's
    result keys where the meaning is the same."""

    requests: int
    """Measured requests (warm-up excluded)."""
    completed: int
    failed: int
    duration: float
    """Wall-clock window in seconds: last end - first send."""
    total_input_tokens: int
    total_output_tokens: int
    """Generated tokens of completed requests, reasoning included."""
    total_reasoning_tokens: int
    total_answer_tokens: int
    request_throughput: float
    """Completed requests per second over the window."""
    output_throughput: float
    """Output tokens per second over the window."""
    total_token_throughput: float
    """(Input + output tokens) per second over the window."""
    max_output_tokens_per_s: float
    """Peak output tokens in one 1-second bucket."""
    max_concurrent_requests: int
    """Peak completed requests in flight at one instant."""
    ttft: Distribution | None
    tpot: Distribution | None
    itl: Distribution | None
    e2el: Distribution | None
    time_to_first_answer: Distribution | None
    """Send -> first content or tool-call chunk; present when some answer reasoned first."""
    error_rate: float
    errors: dict[str, int]
    """Failed requests by kind (``http_<status>``, ``timeout``, ... see ``ErrorKind``)."""
    mean_concurrency: float
    """Sum of time in flight / window (Little's law): should be near the concurrency asked for."""
    token_sources: dict[str, int]
    """Completed requests by where their output count came from: ``usage``, ``tokenizer``,
    ``estimate``."""
    prompt_token_sources: dict[str, int]
    reasoning_token_sources: dict[str, int]
    """Completed requests that reasoned, by where their reasoning/answer split came from."""
    slo: SLO = field(default_factory=SLO)
    request_goodput: float | None = None
    """Requests per second meeting every SLO; None when no SLO was given (as vLLM)."""
    good_requests: int | None = None
    price_per_hour: float | None = None
    cost_per_million_output_tokens: float | None = None

    @property
    def tokens_estimated(self) -> bool:
        """Some counts are estimates: the server sent no usage and no tokenizer was given."""
        return "estimate" in self.token_sources or "estimate" in self.prompt_token_sources

    def distributions(self) -> dict[str, Distribution | None]:
        return {name: getattr(self, name) for name in DISTRIBUTIONS}

    def to_dict(self) -> dict[str, Any]:
        """Flat keys: vLLM's (``mean_ttft_ms``, ``p99_itl_ms``...) and ours; an absent
        distribution has no keys."""
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in DISTRIBUTIONS:
                if value is not None:
                    data[f"count_{f.name}"] = value.count
                    data.update({f"{s}_{f.name}_ms": getattr(value, s) for s in _STATS})
            elif f.name == "slo":
                data["slo"] = {k: v for k, v in vars(value).items() if v is not None}
            else:
                data[f.name] = value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchmarkMetrics:
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in DISTRIBUTIONS:
                values[f.name] = None
                if f"mean_{f.name}_ms" in data:
                    stats = {s: data[f"{s}_{f.name}_ms"] for s in _STATS}
                    values[f.name] = Distribution(count=data[f"count_{f.name}"], **stats)
            elif f.name == "slo":
                values["slo"] = SLO(**(data.get("slo") or {}))
            elif f.name in data:
                values[f.name] = data[f.name]
        return cls(**values)


def cost_per_million_tokens(price_per_hour: float, tokens_per_second: float) -> float | None:
    """Dollars per 1M tokens for an instance billed ``price_per_hour`` at the measured rate
    (pricing/cost.py's formula at full utilization); None when nothing was generated."""
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
    reasoning_tokens = sum(r.reasoning_tokens for r in done)
    output_throughput = per_second(output_tokens)

    goodput = good = None
    if not slo.empty:
        good = sum(1 for r in done if slo.met_by(r))
        goodput = per_second(good)

    cost = None
    if price_per_hour is not None:
        cost = cost_per_million_tokens(price_per_hour, output_throughput)
    _, per_second_bins = throughput_over_time(done, 1.0)

    return BenchmarkMetrics(
        requests=len(measured),
        completed=len(done),
        failed=len(failed),
        duration=duration,
        total_input_tokens=prompt_tokens,
        total_output_tokens=output_tokens,
        total_reasoning_tokens=reasoning_tokens,
        total_answer_tokens=output_tokens - reasoning_tokens,
        request_throughput=per_second(len(done)),
        output_throughput=output_throughput,
        total_token_throughput=per_second(prompt_tokens + output_tokens),
        max_output_tokens_per_s=max(per_second_bins, default=0.0),
        max_concurrent_requests=peak_concurrency(done),
        ttft=Distribution.of_seconds([r.ttft for r in done if r.ttft is not None]),
        tpot=Distribution.of_seconds([t for r in done if (t := r.tpot) is not None]),
        itl=Distribution.of_seconds([gap for r in done for gap in r.itl]),
        e2el=Distribution.of_seconds([r.e2e for r in done]),
        time_to_first_answer=_answer_latency(done),
        error_rate=len(failed) / len(measured) if measured else 0.0,
        errors=dict(sorted(Counter(r.error_label() or "" for r in failed).items())),
        mean_concurrency=per_second(sum(r.end_time - r.send_time for r in measured)),
        token_sources=_sources(r.token_source for r in done),
        prompt_token_sources=_sources(r.prompt_token_source for r in done),
        reasoning_token_sources=_sources(r.reasoning_source for r in done if r.reasoning_tokens),
        slo=slo,
        request_goodput=goodput,
        good_requests=good,
        price_per_hour=price_per_hour,
        cost_per_million_output_tokens=cost,
    )


def _sources(sources: Iterable[str | None]) -> dict[str, int]:
    return dict(sorted(Counter(source or "" for source in sources).items()))


def _answer_latency(done: list[RequestRecord]) -> Distribution | None:
    """Time to the first answer token, shown only when some request reasoned before answering
    (otherwise it is TTFT again)."""
    if not any(r.reasoning_tokens for r in done):
        return None
    return Distribution.of_seconds([t for r in done if (t := r.time_to_first_answer) is not None])


def peak_concurrency(done: Iterable[RequestRecord]) -> int:
    """The most requests in flight at one instant, each over [send, last token): at a tie an
    end comes before a start, as vLLM's sweep over half-open intervals."""
    events = sorted([(r.send_time, 1) for r in done] + [(r.send_time + r.e2e, -1) for r in done])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def throughput_over_time(
    records: Iterable[RequestRecord], bin_s: float = 1.0
) -> tuple[list[float], list[float]]:
    """Output tokens/s per time bin (bin starts relative to the first send), for the plot and
    the peak. A request's tokens are spread evenly over its output chunks, at their arrivals.
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
