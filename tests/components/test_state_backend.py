"""StateBackend: the account's state bucket and keys, and the policy that keeps state from being
deleted while letting `pulumi` take and release its locks."""

from __future__ import annotations

import fnmatch
import json

import pytest

from graviton_llm.args import ArgsError
from graviton_llm.components.state_backend import StateBackend
from graviton_llm.documents.state_backend import setup_commands, state_bucket_policy
from graviton_llm.project.state_backend import main
from graviton_llm.testing import run_program

BUCKET = "pulumi-state-123456789012-us-east-1"
ARN = f"arn:aws:s3:::{BUCKET}"


@pytest.fixture(scope="module")
def backend():
    return run_program(main, project="acct-state", stack="account")


def test_a_versioned_kms_encrypted_private_bucket_and_two_rotating_keys(backend):
    bucket = backend.one("aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == BUCKET and bucket.protect
    assert bucket.inputs["forceDestroy"] is False
    keys = {k.name: k for k in backend.of_type("aws:kms/key:Key")}
    assert sorted(keys) == ["pulumi-state-secrets-key", "pulumi-state-state-key"]
    for key in keys.values():
        assert key.protect and key.inputs["enableKeyRotation"] is True
        assert key.inputs["deletionWindowInDays"] == 30
    versioning = backend.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    (rule,) = backend.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": keys["pulumi-state-state-key"].outputs["arn"],
    }
    assert rule["bucketKeyEnabled"] is True
    block = backend.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert all(block[flag] is True for flag in flags)
    aliases = {a.inputs["name"] for a in backend.of_type("aws:kms/alias:Alias")}
    assert aliases == {"alias/pulumi-state-state", "alias/pulumi-state-secrets"}
    # No deprecated S3 resource types (pulumi-aws v7 warns on the *V2 ones).
    assert not [r for r in backend.resources if r.type.endswith("V2")]


def test_the_program_prints_the_login_and_secrets_provider_lines(backend):
    outputs = backend.stack_outputs
    assert outputs["login_command"] == f"pulumi login 's3://{BUCKET}?region=us-east-1'"
    assert outputs["secrets_provider"] == "awskms://alias/pulumi-state-secrets?region=us-east-1"
    assert outputs["stack_init_command"] == (
        "pulumi stack init <stack> --secrets-provider "
        "'awskms://alias/pulumi-state-secrets?region=us-east-1'"
    )
    assert setup_commands(BUCKET, "alias/pulumi-state-secrets", "us-east-1", "prod")[:2] == [
        outputs["login_command"],
        outputs["stack_init_command"].replace("<stack>", "prod"),
    ]


def _denied(policy: dict, action: str, resource: str, secure: bool = True) -> bool:
    """Whether a Deny statement of ``policy`` matches (ARN wildcards: * and ?, across '/')."""
    for statement in policy["Statement"]:
        if statement["Effect"] != "Deny" or not fnmatch.fnmatchcase(action, statement["Action"]):
            continue
        if "Condition" in statement and secure:
            continue  # the only condition: aws:SecureTransport false
        if "NotResource" in statement:
            if not any(fnmatch.fnmatchcase(resource, p) for p in statement["NotResource"]):
                return True
        elif any(fnmatch.fnmatchcase(resource, p) for p in _list(statement["Resource"])):
            return True
    return False


