"""Issue 27's corpus (tests/corpus/), run whole as a test: every CLI, model-store and exporter
case ends as a clear error or as it should (the bench cases, which push hundreds of megabytes
through loopback, run in benchmarks/hostile_corpus.py; tests/bench/test_hostile_bounds.py has
each of their shapes). A fresh process runs the corpus: its cases fork, which a test process
with threads of its own could not do safely."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPORT = Path(__file__).resolve().parent.parent / "benchmarks" / "hostile_corpus.py"


@pytest.mark.slow
def test_every_case_of_the_corpus_is_a_clear_error_or_handled(tmp_path: Path) -> None:
    surfaces = ["cli", "model-store", "latency exporter"]
    argv = [sys.executable, str(REPORT)] + [f"--surface={s}" for s in surfaces]
    temp = tmp_path / "tmp"  # its own temp dir: what the cases leave there is seen
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    report = subprocess.run(
        argv, capture_output=True, text=True, timeout=1200, check=False, env=env
    )
    assert report.returncode == 0, report.stderr[-3000:]
    assert sorted(p.name for p in temp.iterdir()) == [], "the corpus left files in the temp dir"
    rows = [line for line in report.stdout.splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[0].strip("| ") for row in rows] == surfaces, report.stdout
    for row in rows:
        tried, clear = (int(cell) for cell in row.split(" | ")[1:3])
        assert tried >= 15 and clear == tried, report.stdout
    assert "\n- " not in report.stdout, report.stdout


@pytest.mark.slow
def test_a_case_leaves_nothing_in_the_temp_dir_even_when_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cases make folders with tempfile (corpus-*, node-*); run_case removes them, also for
    a case that hangs and is killed at its time limit."""
    sys.path.insert(0, str(Path(__file__).parent / "corpus"))
    from runner import Case, run_case

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def leaves_a_folder(hang: bool) -> str:
        folder = Path(tempfile.mkdtemp(prefix="corpus-"))
        (folder / "Pulumi.case.yaml").write_text("config: {}\n")
        os.mkfifo(folder / "pipe")
        if hang:
            os.read(os.open(folder / "pipe", os.O_RDONLY), 1)  # never written: a hang
        return "clear"

    assert run_case(Case("cli", "leaves", lambda: leaves_a_folder(False))) == ("clear", "")
    hung = run_case(Case("cli", "hangs", lambda: leaves_a_folder(True), timeout_s=1))
    assert hung[0] == "hang"
    assert sorted(p.name for p in tmp_path.iterdir()) == []
