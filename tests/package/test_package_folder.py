"""The component package's folder is what `pulumi package add` takes: PulumiPlugin.yaml names the
Python runtime and its virtualenv (pulumi-language-python's RunPlugin defaults a plugin to venv/
with pip; we name it so the folder says what the engine will do), __main__.py serves the
provider on the engine's address, requirements.txt pins this version; the docs show the same
files and the example programs."""

from __future__ import annotations

import runpy
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from graviton_llm.package import PACKAGE, PackageProvider, provider

# Makes the folder's virtualenv as pulumi install does.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "component-package"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_pulumiplugin_yaml_runs_python_in_the_folders_virtualenv() -> None:
    plugin = yaml.safe_load((FOLDER / "PulumiPlugin.yaml").read_text())
    assert plugin == {
        "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    }
    assert (FOLDER / ".gitignore").read_text().split() == ["venv/"]


def test_requirements_pin_this_version() -> None:
    lines = [
        line
        for line in (FOLDER / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines == [f"graviton-llm=={VERSION}"]


def test_main_serves_the_package_on_the_engines_address(monkeypatch) -> None:
    served: dict[str, Any] = {}

    def record(served_provider: Any, args: list[str]) -> None:
        served.update(provider=served_provider, args=args)

    monkeypatch.setattr(provider, "main", record)  # the real one serves until killed
    monkeypatch.setattr(sys, "argv", [str(FOLDER), "127.0.0.1:51234"])
    runpy.run_path(str(FOLDER), run_name="__main__")  # as `python <folder> <engine>` runs it
    assert isinstance(served["provider"], PackageProvider) and served["args"] == ["127.0.0.1:51234"]
    assert served["provider"].version == VERSION
    schema = yaml.safe_load(served["provider"].schema)  # JSON is YAML
    assert schema["name"] == PACKAGE and len(schema["resources"]) == 3


def test_the_docs_show_the_folders_files_and_examples_as_they_are() -> None:
    docs = (ROOT / "docs" / "multi-language.md").read_text()
    for name in ("PulumiPlugin.yaml", "__main__.py", "requirements.txt",
                 "examples/yaml/Pulumi.yaml", "examples/typescript/index.ts"):  # fmt: skip
        assert (FOLDER / name).read_text() in docs, name


def test_the_requirements_say_where_graviton_llm_comes_from() -> None:
    from support_folder_venv import documented_source

    body = documented_source(FOLDER, ROOT / "docs" / "multi-language.md",
                             "Where the plugin installs graviton-llm from")  # fmt: skip
    for source in ("PIP_INDEX_URL", "--index-url", "never `--extra-index-url`", "#sha256=",
                   "git URL"):  # fmt: skip
        assert source in body, source
