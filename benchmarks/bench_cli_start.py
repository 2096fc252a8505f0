"""Benchmark (not a test): how fast the CLI answers, beside the floor of importing Pulumi.

Each figure is the wall time of a fresh process (the interpreter's start included), median of N
runs, interleaved so every command sees the same host load:

- `python -c "import pulumi, pulumi_aws"`: the floor any Pulumi program pays;
- `graviton-llm --help`: the CLI's start (target <= 0.3 s on the development machine);
- `graviton-llm plan --stack prod --json`: the shipped prod stack planned offline twice (with
  the mocks' values and as a first preview), checked and costed (target <= 2 s);
- `python -X importtime -c "import graviton_llm.cli"`: the ten slowest imports of the CLI.

With `--baseline DIR` (a source tree of an earlier commit, e.g. from `git archive`), the two
CLI commands run from that tree too (PYTHONPATH=DIR, same virtualenv), interleaved with ours, so
before and after see the same host load.

    .venv/bin/python benchmarks/bench_cli_start.py [--repeat N] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

CLI = [sys.executable, "-m", "graviton_llm.cli"]
FLOOR = "import pulumi, pulumi_aws (floor)"
# What the shipped prod stack's resources need of pulumi_aws: a plan cannot import less.
STACK_MODULES = (
    "import pulumi, pulumi_aws as aws; aws.ec2.SecurityGroup; aws.autoscaling.Group; "
    "aws.lb.LoadBalancer; aws.iam.Role; aws.cloudwatch.MetricAlarm; aws.kms.Key; aws.sns.Topic"
)
COMMANDS: dict[str, tuple[list[str], str | None]] = {
    FLOOR: ([sys.executable, "-c", "import pulumi, pulumi_aws"], None),
    "+ the modules prod's resources are in": ([sys.executable, "-c", STACK_MODULES], None),
    "graviton-llm --help": ([*CLI, "--help"], None),
    "graviton-llm plan --stack prod --json": ([*CLI, "plan", "--stack", "prod", "--json"], None),
}


def timed(argv: list[str], pythonpath: str | None = None) -> float:
    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else None
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, cwd="/", check=False, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv}: exit {done.returncode}\n{done.stderr.decode()[-2000:]}")
    return elapsed


def slowest_imports(count: int = 10) -> list[tuple[float, str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import graviton_llm.cli"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (.+)", line)
        if match:
            rows.append((int(match.group(1)) / 1e6, match.group(2)))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--baseline", type=Path, help="An earlier source tree to compare with.")
    options = parser.parse_args()
    repeat = options.repeat
    commands = dict(COMMANDS)
    if options.baseline is not None:
        for name in ("graviton-llm --help", "graviton-llm plan --stack prod --json"):
            commands[f"{name} (baseline)"] = (COMMANDS[name][0], str(options.baseline.resolve()))
    for argv, path in commands.values():  # warm the file cache
        timed(argv, path)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (argv, path) in commands.items():
            times[name].append(timed(argv, path))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {repeat} runs")
    for name, values in times.items():
        print(
            f"  {name:52s} median {statistics.median(values):6.3f} s  "
            f"(min {min(values):.3f}, max {max(values):.3f})"
        )
    print("slowest imports of graviton_llm.cli (cumulative):")
    for seconds, module in slowest_imports():
        print(f"  {seconds:6.3f} s  {module.strip()}")


if __name__ == "__main__":
    main()
