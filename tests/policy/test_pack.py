"""The policy pack judges any stack's resources as the engine hands them over: our own stacks
pass it, hand-written resources that break a rule are reported at the rule's level, a team's
configuration changes what passes, and a value a preview cannot know is not judged until it is."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from graviton_llm import project
from graviton_llm.facts.aws_rules import RULES, STACK_RULES
from graviton_llm.plan.checks import CHECKS
from graviton_llm.policy import policies
from graviton_llm.project.stack_files import stack_region
from graviton_llm.testing import AwsRuleViolation, run_program
from policy_analyzer import Declared, analyze, analyze_stack

SG = "aws:ec2/securityGroup:SecurityGroup"


def test_the_pack_carries_each_rule_once_at_its_level_with_its_options() -> None:
    pack = policies()
    assert [p.name for p in pack] == [r.id for r in (*CHECKS, *RULES, *STACK_RULES)]
    levels = {p.name: p.enforcement_level.value for p in pack if p.enforcement_level}
    assert levels == {
        "public-ingress": "mandatory", "imdsv1": "mandatory", "unencrypted-volume": "mandatory",
        "wildcard-iam": "mandatory", "s3-write-scope": "advisory", "aws-names": "mandatory",
        "aws-security-group-rules": "mandatory", "aws-user-data-size": "mandatory",
        "aws-tags": "mandatory", "aws-auto-scaling-group": "mandatory",
        "aws-role-policy-size": "mandatory", "s3-weights-overwrite": "advisory",
        "aws-role-inline-policy-size": "mandatory",
    }  # fmt: skip
    # Only what needs the stack's resources together is a stack policy: it reports after the
    # deployment, where a resource policy refuses before the resource is sent.
    stack = {p.name for p in pack if isinstance(p, StackValidationPolicy)}
    assert stack == {"s3-weights-overwrite", "aws-role-inline-policy-size"}
    assert all(isinstance(p, ResourceValidationPolicy) for p in pack if p.name not in stack)
    configured = {p.name: p.config_schema.properties for p in pack if p.config_schema}
    assert set(configured) == {"public-ingress"}
    assert configured["public-ingress"]["allowedCidrs"]["default"] == []


def _stack_runs(stack: str) -> list:
    config = project.load_stack_config(stack)
    region = stack_region(stack, config)
    return [
        run_program(project.main, config=config, project=project.PROJECT, stack=stack,
                    region=region, first_preview=first)
        for first in (False, True)
    ]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_our_stacks_pass_every_policy_deployed_and_on_a_first_preview(stack: str) -> None:
    deployed, first_preview = _stack_runs(stack)
    assert analyze(deployed.resources) == []
    assert analyze_stack(deployed.resources) == []
    # A first preview: policies built from Outputs (role names, ARNs) are not known yet; what
    # reads them waits, as pulumi-policy's advisory says, and nothing is refused.
    waiting = analyze(first_preview.resources) + analyze_stack(first_preview.resources)
    assert waiting
    assert all(d.level == "advisory" and "can't be known during preview" in d.message
               for d in waiting)  # fmt: skip


def _insecure() -> None:
    aws.ec2.SecurityGroup(
        "open",
        ingress=[
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=443, to_port=443, cidr_blocks=["0.0.0.0/0"]
            ),
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=22, to_port=22, cidr_blocks=["52.94.76.0/24"]
            ),
        ],
    )
    aws.lb.LoadBalancer("web", internal=False, load_balancer_type="application")
    aws.ec2.LaunchTemplate(
        "legacy",
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(http_tokens="optional"),
    )
    aws.ebs.Volume("scratch", availability_zone="us-east-1a", size=10)
    aws.iam.RolePolicy(
        "admin",
        role="r",
        policy=json.dumps({"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}),
    )
    aws.iam.RolePolicyAttachment(
        "admin-attach", role="r", policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
    )


@pytest.fixture(scope="module")
def insecure() -> list:
    return run_program(_insecure).resources


def _found(diagnostics: list) -> set[tuple[str, str, str, str]]:
    return {
        (d.policy, d.level, d.urn.rsplit("::", 1)[-1], d.message.split("\n", 1)[-1])
        for d in diagnostics
    }


def test_hand_written_resources_that_break_a_rule_are_refused_at_its_level(insecure) -> None:
    assert _found(analyze(insecure)) == {
        ("public-ingress", "mandatory", "open", "tcp 443 from 0.0.0.0/0"),
        ("public-ingress", "mandatory", "open", "tcp 22 from 52.94.76.0/24"),
        ("public-ingress", "mandatory", "web", "internet-facing"),
        ("imdsv1", "mandatory", "legacy", "metadataOptions.httpTokens = 'optional'"),
        ("unencrypted-volume", "mandatory", "scratch", "volume: not encrypted"),
        ("wildcard-iam", "mandatory", "admin", "Statement[0]: Action ['ec2:*']"),
        ("wildcard-iam", "mandatory", "admin", "Statement[0]: Resource '*'"),
        ("wildcard-iam", "mandatory", "admin-attach",
         "attaches arn:aws:iam::aws:policy/AdministratorAccess"),
    }  # fmt: skip


def test_a_platform_team_configures_allowed_ranges_and_levels(insecure) -> None:
    config = {
        "public-ingress": {"allowedCidrs": ["52.94.0.0/16"],
                           "allowInternetFacingLoadBalancers": True},
        "imdsv1": {"enforcementLevel": "advisory"},
        "unencrypted-volume": {"enforcementLevel": "disabled"},
    }  # fmt: skip
    found = _found(analyze(insecure, config))
    assert {f for f in found if f[0] == "public-ingress"} == {
        ("public-ingress", "mandatory", "open", "tcp 443 from 0.0.0.0/0")
    }
    assert ("imdsv1", "advisory", "legacy", "metadataOptions.httpTokens = 'optional'") in found
    assert not any(f[0] == "unencrypted-volume" for f in found)


def test_an_allowed_range_covers_only_addresses_inside_it() -> None:
    wide = Declared(SG, "partner", {"ingress": [
        {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["52.0.0.0/8"]},
        {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "ipv6CidrBlocks": ["::/0"]},
    ]})  # fmt: skip
    found = _found(analyze([wide], {"public-ingress": {"allowedCidrs": ["52.94.76.0/24"]}}))
    assert found == {
        ("public-ingress", "mandatory", "partner", "tcp 443 from 52.0.0.0/8"),
        ("public-ingress", "mandatory", "partner", "tcp 443 from ::/0"),
    }


def _grant_on_a_new_bucket() -> None:
    bucket = aws.s3.Bucket("data")
    aws.iam.RolePolicy(
        "writer",
        role="r",
        policy=bucket.arn.apply(
            lambda arn: json.dumps(
                {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": f"{arn}/*"}]}
            )
        ),
    )
    aws.ec2.LaunchTemplate(
        "later", metadata_options={"http_tokens": bucket.arn.apply(lambda _: "optional")}
    )


def test_what_a_preview_cannot_know_waits_for_the_deployment() -> None:
    preview = run_program(_grant_on_a_new_bucket, first_preview=True).resources
    waiting = _found(analyze(preview))
    assert waiting == {
        (policy, "advisory", resource, f"can't run policy '{policy}' from policy pack "
         f"'graviton-llm@v0.0.1' during preview: string value at .{path} can't be known "
         "during preview")
        for policy, resource, path in [
            ("wildcard-iam", "writer", "policy"), ("s3-write-scope", "writer", "policy"),
            ("imdsv1", "later", "metadataOptions.httpTokens"),
        ]
    }  # fmt: skip
    deployed_run = run_program(_grant_on_a_new_bucket, preview=False).resources
    deployed = _found(analyze(deployed_run))
    assert {(f[0], f[1], f[2]) for f in deployed} == {
        ("wildcard-iam", "mandatory", "writer"),
        ("s3-write-scope", "advisory", "writer"),
        ("imdsv1", "mandatory", "later"),
    }
    # The stack policy reads the policy on the preview too: it waits, naming the resource.
    [stack_waiting] = analyze_stack(preview)
    assert (stack_waiting.policy, stack_waiting.level) == ("s3-weights-overwrite", "advisory")
    assert stack_waiting.message.endswith(
        "string value at .writer.policy can't be known during preview"
    )
    assert analyze_stack(deployed_run) == []  # no weights granted: nothing to overwrite


def test_an_aws_rule_never_reports_an_unknown_name() -> None:
    unknown_name = Declared("aws:lb/loadBalancer:LoadBalancer", "a" * 40,
                            {"name": pulumi.output.UNKNOWN, "internal": True})  # fmt: skip
    assert analyze([unknown_name]) == []
    known = Declared("aws:lb/loadBalancer:LoadBalancer", "lb", {"name": "b" * 40, "internal": True})
    assert _found(analyze([known])) == {
        ("aws-names", "mandatory", "lb", f"name {'b' * 40!r}: 40 characters, over 32 "
         "(ELBv2 CreateLoadBalancer)")
    }  # fmt: skip


def _two_inline_policies() -> None:
    role = aws.iam.Role("worker", assume_role_policy=json.dumps({"Statement": []}))
    for i in range(2):
        statement = {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": [f"arn:aws:s3:::bucket-{i}/{'k' * 40}/{n}" for n in range(90)],
        }
        aws.iam.RolePolicy(
            f"read-{i}", role=role.name, policy=json.dumps({"Statement": [statement]})
        )


def test_a_role_over_its_inline_policy_quota_is_refused_by_the_harness_and_the_pack() -> None:
    with pytest.raises(AwsRuleViolation, match="inline policies total"):
        run_program(_two_inline_policies, preview=False)
    resources = run_program(_two_inline_policies, preview=False, strict=False).resources
    [(policy, level, resource, detail)] = _found(analyze_stack(resources))
    assert (policy, level) == ("aws-role-inline-policy-size", "mandatory")
    assert resource in {"read-0", "read-1"} and "over IAM's 10240 per role" in detail
    assert analyze_stack(resources[:2]) == []  # one policy alone is within the quota


@pytest.mark.slow
@pytest.mark.parametrize("rule", [r for r in (*CHECKS, *RULES) if r.scope == "resource"],
                         ids=lambda r: r.id)  # fmt: skip
def test_a_resource_rule_judges_each_resource_alone(rule, insecure) -> None:
    resources = [*insecure, *_stack_runs("dev")[0].resources]
    assert sorted(map(repr, rule(resources))) == sorted(
        repr(found) for r in resources for found in rule([r])
    )