def _list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize(
    ("action", "key", "denied"),
    [
        # What `pulumi` does on every update: write state and backups, take and drop its lock.
        ("s3:PutObject", ".pulumi/stacks/team/prod.json", False),
        ("s3:PutObject", ".pulumi/stacks/team/prod.json.bak", False),
        ("s3:PutObject", ".pulumi/history/team/prod/prod-1.history.json", False),
        ("s3:PutObject", ".pulumi/locks/organization/team/prod/0f1e.json", False),
        ("s3:DeleteObject", ".pulumi/locks/organization/team/prod/0f1e.json", False),
        ("s3:DeleteObject", "team-a/.pulumi/locks/organization/team/prod/0f1e.json", False),
        ("s3:GetObject", ".pulumi/stacks/team/prod.json", False),
        # What would lose state: refused to everyone.
        ("s3:DeleteObject", ".pulumi/stacks/team/prod.json", True),
        ("s3:DeleteObject", ".pulumi/history/team/prod/prod-1.history.json", True),
        ("s3:DeleteObject", ".pulumi/meta.yaml", True),
        ("s3:DeleteObject", "team-a/.pulumi/stacks/team/prod.json", True),
        ("s3:DeleteObjectVersion", ".pulumi/stacks/team/prod.json", True),
        ("s3:DeleteObjectVersion", ".pulumi/locks/organization/team/prod/0f1e.json", True),
    ],
)
def test_the_policy_keeps_state_and_lets_pulumi_lock(action, key, denied):
    assert _denied(state_bucket_policy(ARN), action, f"{ARN}/{key}") is denied


def test_the_policy_refuses_plain_http_and_bucket_deletion(backend):
    arn = backend.one("aws:s3/bucket:Bucket").outputs["arn"]  # the mock engine's ARN
    policy = json.loads(backend.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    assert policy == state_bucket_policy(arn)
    assert _denied(policy, "s3:GetObject", f"{arn}/.pulumi/meta.yaml", secure=False)
    assert _denied(policy, "s3:ListBucket", arn, secure=False)
    assert _denied(policy, "s3:DeleteBucket", arn)
    assert not _denied(policy, "s3:ListBucket", arn)


def test_bad_args_are_refused_by_field_before_anything_exists():
    result = run_program(
        lambda: StateBackend("s", {"name_prefix": "Pulumi_State", "bucket_name": "a..b"}),
        catch=True,
    )
    assert isinstance(result.error, ArgsError)
    fields = {p.field for p in result.error.problems}
    assert fields == {"name_prefix", "bucket_name"}
    assert result.resources == []


def test_a_given_bucket_name_and_prefix_name_the_resources():
    result = run_program(
        lambda: StateBackend("s", {"name_prefix": "acme", "bucket_name": "acme-state"}),
        region="eu-west-1",
    )
    assert result.one("aws:s3/bucket:Bucket").inputs["bucket"] == "acme-state"
    assert {a.inputs["name"] for a in result.of_type("aws:kms/alias:Alias")} == {
        "alias/acme-state",
        "alias/acme-secrets",
    }


@pytest.mark.slow
def test_old_state_versions_expire_but_recent_history_stays(backend):
    # Versioned, version deletion denied, and Pulumi rewrites the checkpoint at every step:
    # without a rule the versions grow forever (before: no lifecycle configuration at all).
    import boto3

    from graviton_llm.testing.aws_stubs import aws_stubs

    lifecycle = backend.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    (rule,) = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""}
    assert rule["noncurrentVersionExpiration"] == {
        "noncurrentDays": 90,
        "newerNoncurrentVersions": 20,
    }
    assert rule["expiration"] == {"expiredObjectDeleteMarker": True}
    assert "days" not in rule["expiration"]  # current state never expires
    assert any(d.endswith("pulumi-state-versioning") for d in lifecycle.dependencies)
    # The same rule as S3's API takes it, held against botocore's model.
    request = {
        "Bucket": BUCKET,
        "LifecycleConfiguration": {
            "Rules": [
                {
                    "ID": rule["id"], "Status": "Enabled", "Filter": {"Prefix": ""},
                    "NoncurrentVersionExpiration": {
                        "NoncurrentDays": 90, "NewerNoncurrentVersions": 20,
                    },
                    "Expiration": {"ExpiredObjectDeleteMarker": True},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                }
            ]
        },
    }  # fmt: skip
    with aws_stubs() as aws:
        aws.add("s3", "put_bucket_lifecycle_configuration", {}, request)
        boto3.client("s3", region_name="us-east-1").put_bucket_lifecycle_configuration(**request)
