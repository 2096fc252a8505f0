"""The rollout of every shipped stack, example and scaffolded project, through the engine's own
serialization (graviton_llm.testing.engine) and botocore's validation (aws_stubs): the second
`pulumi up`, the one that starts a refresh, must send AWS a request it accepts."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from graviton_llm.components.refresh_provider import RefreshProvider
from graviton_llm.plan import build_plan
from graviton_llm.plan.project import build_project_plan
from graviton_llm.scaffold import create_project
from graviton_llm.testing import ProgramResult, run_program
from graviton_llm.testing.aws_stubs import aws_stubs
from graviton_llm.testing.engine import DynamicProviderHost, round_trip

# Every test here runs the CLI, a program or a server end to end.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").iterdir() if p.is_dir())
DYNAMIC = "pulumi-python:dynamic:Resource"


def rollout_inputs(result: ProgramResult) -> dict:
    (rollout,) = [r for r in result.of_type(DYNAMIC) if r.name.endswith("-rollout")]
    return {k: v for k, v in rollout.inputs.items() if k != "__provider"}


def with_version(inputs: dict, version: str) -> dict:
    request = dict(inputs["request"])
    desired = request["DesiredConfiguration"]
    if "LaunchTemplate" in desired:
        desired = {"LaunchTemplate": {**desired["LaunchTemplate"], "Version": version}}
    else:
        policy = desired["MixedInstancesPolicy"]
        template = policy["LaunchTemplate"]
        spec = {**template["LaunchTemplateSpecification"], "Version": version}
        desired = {
            "MixedInstancesPolicy": {
                **policy,
                "LaunchTemplate": {**template, "LaunchTemplateSpecification": spec},
            }
        }
    request["DesiredConfiguration"] = desired
    return {**inputs, "request": request}


def second_up_starts_a_valid_refresh(inputs: dict) -> None:
    host = DynamicProviderHost(RefreshProvider(), config={"aws:region": inputs["region"]})
    created = host.create(inputs)
    news = with_version(inputs, "2")
    group = inputs["request"]["AutoScalingGroupName"]
    with aws_stubs() as aws:
        # The preview asks how the group's last refresh ended (none yet: just created).
        aws.add("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": []},
                {"AutoScalingGroupName": group, "MaxRecords": 1})  # fmt: skip
        assert host.diff(created.id, created, news).changes
        aws.add("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": []})
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2"})
        updated = host.update(created.id, created, news)
    (call,) = aws.made("autoscaling", "StartInstanceRefresh")
    preferences = call.params["Preferences"]
    assert isinstance(preferences["MinHealthyPercentage"], int)
    assert (
        call.params["DesiredConfiguration"] == round_trip(news)["request"]["DesiredConfiguration"]
    )
    assert updated.props["instance_refresh_id"] == "r-2"


def test_the_engine_hands_the_provider_floats():
    result = build_plan("dev").result
    inputs = round_trip(rollout_inputs(result))
    assert isinstance(inputs["request"]["Preferences"]["MinHealthyPercentage"], float)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_shipped_stack_rolls_out_on_its_second_up(stack):
    second_up_starts_a_valid_refresh(rollout_inputs(build_plan(stack).result))


@pytest.mark.parametrize("example", EXAMPLES)
def test_an_example_rolls_out_on_its_second_up(example):
    main = ROOT / "examples" / example / "__main__.py"
    result = run_program(lambda: runpy.run_path(str(main)))
    second_up_starts_a_valid_refresh(rollout_inputs(result))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_scaffolded_project_rolls_out_on_its_second_up(tmp_path, stack):
    create_project(tmp_path / "team", name="team")
    plan = build_project_plan(tmp_path / "team", stack)
    second_up_starts_a_valid_refresh(rollout_inputs(plan.run.result))
