"""``bench.png``: latency CDFs, output throughput over time and requests in flight."""

from __future__ import annotations

from pathlib import Path

from .metrics import throughput_over_time
from .records import RequestRecord


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
