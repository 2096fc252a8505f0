"""The files a run leaves: JSON (metrics + records) and CSV (records). Reads metrics and records;
computes nothing new.
"""

from __future__ import annotations

import csv
import json
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .metrics import BenchmarkMetrics
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
