"""A team's tests run its program in their own process (plan.project.build_project_plan), from a
virtualenv that the scaffold puts inside the project (`virtualenv: .venv`). What the program
imported of its own code is put back after each run; what it imported of an installed library is
kept, wherever the virtualenv lies (issue 22, item 2: pulumi_aws's lazily imported submodules were
evicted, and the next use failed with NameError: name 'ParameterType' is not defined)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from graviton_llm.plan.project import build_project_plan

PROGRAM = """\
import pulumi
import lazylib
import teammodule

pulumi.export("kind", lazylib.kinds.Kind.name + teammodule.SUFFIX)
"""
# A library that imports a submodule on first use, as pulumi_aws does (pulumi._utils.lazy_import):
# the submodule enters sys.modules during the program's run.
LAZY_INIT = """\
import importlib


def __getattr__(name):
    return importlib.import_module(f"{__name__}.{name}")
"""


@pytest.fixture
def project_with_its_venv(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "search-llm"
    site = root / ".venv" / "lib" / "python3" / "site-packages"
    (site / "lazylib").mkdir(parents=True)
    (site / "lazylib" / "__init__.py").write_text(LAZY_INIT)
    (site / "lazylib" / "kinds.py").write_text("class Kind:\n    name = 'lazy'\n")
    (root / "Pulumi.yaml").write_text(
        'name: search-llm\nruntime: {name: python, options: {toolchain: pip, virtualenv: .venv}}\n'
        'requiredPulumiVersion: ">=3.139.0"\n'
    )
    (root / "__main__.py").write_text(PROGRAM)
    (root / "teammodule.py").write_text("SUFFIX = '-ours'\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    # This interpreter as it runs from the project's own virtualenv.
    monkeypatch.setattr(sys, "prefix", str(root / ".venv"))
    monkeypatch.syspath_prepend(str(site))
    yield root
    for name in [n for n in sys.modules if n.split(".")[0] in ("lazylib", "teammodule")]:
        del sys.modules[name]


def test_a_library_in_a_virtualenv_inside_the_project_stays_imported(project_with_its_venv):
    first = build_project_plan(project_with_its_venv, "dev")
    assert first.run.result.stack_outputs["kind"] == "lazy-ours"
    kinds = sys.modules["lazylib.kinds"]  # imported during the run: kept
    second = build_project_plan(project_with_its_venv, "dev")
    assert second.run.result.stack_outputs["kind"] == "lazy-ours"
    assert sys.modules["lazylib.kinds"] is kinds
    # The project's own module is read afresh by each run (a team edits it between runs).
    assert "teammodule" not in sys.modules
