"""The package ships py.typed: mypy in strict mode (pyproject.toml, [tool.mypy]) finds nothing in
graviton_llm/, and ruff finds nothing in the repository (issue 21, item 5). Both run here so the
README's test command, which .ci/run calls, checks them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Runs mypy --strict and ruff over the package.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command), cwd=ROOT, capture_output=True, text=True, timeout=1200, check=False
    )


def test_mypy_strict_finds_no_error_in_the_package():
    result = _run(str(BIN / "mypy"), "graviton_llm")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout


def test_ruff_finds_nothing():
    result = _run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout[-6000:]
