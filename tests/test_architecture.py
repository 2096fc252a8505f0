"""The layers in ARCHITECTURE.md hold: import contracts (pyproject.toml) pass on the package and
fail on a wrong-way import; no module outgrows a reader."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Runs lint-imports in a child process.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "graviton_llm"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(package_parent: Path) -> subprocess.CompletedProcess[str]:
    """Run the project's contracts on the graviton_llm found under ``package_parent``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=package_parent,
        env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_package_keeps_every_import_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_way", "contract"),
    [
        ("facts/units.py", "from graviton_llm.args import problems", "Layers import only"),
        ("node/paths.py", "import graviton_llm.components.tagging", "Layers import only"),
        ("facts/units.py", "import pydantic", "Facts are plain Python"),
        ("pricing/cost.py", "from graviton_llm.args import problems", "Pricing stands beside"),
        ("sizing/search.py", "import graviton_llm.plan.build", "Sizing stands beside"),
        ("sizing/calibrate.py", "from graviton_llm.bench import report", "Sizing stands beside"),
        ("scaffold/__init__.py", "import graviton_llm.program", "The project templates are"),
    ],
)
def test_a_wrong_way_import_breaks_a_contract(tmp_path, module, wrong_way, contract):
    copy = tmp_path / "graviton_llm"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n{wrong_way}  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout


def test_no_module_is_over_about_400_lines():
    sizes = {
        path.relative_to(PACKAGE).as_posix(): len(path.read_text().splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > 420} == {}
