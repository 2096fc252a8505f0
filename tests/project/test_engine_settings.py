"""`plan` refuses the project settings the Pulumi engine refuses (issue 22, item 9), naming each,
before the team's program runs: the Python host's runtime options, config keys and declarations
(project/project_config.py and plugin_launch.py cite the engine's source for each rule)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.project.files import load_project, load_stack

runner = CliRunner()
PROGRAM = "import pulumi\npulumi.export('ok', 1)\n"


def project(tmp_path: Path, project_yaml: str, stack_yaml: str = "config: {}\n") -> Path:
    (tmp_path / "Pulumi.yaml").write_text(
        'name: team\nrequiredPulumiVersion: ">=3.139.0"\n' + project_yaml
    )
    (tmp_path / "__main__.py").write_text(PROGRAM)
    (tmp_path / "Pulumi.dev.yaml").write_text(stack_yaml)
    return tmp_path


def plan(folder: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["plan", str(folder), "--stack", "dev", "--json"])
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.stdout.split())


PYTHON = "runtime: python\n"
KEY_FORM = "configuration keys are `<namespace>:<name>`"


def options(text: str) -> str:
    return f"runtime: {{name: python, options: {{{text}}}}}\n"


REFUSED = [
    (options("toolchain: conda"), "", "runtime.options.toolchain 'conda'"),
    (options("typechecker: flake8"), "", "runtime.options.typechecker 'flake8'"),
    (options("virtualenv: 3"), "", "runtime.options.virtualenv must be a string"),
    (PYTHON + "config:\n  a:b:c: 1\n", "", f"config key 'a:b:c': {KEY_FORM}"),
    (PYTHON, "config:\n  a:b:c: 1\n", f"config key 'a:b:c': {KEY_FORM}"),
    (PYTHON + "config:\n  aws:profile: {type: string, value: ops}\n", "",
     "config key 'aws:profile' is not namespaced by the project and cannot declare a `type`"),
    (PYTHON + "config:\n  aws:region: {default: us-east-1}\n", "",
     "config key 'aws:region' is not namespaced by the project and cannot have a `default`"),
    (PYTHON + "config:\n  aws:region: {description: where}\n", "",
     "config key 'aws:region' is namespaced and must give a `value`"),
    (PYTHON + "config:\n  size: {default: 1, value: 2}\n", "",
     "config key 'size' cannot have both a `default` and a `value`"),
    (PYTHON + "config:\n  zones: {type: array}\n", "",
     "config key 'zones' declares an array without its `items` type"),
    (PYTHON + "config:\n  size: {type: integer, default: many}\n", "",
     "config key 'size': its default is not of type 'integer'"),
    (PYTHON + "config:\n  size: {type: number}\n", "", "type 'number' is not one of string"),
    (PYTHON + "config:\n  size: {typ: integer}\n", "", "config key 'size': typ not allowed"),
    (PYTHON + "config:\n  ratio: 1.5\n", "", "config key 'ratio': a value here is a string"),
    (PYTHON + "config:\n  size: {type: integer}\n", "config:\n  team:size: many\n",
     "stack 'dev': config key 'size' must be of type 'integer'"),
    (PYTHON + "config:\n  zones: {type: array, items: {type: string}}\n",
     "config:\n  zones: [a, 1]\n", "config key 'zones' must be of type 'array<string>'"),
    (PYTHON + "config:\n  key: {type: string, secret: true}\n", "config:\n  key: plain\n",
     "config key 'key' must be encrypted"),
    (PYTHON + "config:\n  owner: {type: string}\n", "",
     "stack 'dev' is missing configuration value(s) 'owner'"),
    ("config: stacks\nstackConfigDir: stacks\n" + PYTHON, "",
     "both `config` and `stackConfigDir` name the stack folder"),
]  # fmt: skip


@pytest.mark.parametrize(("project_yaml", "stack_yaml", "words"), REFUSED)
def test_plan_refuses_what_the_engine_refuses_naming_it(tmp_path, project_yaml, stack_yaml, words):
    code, said = plan(project(tmp_path, project_yaml, stack_yaml or "config: {}\n"))
    assert code == 2, said
    assert words in json.loads(said)["errors"][0]["fix"]


def test_every_refusal_of_a_file_is_listed_at_once(tmp_path):
    folder = project(tmp_path, PYTHON + "config:\n  a:b:c: 1\n  aws:profile: {type: string}\n")
    code, said = plan(folder)
    fix = json.loads(said)["errors"][0]["fix"]
    assert code == 2 and "2 problems" in fix and "'a:b:c'" in fix and "'aws:profile'" in fix


ACCEPTED = [
    (options("toolchain: uv, typechecker: pyright"), "config: {}\n", {}),
    (PYTHON + "config:\n  size: {type: integer, default: 2}\n", "config:\n  team:size: '3'\n",
     {"team:size": "3"}),
    # The legacy form of a key, `<namespace>:config:<name>`, is read as `<namespace>:<name>`.
    (PYTHON, "config:\n  aws:config:region: eu-west-1\n", {"aws:region": "eu-west-1"}),
    (PYTHON + "config:\n  aws:region: {value: eu-west-1}\n  enabled: {type: boolean}\n",
     "config:\n  team:enabled: true\n", {"aws:region": "eu-west-1", "team:enabled": True}),
    (PYTHON + "config:\n  key: {type: string, secret: true}\n", "config:\n  key: {secure: v1:x}\n",
     None),
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(("project_yaml", "stack_yaml", "config"), ACCEPTED)
def test_what_the_engine_accepts_plans(tmp_path, project_yaml, stack_yaml, config):
    folder = project(tmp_path, project_yaml, stack_yaml)
    loaded = load_stack(load_project(folder), "dev")
    if config is not None:
        assert loaded.config == config
    code, said = plan(folder)
    assert code == 0, said
