"""Security checks see what a program would send to AWS, whoever declared it."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from graviton_llm.plan import build_plan
from graviton_llm.plan.findings import run_checks
from graviton_llm.testing import run_program


def _insecure_program() -> None:
    aws.ec2.SecurityGroup(
        "open",
        ingress=[
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=8000, to_port=8000, cidr_blocks=["0.0.0.0/0"]
            ),
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=22, to_port=22, ipv6_cidr_blocks=["::/0"]
            ),
        ],
    )
    aws.lb.LoadBalancer("public-nlb", internal=False, load_balancer_type="network")
    aws.ec2.LaunchTemplate(
        "legacy",
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(http_tokens="optional"),
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda",
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(volume_size=100),
            )
        ],
    )
    aws.ebs.Volume("scratch", availability_zone="us-east-1a", size=10)
    aws.iam.RolePolicy(
        "admin",
        role="r",
        policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                    {"Effect": "Deny", "Action": "*", "Resource": "*"},
                ],
            }
        ),
    )
    aws.iam.RolePolicyAttachment(
        "poweruser", role="r", policy_arn="arn:aws:iam::aws:policy/PowerUserAccess"
    )


@pytest.fixture(scope="module")
def insecure():
    return {c.id: c for c in run_checks(run_program(_insecure_program).resources)}


def details(check) -> list[tuple[str, str]]:
    return [(f.resource, f.detail) for f in check.findings]


def test_public_ingress_and_internet_facing_load_balancer_are_found(insecure):
    assert details(insecure["public-ingress"]) == [
        ("open", "tcp 22 from ::/0"),
        ("open", "tcp 8000 from 0.0.0.0/0"),
        ("public-nlb", "internet-facing"),
    ]


def test_imdsv1_is_found(insecure):
    assert details(insecure["imdsv1"]) == [("legacy", "metadataOptions.httpTokens = 'optional'")]


def test_unencrypted_volumes_are_found(insecure):
    assert details(insecure["unencrypted-volume"]) == [
        ("legacy", "/dev/xvda: not encrypted"),
        ("scratch", "volume: not encrypted"),
    ]


def test_wildcard_iam_is_found_but_deny_statements_are_not(insecure):
    assert details(insecure["wildcard-iam"]) == [
        ("admin", "All: Action ['s3:*']"),
        ("admin", "All: Resource '*'"),
        ("poweruser", "attaches arn:aws:iam::aws:policy/PowerUserAccess"),
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_shipped_stacks_pass_every_check(stack):
    plan = build_plan(stack)
    assert [(c.id, c.passed) for c in plan.security()] == [
        ("public-ingress", True),
        ("imdsv1", True),
        ("unencrypted-volume", True),
        ("wildcard-iam", True),
    ]
