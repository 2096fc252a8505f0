"""Pure IAM policy documents. Reviewed by humans, so golden-tested and kept least-privilege."""

from __future__ import annotations

import json
from typing import Any

from ..args.fields import parse_s3_uri
from ..args.identifiers import kms_key_arn_problems

EC2_ASSUME_ROLE_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

# AWS managed policies: SSM Session Manager (the default way onto a node, instead of SSH) and the
# CloudWatch agent (metrics and logs). Names from the AWS managed policy reference.
SSM_MANAGED_POLICY = "AmazonSSMManagedInstanceCore"
CLOUDWATCH_AGENT_POLICY = "CloudWatchAgentServerPolicy"


def managed_policy_arn(name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def weights_read_policy(
    weights_uri: str,
    *,
    kms_key_arn: str | None = None,
    region: str | None = None,
    partition: str = "aws",
) -> dict[str, Any]:
    """Read one model prefix and nothing else.

    GetObject on the prefix's objects; ListBucket on the bucket only for keys under the prefix
    (the ``s3:prefix`` condition: `aws s3 sync` lists before it copies); kms:Decrypt on the given
    key only when S3 calls KMS on the role's behalf (``kms:ViaService``).
    """
    parsed = parse_s3_uri(weights_uri)
    if parsed is None:
        raise ValueError(f"weights_uri {weights_uri!r} is not s3://<bucket>/<prefix>/")
    bucket, prefix = parsed
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadModelWeights",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:{partition}:s3:::{bucket}/{prefix}*",
        },
        {
            "Sid": "ListModelPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:{partition}:s3:::{bucket}",
            "Condition": {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}},
        },
    ]
    if kms_key_arn is not None:
        statements.append(_decrypt_via("DecryptWeightsViaS3", kms_key_arn, "s3", region))
    return {"Version": "2012-10-17", "Statement": statements}


def _parent_prefix(prefix: str) -> str:
    """ "cache/abc123/" -> "cache/"; a key at the bucket's top keeps its own prefix (reading
    the whole bucket would reach whatever else it holds)."""
    parent = prefix.rstrip("/").rpartition("/")[0]
    return f"{parent}/" if parent else prefix


def artifact_cache_policy(
    cache_uri: str,
    *,
    kms_key_arn: str | None = None,
    region: str | None = None,
    partition: str = "aws",
) -> dict[str, Any]:
    """Read and write one cluster's compiled artifacts, and nothing else.

    ``cache_uri`` is the cache's root plus the cluster's static artifact key (what the renderer
    knows of the key: image, model, shapes, instance family). Below it a node's entries differ
    only by the weights' digest, computed at boot, so the write grant cannot name the entry;
    it names the only two kinds of key a publisher writes there: content-addressed blobs and
    the manifest, the manifest only as a conditional create. No delete (a node never removes
    what another published), no ACLs, nothing under the weights. Reads (and ListBucket, so a
    missing manifest answers 404, not 403) cover the cache's root, the parent of the key: while
    a new key is pre-warmed with the rollout held (`graviton-llm compile`, rollout.hold), nodes
    the group still launches on the previous version download that version's artifacts.
    """
    parsed = parse_s3_uri(cache_uri)
    if parsed is None:
        raise ValueError(f"cache_uri {cache_uri!r} is not s3://<bucket>/<prefix>/")
    bucket, prefix = parsed
    objects = f"arn:{partition}:s3:::{bucket}/{prefix}"
    root = _parent_prefix(prefix)
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadCompiledArtifacts",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:{partition}:s3:::{bucket}/{root}*",
        },
        {
            "Sid": "ListCompiledArtifacts",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:{partition}:s3:::{bucket}",
            "Condition": {"StringLike": {"s3:prefix": [root, f"{root}*"]}},
        },
        {
            "Sid": "UploadCompiledArtifacts",
            "Effect": "Allow",
            # Multipart uploads need PutObject for every part; AbortMultipartUpload lets the
            # CLI clean up a failed one instead of leaving its parts billed.
            "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
            "Resource": f"{objects}*/blobs/*",
        },
        {
            "Sid": "PublishManifestOnce",
            "Effect": "Allow",
            # Only a conditional create (If-None-Match: *, one small PUT): a node can publish a
            # new entry but never overwrite one another node published, even if compromised.
            "Action": "s3:PutObject",
            "Resource": f"{objects}*/manifest.json",
            "Condition": {"StringEquals": {"s3:if-none-match": "*"}},
        },
    ]
    if kms_key_arn is not None:
        # Writing under SSE-KMS needs a data key, and a multipart upload also kms:Decrypt.
        actions = ["kms:Decrypt", "kms:GenerateDataKey"]
        statements.append(_kms_via("EncryptArtifactsViaS3", kms_key_arn, "s3", region, actions))
    return {"Version": "2012-10-17", "Statement": statements}


