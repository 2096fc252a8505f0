"""Report (not a test): issue 27's table, redone. Every case of the hostile corpus in
tests/corpus/ (CLI stack files, flags, documents and team programs; poisoned cache entries and
planted links for model-store; hostile servers and flags for bench and mock-server; hostile
answers for the latency exporter), each in a forked child with a time limit and a capped
address space, classified as clear error, traceback, hang, wrong or escape.

    .venv/bin/python benchmarks/hostile_corpus.py [--surface cli] [--list]

Another checkout's code (to compare with the code before a fix):

    PYTHONPATH=/path/to/checkout .venv/bin/python benchmarks/hostile_corpus.py

Prints the table, then every case that is not a clear error with what it came to.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
for folder in ("corpus", "node_agent", "bench", ""):
    sys.path.insert(0, str(TESTS / folder))

from bench import bench_cases  # noqa: E402
from cli import cli_cases  # noqa: E402
from node import node_cases  # noqa: E402
from runner import run_case, table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surface", action="append", help="only these surfaces")
    parser.add_argument("--list", action="store_true", help="every case and its outcome")
    options = parser.parse_args()
    import graviton_llm.cli  # noqa: F401  (imported once, before the children fork)

    cases = [*cli_cases(), *node_cases(), *bench_cases()]
    results: dict[str, list] = {}
    started = time.monotonic()
    for case in cases:
        if options.surface and case.surface not in options.surface:
            continue
        outcome, detail = run_case(case)
        results.setdefault(case.surface, []).append((case, outcome, detail))
        if options.list:
            print(f"{outcome:9} {case.surface}: {case.name}", flush=True)
    print(table(results))
    print(f"\n{sum(map(len, results.values()))} cases in {time.monotonic() - started:.0f} s")
    for rows in results.values():
        for case, outcome, detail in rows:
            if outcome != "clear":
                print(f"- {outcome}: {case.surface}: {case.name} {detail[-200:]}".rstrip())


if __name__ == "__main__":
    main()
