"""Output of a run: the summary table, JSON (metrics + records), CSV (records), PNG plots, and
the ``--compare`` view. Reads metrics and records; computes nothing new.
"""

from __future__ import annotations

import csv
import json
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from .metrics import BenchmarkMetrics, throughput_over_time
from .records import CSV_COLUMNS, RequestRecord, csv_row

JSON_FORMAT = "graviton-llm-bench/1"


@dataclass
class RunReport:
    """What a JSON file holds: where and how the run was made, its metrics and its records."""

    meta: dict[str, Any]
    metrics: BenchmarkMetrics
    records: list[RequestRecord]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": JSON_FORMAT,
            "meta": self.meta,
            "metrics": self.metrics.to_dict(),
            "records": [r.to_dict() for r in self.records],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunReport:
        if data.get("format") != JSON_FORMAT:
            raise ValueError(f"not a graviton-llm bench result (format {data.get('format')!r})")
        return cls(
            meta=data["meta"],
            metrics=BenchmarkMetrics.from_dict(data["metrics"]),
            records=[RequestRecord.from_dict(r) for r in data["records"]],
        )


def machine() -> dict[str, Any]:
    import os

    return {
        "host": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def write_json(path: Path, report: RunReport) -> None:
    path.write_text(json.dumps(report.to_dict(), indent=1) + "\n", encoding="utf-8")


def read_json(path: Path) -> RunReport:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: cannot read a bench result ({error})") from None
    return RunReport.from_dict(data)


def write_csv(path: Path, records: list[RequestRecord]) -> None:
    origin = min((r.send_time for r in records), default=0.0)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for record in records:
            writer.writerow(csv_row(record, origin))


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def summary_table(metrics: BenchmarkMetrics, title: str) -> Table:
    m = metrics
    table = Table(title=title, show_header=True, title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows: list[tuple[str, str]] = [
        ("requests (completed / failed)", f"{m.completed} / {m.failed}"),
        ("window (first send -> last end)", f"{m.duration_s:.3f} s"),
        ("request throughput", f"{_fmt(m.request_throughput)} req/s"),
        ("output token throughput", f"{_fmt(m.output_throughput)} tok/s"),
        ("total token throughput", f"{_fmt(m.total_token_throughput)} tok/s"),
        ("prompt / output tokens", f"{m.prompt_tokens:,} / {m.output_tokens:,}"),
        ("mean concurrency (measured)", _fmt(m.mean_concurrency)),
    ]
    for name, dist in (("TTFT", m.ttft), ("TPOT", m.tpot), ("ITL", m.itl), ("E2E", m.e2e)):
        rows.append(
            (
                f"{name} ms  mean / p50 / p90 / p99",
                " / ".join(_fmt(v) for v in (dist.mean, dist.median, dist.p90, dist.p99)),
            )
        )
    if m.goodput is not None:
        slo = (("TTFT", m.slo.ttft_ms), ("TPOT", m.slo.tpot_ms), ("E2E", m.slo.e2e_ms))
        bounds = ", ".join(f"{name} <= {b:g} ms" for name, b in slo if b is not None)
        rows.append((f"goodput ({bounds})", f"{_fmt(m.goodput)} req/s ({m.good_requests} good)"))
    errors = ", ".join(f"{kind} {count}" for kind, count in m.errors.items()) or "none"
    rows.append(("error rate", f"{m.error_rate:.2%} ({errors})"))
    if m.requests_without_usage:
        rows.append(("answers without usage (chunk-counted)", str(m.requests_without_usage)))
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
    ("goodput (req/s)", "goodput", True),
    ("TTFT p50 (ms)", "ttft.median", False),
    ("TTFT p99 (ms)", "ttft.p99", False),
    ("TPOT p50 (ms)", "tpot.median", False),
    ("TPOT p99 (ms)", "tpot.p99", False),
    ("ITL p50 (ms)", "itl.median", False),
    ("E2E p50 (ms)", "e2e.median", False),
    ("E2E p99 (ms)", "e2e.p99", False),
    ("error rate", "error_rate", False),
    ("mean concurrency", "mean_concurrency", True),
    ("$ per 1M output tokens", "cost_per_million_output_tokens", False),
)


def _get(metrics: BenchmarkMetrics, dotted: str) -> float | None:
    value: Any = metrics
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


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
        delta = "-"
        if change is not None:
            better = change > 0 if higher_better else change < 0
            colour = "green" if better else "red" if change else ""
            delta = f"[{colour}]{change:+.1%}[/]" if colour else f"{change:+.1%}"
        table.add_row(label, _fmt(va), _fmt(vb), delta)
    for key in ("mode", "model", "url"):
        table.add_row(key, str(a.meta.get(key, "")), str(b.meta.get(key, "")), "")
    return table


def write_plots(path: Path, records: list[RequestRecord], title: str) -> None:
    """Latency CDFs (TTFT, TPOT, ITL, E2E) and output throughput over time, in one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    done = [r for r in records if not r.warmup and r.ok]
    series = {
        "TTFT": [r.ttft for r in done if r.ttft is not None],
        "TPOT": [t for r in done if (t := r.tpot) is not None],
        "ITL": [gap for r in done for gap in r.itl],
        "E2E": [r.e2e for r in done],
    }
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), constrained_layout=True)
    fig.suptitle(title)
    for ax, (name, seconds) in zip(axes.flat, series.items(), strict=False):
        ax.set_title(f"{name} CDF")
        ax.set_xlabel("ms")
        ax.set_ylabel("fraction of requests" if name != "ITL" else "fraction of gaps")
        ax.grid(alpha=0.3)
        if not seconds:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            continue
        values = np.sort(np.asarray(seconds) * 1000.0)
        ax.step(values, np.arange(1, len(values) + 1) / len(values), where="post")
        for q, colour in ((50, "tab:orange"), (99, "tab:red")):
            ax.axvline(np.percentile(values, q), linestyle="--", color=colour, label=f"p{q}")
        ax.legend(loc="lower right")

    ax = axes.flat[4]
    measured = [r for r in records if not r.warmup]
    span = max((r.end_time for r in measured), default=0.0) - min(
        (r.send_time for r in measured), default=0.0
    )
    bin_s = max(span / 60.0, 0.05) if span > 0 else 1.0
    starts, rates = throughput_over_time(records, bin_s)
    ax.set_title(f"output throughput over time ({bin_s:.2g} s bins)")
    ax.set_xlabel("s since first send")
    ax.set_ylabel("tokens/s")
    ax.grid(alpha=0.3)
    if starts:
        ax.bar(starts, rates, width=bin_s, align="edge", alpha=0.7)

    ax = axes.flat[5]
    ax.set_title("requests in flight")
    ax.set_xlabel("s since first send")
    ax.grid(alpha=0.3)
    if measured:
        origin = min(r.send_time for r in measured)
        events = sorted(
            [(r.send_time - origin, 1) for r in measured]
            + [(r.end_time - origin, -1) for r in measured]
        )
        times = [t for t, _ in events]
        level = np.cumsum([d for _, d in events])
        ax.step(times, level, where="post")
    fig.savefig(path, dpi=100)
    plt.close(fig)
