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


@pytest.mark.slow
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_shipped_stacks_pass_every_check(stack):
    plan = build_plan(stack)
    assert [(c.id, c.passed) for c in plan.security()] == [
        ("public-ingress", True),
        ("imdsv1", True),
        ("unencrypted-volume", True),
        ("wildcard-iam", True),
        ("s3-write-scope", True),
        ("s3-weights-overwrite", True),
    ]


def _policy(name: str, role: str, *statements: dict) -> None:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    aws.iam.RolePolicy(name, role=role, policy=json.dumps(document))


def _s3_writes_program() -> None:
    weights = "arn:aws:s3:::team-weights/llama/*"
    cache = "arn:aws:s3:::team-weights/.graviton-llm-cache/0123456789abcdef/"
    read = {"Sid": "ReadModelWeights", "Effect": "Allow", "Action": "s3:GetObject"}
    # A node as the cluster grants it: reads the weights, publishes only under its cache prefix.
    _policy(
        "node",
        "node-role",
        read | {"Resource": weights},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{cache}*"},
        {
            "Sid": "Upload",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
            "Resource": f"{cache}*/blobs/*",
        },
        {
            "Sid": "Publish",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"{cache}*/manifest.json",
            "Condition": {"StringEquals": {"s3:if-none-match": "*"}},
        },
    )
    # A role that may replace what another node published.
    _policy(
        "overwriter",
        "third-role",
        {
            "Sid": "Republish",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"{cache}*/manifest.json",
        },
    )
    # Roles that may overwrite the weights, even in the cache's own shape, delete, or write a
    # whole bucket.
    _policy(
        "poisoner",
        "other-role",
        {
            "Sid": "Overwrite",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": ["arn:aws:s3:::team-weights/llama/config.json", f"{weights}/manifest.json"],
        },
        {
            "Sid": "Anything",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": ["arn:aws:s3:::scratch", "arn:aws:s3:::scratch/*"],
        },
    )


def test_s3_writes_outside_a_cache_or_over_the_weights_are_found():
    check = {c.id: c for c in run_checks(run_program(_s3_writes_program).resources)}
    over = "over the model weights s3://team-weights/llama/ (node)"
    cache = "arn:aws:s3:::team-weights/.graviton-llm-cache/0123456789abcdef/"
    assert details(check["s3-write-scope"]) == [
        (
            "overwriter",
            f"Republish: may overwrite {cache}*/manifest.json (no s3:if-none-match condition)",
        ),
        ("poisoner", "Anything: may s3:deleteobject"),
        (
            "poisoner",
            "Anything: writes arn:aws:s3:::scratch, not an artifact cache's blobs or manifests",
        ),
        (
            "poisoner",
            "Anything: writes arn:aws:s3:::scratch/*, not an artifact cache's blobs or manifests",
        ),
        (
            "poisoner",
            "Overwrite: may overwrite arn:aws:s3:::team-weights/llama/*/manifest.json "
            "(no s3:if-none-match condition)",
        ),
        (
            "poisoner",
            "Overwrite: writes arn:aws:s3:::team-weights/llama/config.json, not an artifact "
            "cache's blobs or manifests",
        ),
    ]
    # Over the weights another policy grants: a check over the stack's policies together.
    assert details(check["s3-weights-overwrite"]) == [
        ("poisoner", "Overwrite: writes arn:aws:s3:::team-weights/llama/*/manifest.json " + over),
        ("poisoner", "Overwrite: writes arn:aws:s3:::team-weights/llama/config.json " + over),
    ]


def test_the_admin_policy_is_an_unscoped_s3_write_too(insecure):
    assert details(insecure["s3-write-scope"]) == [
        ("admin", "All: may s3:*"),
        ("admin", "All: writes *, not an artifact cache's blobs or manifests"),
    ]
