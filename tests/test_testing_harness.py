"""The public mock harness reports what teams need to test their own stacks."""

from __future__ import annotations

import asyncio
import gc
import json
import logging

import pulumi
import pulumi_aws as aws
import pytest

from graviton_llm.testing import AwsRuleViolation, resolve, run_program


def test_harness_reports_type_name_inputs_parent_and_options():
    class Wrapper(pulumi.ComponentResource):
        def __init__(self, name):
            super().__init__("team:index:Wrapper", name, None, None)
            self.bucket = aws.s3.Bucket(
                f"{name}-bucket",
                tags={"a": "b"},
                opts=pulumi.ResourceOptions(
                    parent=self, protect=True, ignore_changes=["tags"], retain_on_delete=True
                ),
            )

    result = run_program(lambda: Wrapper("w"))
    bucket = result.one("aws:s3/bucket:Bucket")
    assert bucket.name == "w-bucket" and bucket.inputs["tags"] == {"a": "b"}
    assert bucket.parent_name == "w"
    assert bucket.protect and bucket.retain_on_delete
    assert bucket.ignore_changes == ["tags"]
    assert result.children_of(result.one("team:index:Wrapper")) == [bucket]


def test_harness_reads_stack_config_and_exports():
    def program():
        config = pulumi.Config("team")
        pulumi.export("greeting", f"hello {config.require('name')}")
        pulumi.export("object", config.require_object("settings")["size"])

    result = run_program(program, config={"team:name": "ml", "team:settings": {"size": 3}})
    assert result.stack_outputs == {"greeting": "hello ml", "object": 3}


def test_harness_resolves_outputs_and_runs_are_independent():
    first = run_program(lambda: aws.s3.Bucket("one"))
    second = run_program(lambda: aws.s3.Bucket("two"))
    assert [r.name for r in first.resources] == ["one"]
    assert [r.name for r in second.resources] == ["two"]
    assert resolve(pulumi.Output.from_input("x").apply(lambda v: v + "y")) == "xy"


def test_harness_answers_the_lookups_team_programs_make():
    from graviton_llm.testing import MOCK_VPC_CIDR, MOCK_VPC_ID

    def program():
        vpc = aws.ec2.get_vpc(default=True)
        subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}])
        first = aws.ec2.get_subnet(id=subnets.ids[0])
        zones = aws.get_availability_zones(state="available")
        pulumi.export("vpc", [vpc.id, vpc.cidr_block, vpc.cidr_block_associations[0].cidr_block])
        pulumi.export("subnets", subnets.ids)
        pulumi.export("first", [first.availability_zone, first.vpc_id, first.cidr_block])
        pulumi.export("zones", [zones.names, zones.zone_ids])
        pulumi.export("account", aws.get_caller_identity().account_id)
        pulumi.export("region", aws.get_region().region)
        pulumi.export("partition", aws.get_partition().partition)
        pulumi.export("ami", aws.ssm.get_parameter(name="/aws/service/x/image_id").value)
        pulumi.export("setting", aws.ssm.get_parameter(name="/team/setting").value)

    outputs = run_program(program, region="eu-west-1").stack_outputs
    assert outputs["vpc"] == [MOCK_VPC_ID, MOCK_VPC_CIDR, MOCK_VPC_CIDR]
    assert len(outputs["subnets"]) == 3 and all(
        s.startswith("subnet-0") for s in outputs["subnets"]
    )
    assert outputs["first"] == ["eu-west-1a", MOCK_VPC_ID, "10.20.0.0/20"]
    assert outputs["zones"] == [
        ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        ["euw1-az1", "euw1-az2", "euw1-az3"],
    ]
    assert outputs["account"] == "123456789012" and outputs["region"] == "eu-west-1"
    assert outputs["partition"] == "aws"
    assert outputs["ami"].startswith("ami-") and outputs["setting"] == "mock-value-of-/team/setting"


def _refused_by_aws():
    aws.s3.Bucket("before")
    aws.iam.Role("role", name="r" * 65, assume_role_policy="{}")


def _raises_inside_a_component():
    class Broken(pulumi.ComponentResource):
        def __init__(self):
            super().__init__("team:index:Broken", "broken")
            aws.s3.Bucket("inner", opts=pulumi.ResourceOptions(parent=self))
            raise KeyError("missing setting")

    Broken()


def _fails_in_an_apply():
    pulumi.export("ratio", aws.s3.Bucket("pending").id.apply(lambda _: 1 / 0))


@pytest.mark.parametrize(
    "failing", [_refused_by_aws, _raises_inside_a_component, _fails_in_an_apply]
)
def test_a_failed_program_leaves_nothing_behind_for_the_next_run(failing):
    # Teams run many programs in one pytest process; a failure must not leak resources,
    # exports or pending outputs into the next one.
    failed = run_program(failing, catch=True)
    assert failed.error is not None and failed.stack_outputs == {}

    def program():
        pulumi.export("bucket", aws.s3.Bucket("after").id)

    after = run_program(program)
    assert [r.name for r in after.resources] == ["after"]
    assert after.stack_outputs == {"bucket": "after-id"} and after.error is None


@pytest.mark.slow
def test_a_failure_is_reported_once_not_again_when_its_futures_are_collected(caplog):
    # Pulumi stores a failed registration's error in every output of the resource; collected
    # later (here: after a program with lookups), asyncio printed each as "never retrieved".
    caplog.set_level(logging.ERROR, logger="asyncio")
    assert isinstance(run_program(_refused_by_aws, catch=True).error, AwsRuleViolation)
    test_harness_answers_the_lookups_team_programs_make()
    unrelated = asyncio.get_event_loop_policy().get_event_loop().create_future()
    unrelated.set_exception(RuntimeError("an error nobody reported"))
    del unrelated
    gc.collect()
    unretrieved = [r.getMessage() for r in caplog.records if "never retrieved" in r.getMessage()]
    assert len(unretrieved) == 1 and "an error nobody reported" in unretrieved[0]


def _statement_of(chars: int) -> dict:
    # {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/<pad>"} inside
    # {"Version":"2012-10-17","Statement":[...]}: pad the resource to `chars` in total.
    skeleton = json.dumps(_policy("")).replace(" ", "")
    return _policy("x" * (chars - len(skeleton)))


def _policy(pad: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::b/{pad}"}
        ],
    }


def test_the_harness_adds_up_a_roles_inline_policies_as_iam_counts_them():
    # IAM quotas: 10,240 characters across one role's inline policies, whitespace not counted.
    def program(sizes: dict[str, list[int]], indent: int | None = None):
        def declare():
            for role, chars in sizes.items():
                for i, size in enumerate(chars):
                    document = json.dumps(_statement_of(size), indent=indent)
                    aws.iam.RolePolicy(f"{role}-{i}", role=role, policy=document)

        return run_program(declare, catch=True)

    assert program({"node": [10_240]}, indent=8).error is None  # whitespace is free
    assert program({"node": [6_000], "other": [6_000]}).error is None  # per role
    alone = program({"node": [10_241]}).error
    assert isinstance(alone, AwsRuleViolation) and "10241 characters" in str(alone)
    together = program({"node": [6_000, 4_241]})
    assert isinstance(together.error, AwsRuleViolation)
    assert together.error.name == "node-1" and "over IAM's 10240 per role" in str(together.error)
