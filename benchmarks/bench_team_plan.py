"""Benchmark (not a test): `graviton-llm plan PROJECT_DIR --json` on the hand-written team
project (tests/fixtures/team_project, two clusters and a VPC), as a user runs it: a fresh
process each time. Since issue 27 the team's program runs in a child process with a time limit;
this measures what that costs.

    .venv/bin/python benchmarks/bench_team_plan.py [--repeat N]
    PYTHONPATH=/path/to/checkout .venv/bin/python benchmarks/bench_team_plan.py   # another version

Prints the median and the spread of wall time and of CPU time (user + system, the command and
every process it started), after one warm-up run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "team_project"


def once() -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-P",  # the package on the path (PYTHONPATH or installed), not the current folder
            "-m",
            "graviton_llm.cli",
            "plan",
            str(PROJECT),
            "--stack",
            "staging",
            "--json",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    once()
    runs = [once() for _ in range(repeat)]
    for label, values in (("wall", [w for w, _ in runs]), ("cpu", [c for _, c in runs])):
        print(
            f"{label}: median {statistics.median(values):.2f} s, "
            f"min {min(values):.2f} s, max {max(values):.2f} s ({repeat} runs)"
        )


if __name__ == "__main__":
    main()
