"""The pack's folder is what `pulumi preview --policy-pack` starts: PulumiPolicy.yaml names the
Python runtime and the virtualenv the engine runs it in (pulumi-language-python's RunPlugin
gives an analyzer no default virtualenv, so without the option it would use whatever python3
is first on PATH), __main__.py serves every rule, requirements.txt pins this version; the docs
show the same three files."""

from __future__ import annotations

import runpy
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from graviton_llm.policy import PACK_NAME, pack, rules

# Makes the folder's virtualenv as pulumi install does.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "policy-pack"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_pulumipolicy_yaml_runs_python_in_the_folders_virtualenv() -> None:
    project = yaml.safe_load((FOLDER / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {
        "name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}
    }  # fmt: skip
    assert project["version"] == VERSION
    assert (FOLDER / ".gitignore").read_text().split() == ["venv/"]


def test_requirements_pin_this_version_with_the_policy_extra() -> None:
    lines = [
        line
        for line in (FOLDER / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines == [f"graviton-llm[policy]=={VERSION}"]


def test_main_serves_every_rule_as_one_pack(monkeypatch) -> None:
    served: dict[str, Any] = {}

    def record(name: str, policies: list[Any], *args: Any, **kwargs: Any) -> None:
        served.update(name=name, policies=[p.name for p in policies])

    monkeypatch.setattr(pack, "PolicyPack", record)  # the real one serves until killed
    runpy.run_path(str(FOLDER), run_name="__main__")  # as `python -m pulumi.policy` runs it
    assert served == {"name": PACK_NAME, "policies": [r.id for r in rules()]}


def test_the_docs_show_the_folders_files_as_they_are() -> None:
    docs = (ROOT / "docs" / "policy-pack.md").read_text()
    for name in ("PulumiPolicy.yaml", "__main__.py", "requirements.txt"):
        assert (FOLDER / name).read_text() in docs, name


def test_the_requirements_say_where_graviton_llm_comes_from_and_the_docs_show_each_source() -> None:
    from support_folder_venv import documented_source

    body = documented_source(FOLDER, ROOT / "docs" / "policy-pack.md",
                             "Where the pack installs graviton-llm from")  # fmt: skip
    for source in ("PIP_INDEX_URL=", "--index-url https://", "never `--extra-index-url`",
                   "graviton-llm[policy] @ https://", "#sha256=", "@ git+https://"):  # fmt: skip
        assert source in body, source
    assert "dependency confusion" in body
