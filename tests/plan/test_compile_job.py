"""`graviton-llm compile`: the pre-warm job for a stack, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graviton_llm import project
from graviton_llm.cli import app
from graviton_llm.node.agent_location import agent_location
from graviton_llm.node.user_data import render_compile_script
from graviton_llm.plan import build_plan

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.mark.slow
def test_compile_writes_the_jobs_user_data_and_prints_the_command_that_runs_it(tmp_path):
    target = tmp_path / "job.gz"
    result = invoke("compile", "--stack", "prod", "--output", str(target))
    assert result.exit_code == 0, result.output
    args, _ = project.stack_cluster_args("prod")
    # The user data is the pre-warm job's of exactly this cluster (its agent where the
    # stack publishes it, in the stack's region).
    assert target.read_bytes().decode() == render_compile_script(
        args, agent=agent_location(args, "us-east-1")
    )
    out = result.output
    plan = json.loads(invoke("plan", "--stack", "prod", "--json").output)
    assert plan["artifact_cache"]["prefix"] in out  # the prefix plan shows and nodes read
    assert "aws ec2 run-instances --region us-east-1 --count 1" in out
    # The cluster's own launch template (role, AMI, volume), which the program exports.
    assert '"LaunchTemplateId=$(pulumi stack output launch_template_id --stack prod)"' in out
    assert "--subnet-id subnet-0f00000000000000a" in out
    assert "--instance-initiated-shutdown-behavior terminate" in out
    assert f"--user-data fileb://{target}" in out


@pytest.mark.slow
def test_the_program_exports_the_launch_template_the_job_names():
    outputs = build_plan("dev").result.stack_outputs
    assert outputs["launch_template_id"] == "llm-dev-lt-id"


def test_compile_script_prints_the_script_itself():
    result = invoke("compile", "--stack", "dev", "--script")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("#!/bin/bash\n# graviton-llm compile, inf2.8xlarge: ")
    assert '"job":"compile"' in result.output
    assert 'exec "$AGENT" "$JOB"' in result.output  # the agent powers the job off


def test_a_stack_that_compiles_nothing_has_nothing_to_pre_warm(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the user data would be written
    stack = tmp_path / "Pulumi.cpu.yaml"
    dev = (project.STACKS_DIR / "Pulumi.dev.yaml").read_text()
    stack.write_text(dev.replace("inf2.8xlarge", "r8g.16xlarge"))
    result = invoke("compile", "--stack", str(stack))
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert (
        "nothing to pre-warm for cluster 'llm-cpu': r8g.16xlarge serves on vLLM's CPU backend, "
        "which compiles nothing"
    ) in out
    assert not list(tmp_path.glob("*.gz"))
    off = tmp_path / "Pulumi.off.yaml"
    off.write_text(
        dev.replace(
            "    owner: platform-team",
            "    owner: platform-team\n    artifact_cache: {enabled: false}",
        )
    )
    out = " ".join(invoke("compile", "--stack", str(off)).output.split())
    assert "nothing to pre-warm for cluster 'llm-off': its artifact cache is off" in out


@pytest.mark.slow
def test_a_cpu_cluster_of_a_team_project_is_named_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    team = Path(__file__).resolve().parent.parent / "fixtures" / "team_project"
    result = invoke("compile", str(team), "--stack", "staging", "--cluster", "search-summarize")
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert (
        "nothing to pre-warm for cluster 'search-summarize': r8g.8xlarge serves on vLLM's CPU"
        in out
    )
