"""The files a run leaves: JSON (metrics + records) and CSV (records). Reads metrics and records;
computes nothing new.

``bench.json`` holds, at its top level, the keys ``vllm bench serve --save-result`` writes
(vLLM vllm/benchmarks/serve.py: ``date``, ``backend``, ``model_id``, ``num_prompts``,
``request_rate``, ``burstiness``, ``max_concurrency``, ``duration``, ``completed``,
``mean_ttft_ms``, ``p99_itl_ms``, ``max_output_tokens_per_s``, ...) with the same meaning, so
tools that read vLLM's results read ours; then our own keys, ``meta`` (the run's settings and
machine) and ``records`` (one object per request).
"""

from __future__ import annotations

import csv
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..safeio.files import expect, load_json
from ..safeio.json_text import to_json
from .metrics import BenchmarkMetrics
from .records import CSV_COLUMNS, RequestRecord, csv_row

JSON_FORMAT = "graviton-llm-bench/2"


@dataclass
class RunReport:
    """What a JSON file holds: where and how the run was made, its metrics and its records."""

    meta: dict[str, Any]
    metrics: BenchmarkMetrics
    records: list[RequestRecord]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": JSON_FORMAT,
            **vllm_run_keys(self.meta),
            **self.metrics.to_dict(),
            "meta": self.meta,
            "records": [r.to_dict() for r in self.records],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunReport:
        if data.get("format") != JSON_FORMAT:
            raise ValueError(f"not a graviton-llm bench result (format {data.get('format')!r})")
        return cls(
            meta=data["meta"],
            metrics=BenchmarkMetrics.from_dict(data),
            records=[RequestRecord.from_dict(r) for r in data["records"]],
        )


def vllm_run_keys(meta: dict[str, Any]) -> dict[str, Any]:
    """The run description vLLM puts at the top of its result file, from our ``meta``.

    A fixed-concurrency run is vLLM's ``--request-rate inf --max-concurrency C``: every request
    is ready at once and C are in flight.
    """
    started = meta.get("started_at")
    closed_loop = meta.get("request_rate") is None
    backend = "openai-chat" if meta.get("endpoint") == "chat" else "openai"
    return {
        "date": time.strftime("%Y%m%d-%H%M%S", time.localtime(started)) if started else None,
        "endpoint_type": backend,
        "backend": backend,
        "label": None,
        "model_id": meta.get("model"),
        "tokenizer_id": meta.get("tokenizer"),
        "num_prompts": meta.get("num_requests"),
        "request_rate": "inf" if closed_loop else meta.get("request_rate"),
        "burstiness": meta.get("burstiness", 1.0),
        "max_concurrency": (meta.get("concurrency") or 1)
        if closed_loop
        else meta.get("concurrency"),
    }


def machine() -> dict[str, Any]:
    import os

    return {
        "host": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def write_json(path: Path, report: RunReport) -> None:
    path.write_text(to_json(report.to_dict()), encoding="utf-8")


MAX_RESULT_BYTES = 256 * 2**20  # ours: 10,000 requests' records are about 10 MB


def read_json(path: Path) -> RunReport:
    """A bench.json, or a ValueError saying why it is not one (the file is read with safeio's
    caps: a regular file, bounded in bytes and depth)."""
    data = load_json(path, limit=MAX_RESULT_BYTES, what="a bench result")
    where = f"{path}: not a graviton-llm bench result"
    if not isinstance(data, dict):
        raise ValueError(f"{where} (not a JSON object)")
    expect(data.get("meta"), dict, f"{where}: `meta`", "it holds the run's settings")
    records = expect(data.get("records"), list, f"{where}: `records`", "one object a request")
    if not all(isinstance(record, dict) for record in records):
        raise ValueError(f"{where}: a record is not an object")
    try:
        return RunReport.from_dict(data)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{where} ({type(error).__name__}: {error})") from None


def write_csv(path: Path, records: list[RequestRecord]) -> None:
    origin = min((r.send_time for r in records), default=0.0)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for record in records:
            writer.writerow(csv_row(record, origin))


def prepare_output_dir(directory: Path) -> None:
    """Create ``directory`` and prove a file can be written there, before the run: a run
    whose results cannot be saved is a run lost. Raises ValueError saying why."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".bench-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"--out {directory}: cannot write there ({error.strerror})") from None


def write_run_files(directory: Path, report: RunReport, plot_title: str | None) -> list[Path]:
    """bench.json, records.csv and (with a title) bench.png; the paths written."""
    from .plots import write_plots

    written = [directory / "bench.json", directory / "records.csv"]
    write_json(written[0], report)
    write_csv(written[1], report.records)
    if plot_title is not None:
        write_plots(directory / "bench.png", report.records, plot_title)
        written.append(directory / "bench.png")
    return written