def node_agent_read_policy(bucket: str, key: str, partition: str = "aws") -> dict[str, Any]:
    """GetObject on the one object that is the node agent the user data pins, nothing else: no
    listing (a missing agent then answers 403, which the bootstrap reports as it does 404), no
    write (a node that could replace the agent would only stop the others: they check its
    SHA-256). Its bucket's KMS key, if any, is granted with the weights or the cache."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadNodeAgent",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:{partition}:s3:::{bucket}/{key}",
            }
        ],
    }


def _decrypt_via(sid: str, key_arn: str, service: str, region: str | None) -> dict[str, Any]:
    """kms:Decrypt on one key, only when ``service`` calls KMS for the role (kms:ViaService)."""
    return _kms_via(sid, key_arn, service, region, "kms:Decrypt")


def _kms_via(
    sid: str, key_arn: str, service: str, region: str | None, actions: str | list[str]
) -> dict[str, Any]:
    # The args check a key ARN given as a string; one given as an Output is known only here,
    # when the policy is built from its value: a wildcard (arn:aws:kms:*:*:key/*) would grant
    # decrypt on every key of every account.
    problems = kms_key_arn_problems(sid, key_arn) if isinstance(key_arn, str) else ["not a str"]
    if problems:
        raise ValueError(
            f"{sid}: the KMS key {key_arn!r} is not a single key's ARN (no alias, no wildcard), "
            "e.g. arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        )
    via = f"{service}.{region}.amazonaws.com" if region else f"{service}.*.amazonaws.com"
    operator = "StringEquals" if region else "StringLike"
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": key_arn,
        "Condition": {operator: {"kms:ViaService": via}},
    }


def policy_json(document: dict[str, Any]) -> str:
    """A policy document as the resources send it: keys in the order written (Version before
    Statement), no final newline. Not safeio.json_text.to_json: these bytes are a resource input
    in every deployed stack's state, and other bytes would show every role policy as changed."""
    return json.dumps(document, indent=2, sort_keys=False)


def node_operations_policy(
    *,
    auto_scaling_group_arn: str,
    api_key_parameter_arn: str | list[str] | None = None,
    api_key_kms_key_arn: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """What a node does to its own group and reads at boot, scoped to this cluster.

    The node heartbeats and finishes its launch lifecycle hook and lifts its scale-in
    protection once it serves; with an API key it reads that one parameter (and, when its name
    is secret, the cluster's parameter holding the name; SecureStrings under
    the AWS managed aws/ssm key decrypt through SSM without a KMS grant; a customer managed key
    needs kms:Decrypt, granted only via SSM).
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReleaseOwnNode",
            "Effect": "Allow",
            "Action": [
                "autoscaling:CompleteLifecycleAction",
                "autoscaling:RecordLifecycleActionHeartbeat",
                "autoscaling:SetInstanceProtection",
            ],
            "Resource": auto_scaling_group_arn,
        }
    ]
    if api_key_parameter_arn is not None:
        statements.append(
            {
                "Sid": "ReadApiKey",
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": api_key_parameter_arn,
            }
        )
        if api_key_kms_key_arn is not None:
            statements.append(
                _decrypt_via("DecryptApiKeyViaSsm", api_key_kms_key_arn, "ssm", region)
            )
    return {"Version": "2012-10-17", "Statement": statements}


def ssm_parameter_arn(name: str, *, region: str, account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def alarm_topic_key_policy(account_id: str, partition: str = "aws") -> dict[str, Any]:
    """Key policy for the alarm topic's KMS key.

    CloudWatch can publish alarms to an encrypted SNS topic only when the topic's customer
    managed key lets cloudwatch.amazonaws.com use it; the AWS managed aws/sns key cannot (its
    policy is fixed), and alarms to such a topic are silently dropped (SNS developer guide,
    "Key management": compatibility with AWS services). The account keeps administering the key
    through IAM, as in KMS's default key policy.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ],
    }
