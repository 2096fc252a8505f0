"""A light install (issue 22, item 8): the default dependencies are what a Pulumi program needs;
`bench` and `mock-server` take theirs from the `bench` extra and say so when it is missing; the
CLI's start imports neither Pulumi nor the benchmark (its speed is in benchmarks/RESULTS.md,
measured by benchmarks/bench_cli_start.py, not timed here)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

# Installs into fresh virtualenvs and times the CLI in child processes.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BENCH_ONLY = {"aiohttp", "matplotlib", "tokenizers"}
# (pydantic is not among them: typer itself loads it to convert a command's options.)
HEAVY = ("pulumi", "pulumi_aws", "numpy", "boto3", "botocore", "yaml", *sorted(BENCH_ONLY))


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


def _names(requirements: list[str]) -> set[str]:
    return {r.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip() for r in requirements}


def test_the_default_install_leaves_the_benchmark_dependencies_to_the_bench_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not _names(project["dependencies"]) & BENCH_ONLY
    assert _names(project["optional-dependencies"]["bench"]) == BENCH_ONLY
    # CI installs the test extra, which brings the bench extra with it.
    assert "graviton-llm[bench]" in project["optional-dependencies"]["test"]


LOADED_AFTER = """
import json, sys
sys.argv = ["graviton-llm", *sys.argv[1:]]
from graviton_llm.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [["--help"], ["plan", "--help"], ["bench", "--help"]])
def test_the_cli_answers_help_without_importing_pulumi_or_the_benchmark(argv):
    done = _run(LOADED_AFTER, *argv)
    assert "Usage" in done.stdout, done.stdout + done.stderr
    loaded = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert not {name for name in loaded if name.split(".")[0] in HEAVY}
    assert not {name for name in loaded if name.startswith("graviton_llm.components")}
    assert "graviton_llm.bench.load_generator" not in loaded


WITHOUT_EXTRA = """
import sys
for name in ("aiohttp", "matplotlib", "tokenizers"):
    sys.modules[name] = None  # as when the bench extra is not installed
sys.argv = ["graviton-llm", *sys.argv[1:]]
from graviton_llm.cli import main
main()
"""


@pytest.mark.parametrize(
    ("argv", "missing"),
    [
        (["bench", "--url", "http://127.0.0.1:9", "--num-requests", "1"], "aiohttp and matplotlib"),
        (["bench", "--url", "http://127.0.0.1:9", "--no-plot"], "aiohttp"),
        (["mock-server", "--port", "9"], "aiohttp"),
    ],
)
def test_a_bench_command_without_the_extra_says_how_to_install_it(argv, missing):
    done = _run(WITHOUT_EXTRA, *argv)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    said = " ".join(done.stdout.split())
    assert f"needs {missing} (optional dependencies of graviton-llm[bench]" in said
    assert "pip install 'graviton-llm[bench]'" in said


def test_comparing_two_results_needs_no_client():
    """--compare reads two JSON files: no aiohttp, no plots."""
    done = _run(WITHOUT_EXTRA, "bench", "--compare", "/nonexistent/a.json", "/nonexistent/b.json")
    assert done.returncode == 2 and "graviton-llm[bench]" not in done.stdout
    assert "--compare" in done.stdout
