"""`graviton-llm plan PROJECT_DIR --stack NAME`: a team's own program, planned offline."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graviton_llm.cli import app

TEAM = Path(__file__).resolve().parent.parent / "fixtures" / "team_project"
CLUSTER = "graviton-llm:cluster:NeuronServingCluster"
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def team_plan() -> dict:
    result = invoke("plan", str(TEAM), "--stack", "staging", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
def test_both_clusters_their_resources_and_their_summed_cost(team_plan):
    clusters = {c["name"]: c for c in team_plan["clusters"]}
    assert sorted(clusters) == ["search-chat", "search-summarize"]
    chat, summarize = clusters["search-chat"], clusters["search-summarize"]
    assert (chat["instance_type"], chat["model"]) == (
        "inf2.8xlarge",
        "meta-llama/Llama-3.1-8B-Instruct",
    )
    assert (summarize["instance_type"], summarize["model"]) == (
        "r8g.8xlarge",
        "meta-llama/Llama-3.2-1B-Instruct",
    )
    rows = team_plan["resources"]
    for name in clusters:
        (component,) = [r for r in rows if r["name"] == name]
        assert component["type"] == CLUSTER and component["depth"] == 0
        children = {r["type"] for r in rows if r["parent"] == name}
        assert {"aws:ec2/launchTemplate:LaunchTemplate", "aws:autoscaling/group:Group"} <= children
        assert len(clusters[name]["user_data"]["sha256"]) == 64
    # The team's own network is planned beside the clusters.
    (vpc,) = [r for r in rows if r["type"] == "aws:ec2/vpc:Vpc"]
    assert vpc["properties"]["cidrBlock"] == "10.42.0.0/16"
    assert sum(r["type"] == "aws:ec2/subnet:Subnet" for r in rows) == 3
    assert team_plan["resource_count"] == len(rows)
    # The cost of all clusters: 2 x inf2.8xlarge + 1 x r8g.8xlarge, on-demand.
    total = team_plan["total_cost"]
    hourly = chat["cost"]["total"]["usd_per_hour"] + summarize["cost"]["total"]["usd_per_hour"]
    assert (total["clusters"], total["nodes"], total["billed_instances"]) == (2, 3, 3)
    assert total["usd_per_hour"] == pytest.approx(hourly, abs=1e-5)
    assert chat["cost"]["nodes"] == 2 and summarize["cost"]["nodes"] == 1
    assert total["unpriced_clusters"] == []
    # Several clusters: the single-cluster keys are null; each cluster carries its own.
    assert [team_plan[k] for k in ("user_data", "cost", "cold_start", "performance")] == [None] * 4
    assert team_plan["security"]["passed"] is True
    assert (team_plan["project"], team_plan["stack"]) == ("team-search", "staging")


@pytest.mark.slow
def test_secure_config_is_a_secret_output_that_no_output_shows(team_plan):
    assert team_plan["secret_config"] == ["team-search:apiKeyParameter"]
    assert team_plan["outputs"]["api_key_parameter"] == "[secret]"
    text = json.dumps(team_plan)
    assert "graviton-llm-plan/secret" not in text and "v1:3mVl" not in text
    rows = {r["name"]: r for r in team_plan["resources"]}
    assert rows["search-chat-node-ops"]["properties"]["policy"] == "[secret]"
    assert rows["search-chat-api-key-name"]["properties"]["value"] == "[secret]"


@pytest.mark.slow
def test_the_text_plan_lists_each_cluster_and_the_total_and_restores_the_process():
    path, modules, cwd = list(sys.path), set(sys.modules), os.getcwd()
    result = invoke("plan", str(TEAM), "--stack", "staging")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "search-chat: 2 x inf2.8xlarge serving meta-llama/Llama-3.1-8B-Instruct" in out
    assert "search-summarize: 1 x r8g.8xlarge serving meta-llama/Llama-3.2-1B-Instruct" in out
    assert "2 cluster(s), 3 billed instance(s): $5.82/h" in out
    assert "api_key_parameter = [secret]" in out
    # The program's own print went to stderr; its modules, path and folder are put back.
    assert "planning the search team's clusters" not in out
    assert "network" not in sys.modules and set(sys.modules) >= modules
    assert sys.path == path and os.getcwd() == cwd


@pytest.mark.slow
def test_in_a_project_folder_plan_plans_that_project(monkeypatch):
    monkeypatch.chdir(TEAM)
    document = json.loads(invoke("plan", "--stack", "staging", "--json").stdout)
    assert document["project"] == "team-search" and len(document["clusters"]) == 2


def _copy(tmp_path) -> Path:
    project = tmp_path / "team"
    shutil.copytree(TEAM, project)
    return project


@pytest.mark.slow
def test_against_an_earlier_plan_shows_what_a_change_to_one_cluster_would_do(team_plan, tmp_path):
    # The team lowers the chat cluster's batch: its node script changes, so its launch template
    # is updated and its rollout runs; its compiled artifacts get a new cache key, so their
    # write grant moves; the other cluster and the network are untouched.
    project = _copy(tmp_path)
    stack_file = project / "stacks" / "Pulumi.staging.yaml"
    stack_file.write_text(stack_file.read_text().replace("max_num_seqs: 8", "max_num_seqs: 4"))
    old = tmp_path / "before.json"
    old.write_text(json.dumps(team_plan))
    as_json = invoke("plan", str(project), "--stack", "staging", "--json", "--against", str(old))
    assert as_json.exit_code == 0, as_json.output
    changes = {
        c["name"]: (c["action"], c["because"]) for c in json.loads(as_json.stdout)["changes"]
    }
    assert changes == {
        "search-chat-lt": ("update", []),
        "search-chat-artifacts-rw": ("update", []),
        "search-chat-rollout": ("update", ["new version of search-chat-lt"]),
    }
    text = invoke("plan", str(project), "--stack", "staging", "--against", str(old))
    assert text.exit_code == 0 and "search-chat-lt" in text.stdout
    assert "search-summarize: 1 x r8g.8xlarge" in text.stdout  # the project's own report


def _bad_projects():
    def no_project(p):
        (p / "Pulumi.yaml").unlink()

    def missing_main(p):
        text = (p / "Pulumi.yaml").read_text().replace("main: infra/", "main: app/")
        (p / "Pulumi.yaml").write_text(text)

    def raises(p):
        main = p / "infra" / "__main__.py"
        main.write_text(main.read_text() + "\nraise RuntimeError('the team forgot a subnet')\n")

    def apply_raises(p):
        main = p / "infra" / "__main__.py"
        main.write_text(main.read_text() + "\npulumi.export('x', vpc.id.apply(lambda _: 1 / 0))\n")

    def one_name_twice(p):
        main = p / "infra" / "__main__.py"
        main.write_text(main.read_text().replace('f"search-{name}"', '"search-chat"'))

    def exits(p):
        (p / "infra" / "__main__.py").write_text("import sys\nsys.exit(3)\n")

    def missing_stack(p):
        (p / "stacks" / "Pulumi.staging.yaml").rename(p / "stacks" / "Pulumi.stage.yaml")

    def malformed_stack(p):
        (p / "stacks" / "Pulumi.staging.yaml").write_text("config:\n  a: [unclosed\n")

    def malformed_project(p):
        (p / "Pulumi.yaml").write_text("name: team-search\nruntime: {name: python\n")

    def missing_config(p):
        text = (p / "stacks" / "Pulumi.staging.yaml").read_text()
        (p / "stacks" / "Pulumi.staging.yaml").write_text(text.replace("team-search:chat:", "x:"))

    return {
        "no Pulumi.yaml": (no_project, "no Pulumi.yaml"),
        "main missing": (missing_main, "`main` 'app/'"),
        "program raises": (raises, "RuntimeError: the team forgot a subnet"),
        "program exits": (exits, "exited with status 3"),
        "two clusters of one name": (
            one_name_twice,
            "DuplicateResourceUrn: Duplicate resource URN 'urn:pulumi:staging::team-search::"
            "graviton-llm:cluster:NeuronServingCluster::search-chat'; try giving it a unique "
            "name: two NeuronServingCluster resources are named 'search-chat' (at "
            "__main__.py:17 and at __main__.py:17)",
        ),
        "an apply raises": (apply_raises, "ZeroDivisionError: division by zero"),
        "stack file missing": (missing_stack, "no stack 'staging' in project 'team-search'"),
        "stack file malformed": (malformed_stack, "not valid YAML"),
        "project file malformed": (malformed_project, "not valid YAML"),
        "config missing": (missing_config, "Missing required configuration variable"),
    }


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(_bad_projects()))
def test_bad_project_input_exits_2_with_one_readable_paragraph(tmp_path, case):
    spoil, words = _bad_projects()[case]
    project = _copy(tmp_path)
    spoil(project)
    result = invoke("plan", str(project), "--stack", "staging")
    assert result.exit_code == 2, result.output
    out = result.stdout.strip()
    assert "Traceback" not in result.output
    assert out.startswith("Invalid configuration: ") and "\n\n" not in out
    assert words in " ".join(out.split())


@pytest.mark.slow
@pytest.mark.parametrize("case", ["program raises", "stack file missing"])
def test_bad_project_input_with_json_is_the_error_document(tmp_path, case):
    spoil, words = _bad_projects()[case]
    project = _copy(tmp_path)
    spoil(project)
    as_json = invoke("plan", str(project), "--stack", "staging", "--json")
    assert as_json.exit_code == 2
    (error,) = json.loads(as_json.stdout)["errors"]
    assert words in error["fix"]


@pytest.mark.slow
def test_a_cluster_the_args_refuse_lists_each_field(tmp_path):
    project = _copy(tmp_path)
    stack = project / "stacks" / "Pulumi.staging.yaml"
    stack.write_text(stack.read_text().replace("inf2.8xlarge", "inf2.9xlarge"))
    result = invoke("plan", str(project), "--stack", "staging")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "instance_type = 'inf2.9xlarge'" in result.stdout and "fix: " in result.stdout


@pytest.mark.slow
def test_a_team_plan_shows_what_a_shipped_stack_plan_shows(team_plan):
    """Issue 22, item 5: each cluster's AMI pin, cold start (both paths) and artifact cache, in
    the JSON and in the text; a one-cluster project keeps them under the single-cluster keys."""
    shipped = set(json.loads(invoke("plan", "--stack", "dev", "--json").stdout))
    project_only = {"clusters", "total_cost", "secret_config"}
    assert shipped <= set(team_plan) and set(team_plan) - shipped == project_only
    chat, summarize = sorted(team_plan["clusters"], key=lambda c: c["name"])
    assert chat["ami"]["pinned"] is False and chat["ami"]["parameter"].startswith("/aws/service/")
    assert chat["artifact_cache"]["enabled"] is True
    assert chat["artifact_cache"]["prewarm"] == (
        "graviton-llm compile --stack staging --cluster search-chat"
    )
    assert summarize["artifact_cache"] == {"enabled": False, "note": "no compile on CPU"}
    assert chat["cold_start"]["parts"] and chat["cold_start"]["cache_hit_s"] > 0
    # Several clusters: the single-cluster keys are null (read `clusters`).
    assert team_plan["ami"] is None and team_plan["artifact_cache"] is None
    text = invoke("plan", str(TEAM), "--stack", "staging").stdout
    assert text.count("AMI not pinned") == 2 and text.count("cold start (predicted") == 2
    assert "artifact cache s3://search-model-weights/.graviton-llm-cache/" in text
    assert "pre-warm before a rollout: graviton-llm compile --stack staging --cluster " in text


def _spoil_at(project: Path, relative: str, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` in a project file; the line it is on."""
    path = project / relative
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("relative", "old", "new", "words"),
    [
        ("infra/__main__.py", "vpc_id\": vpc.id,", "vpc_id\": vpc.idd,",
         "AttributeError: 'Vpc' object has no attribute 'idd'"),
        ("infra/network.py", "igw = aws.ec2.InternetGateway(name, vpc_id=vpc.id)",
         "igw = aws.ec2.InternetGateway(name, vpc_id=vpc.id.apply(lambda v: v[99]))",
         "IndexError: string index out of range"),
    ],
    ids=["main", "an apply in a local module"],
)  # fmt: skip
def test_a_failing_program_says_where_in_the_project(tmp_path, relative, old, new, words):
    project = _copy(tmp_path)
    line = _spoil_at(project, relative, old, new)
    result = invoke("plan", str(project), "--stack", "staging")
    assert result.exit_code == 2, result.output
    out = " ".join(result.stdout.split())
    assert words in out and f"(at {relative}:{line})" in out
