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
        ("node/paths.py", "import graviton_llm.components.parts.tagging", "Layers import only"),
        ("facts/units.py", "import pydantic", "Facts are plain Python"),
        ("pricing/cost.py", "from graviton_llm.args import problems", "Pricing stands beside"),
        ("sizing/search.py", "import graviton_llm.plan.build", "Sizing stands beside"),
        ("sizing/calibrate.py", "from graviton_llm.bench import report", "Sizing stands beside"),
        ("scaffold/__init__.py", "import graviton_llm.project", "The project templates are"),
        # Even a type-only import back closes a circle (the rules once named the cluster model).
        (
            "args/operations_rules.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from graviton_llm.args.cluster import NeuronServingClusterArgs",
            "No module imports one that imports it back",
        ),
        ("bench/tokens.py", "from graviton_llm.bench import workload", "No module imports one"),
        (
            "components/rollout.py",
            "from . import neuron_serving_cluster",
            "No module imports one",
        ),
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


def test_the_args_layer_reads_no_config_no_environment_no_files():
    """Args are values: the stack's config, the environment and the region they imply are read
    by the component layer (components/parts/inputs.default_provider_region) and passed in."""
    import ast

    reads = {"pulumi.Config", "os.environ", "os.getenv", "pulumi.get_stack", "pulumi.get_project",
             "open", "Path.read_text"}  # fmt: skip
    found = []
    for path in (PACKAGE / "args").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute | ast.Name) and ast.unparse(node) in reads:
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert found == []
