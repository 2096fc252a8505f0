"""What a run prints: the summary table and the ``--compare`` view."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from .metrics import BenchmarkMetrics
from .report import RunReport


def _fmt(value: float | None, digits: int = 2) -> str:
    return "absent" if value is None else f"{value:,.{digits}f}"


_LABELS = {
    "ttft": "TTFT",
    "tpot": "TPOT",
    "itl": "ITL",
    "e2el": "E2EL",
    "time_to_first_answer": "TTFT of the answer",
}


def token_provenance(metrics: BenchmarkMetrics) -> str:
    """Where the token counts came from, said plainly; estimates are called estimates."""
    if metrics.completed == 0:
        return "no completed request"
    sources = set(metrics.token_sources) | set(metrics.prompt_token_sources)
    if metrics.tokens_estimated:
        guessed = max(
            metrics.token_sources.get("estimate", 0),
            metrics.prompt_token_sources.get("estimate", 0),
        )
        return (
            f"ESTIMATES for {guessed} of {metrics.completed} requests: the server sent no "
            "usage and no --tokenizer was given (text length / 4, at least a token a chunk)"
        )
    if sources == {"usage"}:
        return "server usage"
    if "usage" in sources:
        return "server usage; --tokenizer where the server sent none"
    return "--tokenizer (the server sent no usage)"


def summary_table(metrics: BenchmarkMetrics, title: str) -> Table:
    m = metrics
    table = Table(title=title, show_header=True, title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    estimate = " (estimate)" if m.tokens_estimated else ""
    rows: list[tuple[str, str]] = [
        ("requests (completed / failed)", f"{m.completed} / {m.failed}"),
        ("window (first send -> last end)", f"{m.duration:.3f} s"),
        ("request throughput", f"{_fmt(m.request_throughput)} req/s"),
        ("output token throughput", f"{_fmt(m.output_throughput)} tok/s{estimate}"),
        ("peak output token throughput (1 s)", f"{_fmt(m.max_output_tokens_per_s)} tok/s"),
        ("total token throughput", f"{_fmt(m.total_token_throughput)} tok/s{estimate}"),
        (
            "input / output tokens",
            f"{m.total_input_tokens:,} / {m.total_output_tokens:,}{estimate}",
        ),
    ]
    if m.total_reasoning_tokens:
        split = " (split estimated from chunks)" if "estimate" in m.reasoning_token_sources else ""
        rows.append(
            (
                "of output: reasoning / answer tokens",
                f"{m.total_reasoning_tokens:,} / {m.total_answer_tokens:,}{split}",
            )
        )
    rows.append(("token counts from", token_provenance(m)))
    rows.append(
        (
            "concurrency: mean / peak",
            f"{_fmt(m.mean_concurrency)} / {m.max_concurrent_requests}",
        )
    )
    shown = {name: dist for name, dist in m.distributions().items() if dist is not None}
    for name, dist in shown.items():
        rows.append(
            (
                f"{_LABELS[name]} ms  mean / std / p50 / p90 / p99",
                " / ".join(_fmt(v) for v in (dist.mean, dist.std, dist.median, dist.p90, dist.p99)),
            )
        )
    if not shown:
        rows.append(("latencies", "absent: no request completed"))
    if m.request_goodput is not None:
        slo = (("TTFT", m.slo.ttft_ms), ("TPOT", m.slo.tpot_ms), ("E2EL", m.slo.e2e_ms))
        bounds = ", ".join(f"{name} <= {b:g} ms" for name, b in slo if b is not None)
        rows.append(
            (
                f"goodput ({bounds})",
                f"{_fmt(m.request_goodput)} req/s ({m.good_requests} good)",
            )
        )
    errors = ", ".join(f"{kind} {count}" for kind, count in m.errors.items()) or "none"
    rows.append(("error rate", f"{m.error_rate:.2%} ({errors})"))
    if m.cost_per_million_output_tokens is not None:
        rows.append(
            (
                f"cost per 1M output tokens (at ${m.price_per_hour:g}/h)",
                f"${m.cost_per_million_output_tokens:,.4f}",
            )
        )
    for name, value in rows:
        table.add_row(name, value)
    return table


# (label, getter, higher is better)
_COMPARED: tuple[tuple[str, str, bool], ...] = (
    ("request throughput (req/s)", "request_throughput", True),
    ("output throughput (tok/s)", "output_throughput", True),
    ("peak output throughput (tok/s)", "max_output_tokens_per_s", True),
    ("goodput (req/s)", "request_goodput", True),
    ("TTFT p50 (ms)", "ttft.median", False),
    ("TTFT p99 (ms)", "ttft.p99", False),
    ("TPOT p50 (ms)", "tpot.median", False),
    ("TPOT p99 (ms)", "tpot.p99", False),
    ("ITL p50 (ms)", "itl.median", False),
    ("E2EL p50 (ms)", "e2el.median", False),
    ("E2EL p99 (ms)", "e2el.p99", False),
    ("error rate", "error_rate", False),
    ("mean concurrency", "mean_concurrency", True),
    ("peak concurrent requests", "max_concurrent_requests", True),
    ("$ per 1M output tokens", "cost_per_million_output_tokens", False),
)


def _get(metrics: BenchmarkMetrics, dotted: str) -> float | None:
    """The metric at ``dotted``; None when it is absent (an empty distribution)."""
    value: Any = metrics
    for part in dotted.split("."):
        if value is None:
            return None
        value = getattr(value, part)
    found: float | None = value  # a count (int) or a figure (float)
    return found


CompareRow = tuple[str, float | None, float | None, float | None, bool]


def compare_rows(a: BenchmarkMetrics, b: BenchmarkMetrics) -> list[CompareRow]:
    """(label, A, B, relative change B vs A, higher-is-better) for each compared metric."""
    rows = []
    for label, dotted, higher_better in _COMPARED:
        va, vb = _get(a, dotted), _get(b, dotted)
        change = (vb - va) / va if va and vb is not None else None
        rows.append((label, va, vb, change, higher_better))
    return rows


def compare_table(a: RunReport, b: RunReport, name_a: str, name_b: str) -> Table:
    table = Table(title="bench --compare", title_justify="left")
    table.add_column("metric")
    table.add_column(f"A: {name_a}", justify="right")
    table.add_column(f"B: {name_b}", justify="right")
    table.add_column("B vs A", justify="right")
    for label, va, vb, change, higher_better in compare_rows(a.metrics, b.metrics):
        if va is None and vb is None:
            continue
        delta: str | Text = "-"
        if change is not None:
            better = change > 0 if higher_better else change < 0
            colour = "green" if better else "red" if change else ""
            delta = Text(f"{change:+.1%}", style=colour)
        table.add_row(label, _fmt(va), _fmt(vb), delta)
    for key in ("mode", "model", "url"):
        table.add_row(key, str(a.meta.get(key, "")), str(b.meta.get(key, "")), "")
    return table
