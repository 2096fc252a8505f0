"""Issue 27's corpus (tests/corpus/), run whole as a test: every CLI, model-store and exporter
case ends as a clear error or as it should (the bench cases, which push hundreds of megabytes
through loopback, run in benchmarks/hostile_corpus.py; tests/bench/test_hostile_bounds.py has
each of their shapes). A fresh process runs the corpus: its cases fork, which a test process
with threads of its own could not do safely."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "benchmarks" / "hostile_corpus.py"


def test_every_case_of_the_corpus_is_a_clear_error_or_handled():
    surfaces = ["cli", "model-store", "latency exporter"]
    argv = [sys.executable, str(REPORT)] + [f"--surface={s}" for s in surfaces]
    report = subprocess.run(argv, capture_output=True, text=True, timeout=1200, check=False)
    assert report.returncode == 0, report.stderr[-3000:]
    rows = [line for line in report.stdout.splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[0].strip("| ") for row in rows] == surfaces, report.stdout
    for row in rows:
        tried, clear = (int(cell) for cell in row.split(" | ")[1:3])
        assert tried >= 15 and clear == tried, report.stdout
    assert "\n- " not in report.stdout, report.stdout
