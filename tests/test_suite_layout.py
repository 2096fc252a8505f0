"""The two test commands README.md gives: the full suite, which CI runs, and the fast core
(`-m "not slow"`), which must select a strict subset of it. Every test file that starts
processes, builds or boots is marked slow, or says here why it stays fast, so a new slow test
cannot slip into the core unmarked."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
README = (ROOT / "README.md").read_text()

FULL = "./scripts/setup.sh && .venv/bin/python -m pytest"

# What makes a test slow here: a process per test (an interpreter starts in about a second on
# two busy cores), a virtualenv or wheel, a boot of the sandbox, a team program's child process.
HEAVY = re.compile(
    r"\bsubprocess\b|\bPopen\b|os\.fork\b|\b(sandbox|scenarios|booted)\b|folder_venv|"
    r"plugin_channel|real_host|agent_support|build_project_plan|run_project"
)
MARKED = re.compile(r"pytest\.mark\.slow\b")
MIXED = "tests/node_agent/test_config.py"  # slow tests beside fast ones

# Files that match HEAVY yet belong in the core, and why.
FAST_DESPITE = {
    "args/test_args_fuzz.py": "bash -n on a few scripts",
    "components/test_operations.py": "names the sandbox in a docstring only",
    "node/test_user_data.py": "shellcheck on eight scripts, tens of milliseconds each",
    "node_agent/test_fetch_api_key.py": "the agent run twice on python3",
    "node_agent/test_model_store.py": "in-process; subprocess only types its fake aws",
    "node_agent/test_unit_regions.py": "renders a node config, runs nothing",
    "node_agent/test_units.py": "systemd-analyze verify, tens of milliseconds per unit",
    "plan/test_team_program_modules.py": "one small project planned twice",
    "pricing/test_prices.py": "the maintainer script once on a small offer file",
    "facts/test_hardware_families.py": "one python -c that imports the performance model",
    "test_testing_secrets.py": "team projects planned in-process (run_project), no child",
}


def _fast_command() -> list[str]:
    found = re.findall(r"^\.venv/bin/python -m pytest (-m .+)$", README, re.MULTILINE)
    assert len(found) == 1, "README.md gives one fast-core command"
    return shlex.split(found[0])


def test_ci_runs_the_readme_full_command() -> None:
    assert f"\n{FULL}\n" in README
    assert (ROOT / ".ci/run").read_text().rstrip().endswith(FULL)


@pytest.mark.slow
def test_the_fast_command_selects_a_strict_subset() -> None:
    """On a slow module, a mixed one and a fast one (one collection, as the README runs it):
    the core keeps the fast tests only, and leaves some out."""
    files = ["tests/test_type_check.py", MIXED, "tests/test_changelog.py"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         *_fast_command(), *files],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    kept = [line for line in done.stdout.splitlines() if "::" in line]
    counted = re.search(r"(\d+)/(\d+) tests collected \((\d+) deselected\)", done.stdout)
    assert counted, done.stdout[-2000:]
    selected, total, deselected = map(int, counted.groups())
    assert 0 < selected == len(kept) < total and deselected == total - selected
    assert not any(t.startswith("tests/test_type_check.py") for t in kept)
    assert any(t.startswith(MIXED) for t in kept)
    assert sum(t.startswith("tests/test_changelog.py") for t in kept) == len(
        [n for n in (TESTS / "test_changelog.py").read_text().split("\ndef test_")[1:]]
    )


def test_every_heavy_test_file_is_marked_slow_or_says_why_it_is_fast() -> None:
    unmarked = []
    for path in sorted(TESTS.rglob("test_*.py")):
        name = path.relative_to(TESTS).as_posix()
        text = path.read_text()
        if HEAVY.search(text) and not MARKED.search(text) and name not in FAST_DESPITE:
            unmarked.append(name)
    assert not unmarked, (
        f"{unmarked} start processes, build or boot: mark their slow tests "
        "@pytest.mark.slow (or pytestmark = pytest.mark.slow), or add the file to FAST_DESPITE "
        "with the reason it stays fast"
    )
    stale = [n for n in FAST_DESPITE if not (TESTS / n).exists()]
    assert not stale, f"FAST_DESPITE names files that are gone: {stale}"
