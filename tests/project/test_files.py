"""Reading a team's Pulumi.yaml and stack files as `pulumi` would, refusing what it cannot use."""

from __future__ import annotations

import pytest

from graviton_llm.project.files import load_project, load_stack, secret_placeholder
from graviton_llm.project.stack_files import ConfigError


def _project(tmp_path, text="name: team\nruntime: python\n", main="__main__.py"):
    (tmp_path / "Pulumi.yaml").write_text(text)
    if main:
        (tmp_path / main).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / main).write_text("")
    return tmp_path


def test_defaults_program_and_stacks_in_the_project_folder(tmp_path):
    project = load_project(_project(tmp_path))
    assert (project.name, project.main, project.stack_config_dir) == ("team", tmp_path, tmp_path)
    assert project.entry_point == tmp_path / "__main__.py"
    assert project.program_dir == tmp_path


def test_main_may_be_a_folder_or_a_file_and_stacks_live_in_stack_config_dir(tmp_path):
    text = "name: team\nruntime: {name: python, options: {toolchain: pip}}\nmain: infra/app.py\n"
    project = load_project(_project(tmp_path, text + "stackConfigDir: stacks\n", "infra/app.py"))
    assert project.entry_point == tmp_path / "infra/app.py"
    assert project.program_dir == tmp_path / "infra"  # pulumi's working directory for it
    assert project.stack_path("dev") == tmp_path / "stacks/Pulumi.dev.yaml"


def test_stack_config_is_namespaced_overlays_project_defaults_and_hides_secrets(tmp_path):
    text = (
        "name: team\nruntime: python\nconfig:\n  size: 2\n  color: {default: red}\n"
        "  aws:region: {value: eu-west-1}\n  typed: {type: string}\n"
    )
    project = load_project(_project(tmp_path, text))
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  size: 3\n  team:when: 2026-01-02\n  typed: hello\n"
        "  apiKeyParameter:\n    secure: v1:abc\n"
        "  team:nested:\n    plain: 1\n    password:\n      secure: v1:def\n"
    )
    stack = load_stack(project, "dev")
    assert stack.config == {
        "team:size": 3,
        "team:color": "red",
        "aws:region": "eu-west-1",
        "team:when": "2026-01-02",
        "team:typed": "hello",
        "team:apiKeyParameter": secret_placeholder("team:apiKeyParameter"),
        "team:nested": {"plain": 1, "password": secret_placeholder("team:nested")},
    }
    assert stack.secret_keys == ("team:apiKeyParameter", "team:nested")
    assert stack.region == "eu-west-1"
    assert "v1:" not in str(stack.config)


def test_an_empty_stack_file_is_an_empty_config_in_the_default_region(tmp_path):
    project = load_project(_project(tmp_path))
    (tmp_path / "Pulumi.dev.yaml").write_text("")
    assert load_stack(project, "dev").config == {}
    assert load_stack(project, "dev").region == "us-east-1"


@pytest.mark.parametrize(
    ("text", "main", "words"),
    [
        ("name: team\nruntime: nodejs\n", "__main__.py", "graviton-llm plans Python programs"),
        ("name: 'a b'\nruntime: python\n", "__main__.py", "a project name is 1-100 letters"),
        ("- a list\n", "__main__.py", "a project file is a mapping"),
        ("name: team\nruntime: python\nmain: src/\n", None, "`main` 'src/'"),
        ("name: team\nruntime: python\n", None, "has no __main__.py"),
        ("name: team\nruntime: python\nmain: prog.txt\n", "prog.txt", "not a Python file"),
        ("name: team\nruntime: python\nmain: 3\n", "__main__.py", "must be a path"),
        ("name: [unclosed\n", "__main__.py", "not valid YAML"),
        ("a: &x 1\nb: *x\n", "__main__.py", "anchors and aliases are not accepted"),
    ],
)
def test_a_project_pulumi_could_not_run_is_refused_saying_why(tmp_path, text, main, words):
    with pytest.raises(ConfigError) as caught:
        load_project(_project(tmp_path, text, main))
    assert words in str(caught.value)


def test_no_pulumi_yaml_and_unknown_stacks_are_refused_naming_what_exists(tmp_path):
    with pytest.raises(ConfigError, match=r"no Pulumi\.yaml"):
        load_project(tmp_path)
    project = load_project(_project(tmp_path))
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    with pytest.raises(ConfigError, match=r"no stack 'prod'.*stacks with a file there: dev"):
        load_stack(project, "prod")
    with pytest.raises(ConfigError, match="is not a stack name"):
        load_stack(project, "../etc/passwd")
    (tmp_path / "Pulumi.bad.yaml").write_text("config: [1, 2]\n")
    with pytest.raises(ConfigError, match="`config:` must be a mapping"):
        load_stack(project, "bad")
