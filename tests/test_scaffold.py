"""`graviton-llm new`: a team project that plans clean out of the box, prod stricter than dev;
the state-backend project; folders that are not empty are refused."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.scaffold import package_version

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scaffold") / "search-llm"
    result = invoke("new", str(folder))
    assert result.exit_code == 0, result.output
    return folder


def test_the_project_has_what_a_team_needs(project):
    names = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    assert names == [
        ".gitignore", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.yaml", "README.md",
        "__main__.py", "pytest.ini", "requirements.txt", "tests/test_stacks.py",
    ]  # fmt: skip
    assert yaml.safe_load((project / "Pulumi.yaml").read_text())["name"] == "search-llm"
    assert f"graviton-llm=={package_version()}" in (project / "requirements.txt").read_text()
    assert (
        "search-llm:cluster" in yaml.safe_load((project / "Pulumi.prod.yaml").read_text())["config"]
    )
    readme = (project / "README.md").read_text()
    assert "pulumi up --stack prod" in readme and "--secrets-provider" in readme
    for operation in ("rollout status", "rollout.hold", "rollout.wait", "rollout.retry",
                      "graviton-llm compile"):  # fmt: skip
        assert operation in readme
    # The pre-warm job's user data is an output: never committed.
    assert "compile-*.user-data.sh" in (project / ".gitignore").read_text().splitlines()
    assert "{{" not in "".join(p.read_text() for p in project.rglob("*") if p.is_file())


@pytest.mark.slow
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_stack_plans_clean_out_of_the_box(project, stack):
    result = invoke("plan", str(project), "--stack", stack, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    (cluster,) = document["clusters"]
    assert cluster["name"] == f"llm-{stack}" and document["security"]["passed"]
    assert document["cost"] == cluster["cost"]  # one cluster: the single-cluster keys are kept


def test_prod_is_stricter_than_dev_in_config_only(project):
    config = {
        stack: yaml.safe_load((project / f"Pulumi.{stack}.yaml").read_text())["config"][
            "search-llm:cluster"
        ]
        for stack in ("dev", "prod")
    }
    dev, prod = config["dev"], config["prod"]
    assert prod["min_size"] == len(prod["subnet_ids"]) == 3 > dev["min_size"]
    assert prod["monitoring"]["alarm_topic"] and not dev["monitoring"]["alarm_topic"]
    assert prod["rollout"]["error_rate_percent"] < dev["rollout"]["error_rate_percent"]
    assert prod["allowed_cidrs"] == ["10.20.0.0/16"] and dev["allowed_cidrs"] == ["10.0.0.0/8"]


def test_a_folder_that_is_not_empty_is_refused_without_force(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = invoke("new", str(tmp_path))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "is not empty (notes.txt)" in result.stdout and "--force" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert invoke("new", str(tmp_path), "--force", "--name", "kept").exit_code == 0
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "__main__.py").exists()
    assert invoke("new", str(tmp_path / "x"), "--name", "bad name").exit_code == 2


@pytest.mark.slow
def test_the_state_backend_project_plans_the_bucket_and_keys(tmp_path):
    folder = tmp_path / "state"
    assert invoke("new", str(folder), "--state-backend").exit_code == 0
    result = invoke("plan", str(folder), "--stack", "account", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["clusters"] == [] and document["total_cost"]["usd_per_hour"] == 0
    rows = {r["name"]: r for r in document["resources"]}
    # An id only AWS assigns (a key's id) is shown as such, not guessed.
    alias = rows["pulumi-state-secrets-key-alias"]["properties"]
    assert alias == {
        "name": "alias/pulumi-state-secrets",
        "targetKeyId": "[unknown until deployed]",
    }
    protected = sorted(r["name"] for r in document["resources"] if r["protect"])
    assert protected == [
        "pulumi-state-bucket",
        "pulumi-state-secrets-key",
        "pulumi-state-state-key",
    ]
    outputs = document["outputs"]
    assert outputs["login_command"] == (
        "pulumi login 's3://pulumi-state-123456789012-us-east-1?region=us-east-1'"
    )
    lines = invoke("state-backend", "--account", "123456789012", "--region", "us-east-1").stdout
    assert outputs["login_command"] in lines
    assert outputs["secrets_provider"] in lines


@pytest.mark.parametrize(
    "line",
    [
        None,
        "./wheels/graviton_llm-0.1.0-py3-none-any.whl",
        "graviton-llm @ git+https://github.com/acme/graviton-llm@v0.1.0",
        "https://artifacts.example.com/graviton_llm-0.1.0-py3-none-any.whl",
    ],
)
def test_the_requirement_line_is_the_package_source_a_team_chooses(tmp_path, line):
    """Issue 22, item 1: the pinned version alone is served by no public index; a team names
    its source (its index, a wheel, a git URL), and the README says how to choose."""
    args = ["new", str(tmp_path / "p")] + (["--requirement", line] if line else [])
    assert invoke(*args).exit_code == 0
    requirements = (tmp_path / "p" / "requirements.txt").read_text().splitlines()
    packages = [r for r in requirements if r and not r.startswith("#")]
    assert packages[0] == (line or f"graviton-llm=={package_version()}")
    assert packages[1:] == ["pulumi>=3.200,<4", "pulumi-aws>=7.0,<8", "pytest>=8"]
    readme = (tmp_path / "p" / "README.md").read_text()
    for source in ("A package index", "A wheel file", "A git URL", "--requirement"):
        assert source in readme
    assert "](https://github.com/)" not in readme  # no placeholder link


def test_a_requirement_that_is_not_one_line_is_refused(tmp_path):
    result = invoke("new", str(tmp_path / "p"), "--requirement", "graviton-llm\nevil==1")
    assert result.exit_code == 2 and "one line of requirements.txt" in result.stdout
    assert not (tmp_path / "p").exists()


def test_the_state_backend_keeps_its_local_state_out_of_git(tmp_path):
    assert invoke("new", str(tmp_path / "s"), "--state-backend").exit_code == 0
    readme = (tmp_path / "s" / "README.md").read_text()
    assert "pulumi login file://$PWD/.state" in readme
    assert ".state/" in (tmp_path / "s" / ".gitignore").read_text().splitlines()
