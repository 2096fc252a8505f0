"""`plan` previews like the engine too (issue 21, item 3): every shipped stack, example and
scaffolded project is planned with the mocks' known values and again as a first preview (every
computed attribute unknown); the plan says which inputs only the deployment will know and which
of a cluster's checks wait for them (item 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.plan import build_plan

# Every test here runs the CLI, a program or a server end to end.
pytestmark = pytest.mark.slow

runner = CliRunner()

STACK_REFERENCE_PROGRAM = """\
import pulumi
from graviton_llm import NeuronServingCluster

network = pulumi.StackReference("acme/network/prod")
cluster = NeuronServingCluster("chat", {
    "vpc_id": network.get_output("vpc_id"),
    "subnet_ids": network.get_output("private_subnet_ids"),
    "instance_type": "inf2.8xlarge",
    "model": {"id": "meta-llama/Llama-3.1-8B-Instruct",
              "weights_uri": "s3://team-weights/llama-3.1-8b-instruct/"},
    "max_num_seqs": 8,
    "max_num_batched_tokens": 4096,
})
pulumi.export("endpoint", cluster.endpoint)
"""


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_shipped_stack_previews_as_a_first_preview(stack):
    plan = build_plan(stack)
    first = plan.first_preview
    assert first is not None and first.resource_count == len(plan.result.resources)
    # What AWS assigns on create is unknown before the first deployment.
    assert "llm-" + stack + "-asg.launchTemplate" in first.unknown_inputs
    assert plan.document()["first_preview"]["unknown_inputs"] == sorted(first.unknown_inputs)


def test_a_scaffolded_project_plans_in_both_modes(tmp_path):
    folder = tmp_path / "search-llm"
    assert invoke("new", str(folder)).exit_code == 0
    result = invoke("plan", str(folder), "--stack", "dev", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["first_preview"]["resource_count"] == document["resource_count"]


def _stack_reference_project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: chat\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(STACK_REFERENCE_PROGRAM)
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    return tmp_path


def test_a_network_from_a_stack_reference_plans_and_says_what_waits_for_deploy(tmp_path):
    result = invoke("plan", str(_stack_reference_project(tmp_path)), "--json")
    assert result.exit_code == 0, result.output
    (cluster,) = json.loads(result.stdout)["clusters"]
    waiting = {check["field"]: check["checks"] for check in cluster["checked_at_deploy"]}
    assert sorted(waiting) == ["subnet_ids", "vpc_id"]
    assert "subnet id" in waiting["subnet_ids"]


def test_the_text_plan_lists_the_checks_that_wait(tmp_path):
    result = invoke("plan", str(_stack_reference_project(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "checked when deployed" in result.output
    assert "subnet_ids" in result.output
