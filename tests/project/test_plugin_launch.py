"""Every Pulumi.yaml the project ships, its examples and `graviton-llm new` write lets the
engine start the program and its plugins (project/plugin_launch.py says what the engine does)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graviton_llm.project.plugin_launch import plugin_launch_problems
from graviton_llm.scaffold import KINDS, create_project

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [ROOT / "Pulumi.yaml", *sorted((ROOT / "examples").glob("*/Pulumi.yaml"))]


@pytest.mark.parametrize("project_file", SHIPPED, ids=lambda p: str(p.parent.relative_to(ROOT)))
def test_a_shipped_project_starts_its_plugins(project_file):
    assert plugin_launch_problems(project_file) == []


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_scaffolded_project_starts_its_plugins(tmp_path, kind):
    create_project(tmp_path / "p", name="p", kind=kind)
    assert plugin_launch_problems(tmp_path / "p" / "Pulumi.yaml") == []


def test_the_repository_program_and_stacks_sit_beside_pulumi_yaml():
    assert (ROOT / "__main__.py").is_file() and (ROOT / "stacks" / "Pulumi.dev.yaml").is_file()


def write(tmp_path: Path, text: str, program: str = "__main__.py") -> Path:
    (tmp_path / program).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / program).write_text("pass\n")
    if "requiredPulumiVersion" not in text:
        text += 'requiredPulumiVersion: ">=3.139.0"\n'
    (tmp_path / "Pulumi.yaml").write_text(text)
    return tmp_path / "Pulumi.yaml"


@pytest.mark.parametrize(
    ("required", "words"),
    [
        (None, "requiredPulumiVersion is not set"),
        ('">=3.100.0"', "admits 3.100.0"),
        ('">=3.139.0 <4.0.0 || >=2.0.0"', "admits 2.0.0"),
        ('"3.120.0"', "admits 3.120.0"),
        ('"newest"', "is not a version range"),
    ],
)
def test_a_cli_too_old_to_configure_the_dynamic_provider_is_refused(tmp_path, required, words):
    # Before 3.139.0 (pulumi/pulumi#17673) the rollout's provider gets no stack config and signs
    # as the machine's default credentials; before, nothing said so.
    text = "name: p\nruntime: python\n"
    if required is not None:
        text += f"requiredPulumiVersion: {required}\n"
    (tmp_path / "__main__.py").write_text("pass\n")
    (tmp_path / "Pulumi.yaml").write_text(text)
    (problem,) = plugin_launch_problems(tmp_path / "Pulumi.yaml")
    assert words in problem


@pytest.mark.parametrize("required", ['">=3.139.0"', '">=3.140.0 <4.0.0"', '">3.200.1"'])
def test_a_cli_range_from_3_139_is_accepted(tmp_path, required):
    project = write(tmp_path, f"name: p\nruntime: python\nrequiredPulumiVersion: {required}\n")
    assert plugin_launch_problems(project) == []


def test_a_main_folder_with_a_relative_virtualenv_strands_the_dynamic_provider(tmp_path):
    # This repository's own Pulumi.yaml before issue 20.
    project = write(
        tmp_path,
        "name: p\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
        "    virtualenv: .venv\nmain: program/\n",
        "program/__main__.py",
    )
    (problem,) = plugin_launch_problems(project)
    assert "runtime.options.virtualenv '.venv'" in problem and "program" in problem


def test_uv_without_a_virtualenv_means_dot_venv_in_the_program_folder(tmp_path):
    project = write(
        tmp_path,
        "name: p\nruntime:\n  name: python\n  options:\n    toolchain: uv\nmain: infra/\n",
        "infra/__main__.py",
    )
    assert "virtualenv '.venv'" in plugin_launch_problems(project)[0]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ("toolchain: pipenv", "toolchain 'pipenv'"),
        ("typechecker: pytype", "typechecker 'pytype'"),
    ],
)
def test_option_values_the_language_host_refuses(tmp_path, options, words):
    project = write(tmp_path, f"name: p\nruntime:\n  name: python\n  options:\n    {options}\n")
    assert any(words in problem for problem in plugin_launch_problems(project))


@pytest.mark.parametrize(
    ("main", "words"), [("/abs/", "relative path"), ("../x/", "subfolder"), ("gone/", "read")]
)
def test_a_main_the_engine_cannot_use(tmp_path, main, words):
    project = write(tmp_path, f"name: p\nruntime: python\nmain: {main}\n")
    assert words in plugin_launch_problems(project)[0]


@pytest.mark.slow
def test_plan_of_a_project_the_engine_could_not_start_says_so(tmp_path):
    import shutil

    from typer.testing import CliRunner

    from graviton_llm.cli import app

    team = tmp_path / "team"
    shutil.copytree(ROOT / "tests" / "fixtures" / "team_project", team)
    result = CliRunner().invoke(app, ["plan", str(team), "--stack", "staging"])
    assert result.exit_code == 0 and "warning:" not in result.output
    text = (team / "Pulumi.yaml").read_text()
    (team / "Pulumi.yaml").write_text(
        text.replace("toolchain: pip", "toolchain: pip\n    virtualenv: .venv")
    )
    result = CliRunner().invoke(
        app, ["plan", str(team), "--stack", "staging"], env={"COLUMNS": "300"}
    )
    assert "warning:" in result.output and "virtualenv '.venv'" in result.output
