"""The harness previews like the engine (issue 21, items 2 and 3).

On a first `pulumi preview`, every attribute a provider computes for a resource still to be
created (ids, ARNs, DNS names) is unknown: the engine answers RegisterResource with an empty id
and the UNKNOWN sentinel (pulumi/sdk/python/lib/pulumi/runtime/rpc.py), which the SDK turns into
Outputs whose is_known is False. `run_program(first_preview=True)` answers the same way through
the same serialization, so code that would fail or branch on an unknown is exercised, and the
strict AWS rules skip what they cannot see instead of raising on it.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.output import Unknown

from graviton_llm import NeuronServingCluster
from graviton_llm.facts import aws_rules
from graviton_llm.testing import run_program
from support import cluster_args

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ASG = "aws:autoscaling/group:Group"
SG = "aws:ec2/securityGroup:SecurityGroup"


def test_computed_attributes_of_new_resources_are_unknown_on_a_first_preview():
    def program() -> None:
        bucket = aws.s3.Bucket("data", bucket="team-data-bucket")
        pulumi.export("id", bucket.id)
        pulumi.export("arn", bucket.arn)
        pulumi.export("given", bucket.bucket)

    first = run_program(program, first_preview=True).stack_outputs
    assert isinstance(first["id"], Unknown) and isinstance(first["arn"], Unknown)
    assert first["given"] == "team-data-bucket"
    known = run_program(program).stack_outputs
    assert known["id"] == "data-id" and known["arn"].startswith("arn:aws:s3:")


@pytest.mark.slow
def test_a_cluster_in_a_network_the_stack_creates_previews_with_unknown_ids():
    def program() -> None:
        vpc = aws.ec2.Vpc("team", cidr_block="10.42.0.0/16")
        subnet = aws.ec2.Subnet("team-a", vpc_id=vpc.id, cidr_block="10.42.1.0/24")
        cluster = NeuronServingCluster("llm", cluster_args(vpc_id=vpc.id, subnet_ids=[subnet.id]))
        pulumi.export("endpoint", cluster.endpoint)

    result = run_program(program, first_preview=True)
    assert isinstance(result.one(ASG).inputs["vpcZoneIdentifiers"], Unknown)
    assert isinstance(result.one(SG).inputs["vpcId"], Unknown)
    assert isinstance(result.stack_outputs["endpoint"], Unknown)


# Shapes an unknown takes among the inputs the engine sends: the whole property, an element of a
# list, a value of a mapping, a field of a nested object.
def _unknown_everywhere(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    variants = []
    for key, value in inputs.items():
        variants.append({**inputs, key: Unknown()})
        if isinstance(value, list) and value:
            variants.append({**inputs, key: [Unknown(), *value[1:]]})
            if isinstance(value[0], dict):
                first = dict.fromkeys(value[0], Unknown())
                variants.append({**inputs, key: [first, *value[1:]]})
        if isinstance(value, dict) and value:
            variants.append({**inputs, key: dict.fromkeys(value, Unknown())})
    return variants


RULED = {
    "aws:ec2/securityGroup:SecurityGroup": {
        "description": "d",
        "vpcId": "vpc-1",
        "ingress": [
            {
                "protocol": "tcp",
                "fromPort": 80,
                "toPort": 80,
                "cidrBlocks": ["10.0.0.0/8"],
                "description": "x",
            }
        ],
        "tags": {"a": "b"},
    },
    "aws:autoscaling/group:Group": {
        "minSize": 1,
        "maxSize": 2,
        "desiredCapacity": 1,
        "launchTemplate": {"id": "lt-1", "version": "1"},
        "tags": [{"key": "a", "value": "b", "propagateAtLaunch": True}],
    },
    "aws:ec2/launchTemplate:LaunchTemplate": {"userData": "ZWNobw==", "name": "lt-name"},
    "aws:lb/loadBalancer:LoadBalancer": {"name": "nlb", "tags": {"a": "b"}},
    "aws:iam/rolePolicy:RolePolicy": {"role": "r", "policy": '{"Statement": []}'},
}


@pytest.mark.parametrize("type_", sorted(RULED))
def test_the_strict_rules_never_raise_on_an_unknown_value(type_):
    for inputs in _unknown_everywhere(RULED[type_]):
        assert isinstance(aws_rules.violations(type_, "logical", inputs), list)
        aws_rules.inline_policy_size(type_, inputs)


@pytest.mark.slow
def test_a_network_from_a_stack_reference_plans_under_the_strict_rules():
    """Item 2: the VPC and each subnet from a StackReference the harness cannot answer, in the
    list form, are unknown at preview. The strict rules used to iterate the unknown and raise."""

    def program() -> None:
        ref = pulumi.StackReference("acme/network/prod")
        NeuronServingCluster(
            "llm",
            cluster_args(
                vpc_id=ref.get_output("vpc_id"),
                subnet_ids=[ref.get_output("subnet_a"), ref.get_output("subnet_b")],
            ),
        )

    for first_preview in (False, True):
        result = run_program(program, first_preview=first_preview)
        assert isinstance(result.one(SG).inputs["vpcId"], Unknown)


EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_every_example_previews_on_a_first_preview(example):
    result = run_program(
        lambda: runpy.run_path(str(EXAMPLES / example / "__main__.py")), first_preview=True
    )
    assert result.of_type("graviton-llm:cluster:NeuronServingCluster")
