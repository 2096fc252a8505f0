"""The cluster's node agent in S3, for NeuronServingCluster: the archive its user data pins,
published beside the artifact cache, and the node role's grant to read exactly that object.

The key is named by the archive's SHA-256, so a change to node code is a new object (and a new
launch template version, which rolls out), and no change is no diff. Objects are never deleted
(retain_on_delete): a rollback, or a node the group launches from the previous template version
while a rollout is held, fetches the agent its own user data pins; and clusters that publish the
same agent beside the same cache share its key. They are small (docs/operations.md says how to
remove old ones)."""

from __future__ import annotations

import base64

import pulumi
import pulumi_aws as aws

from ..args import ResolvedClusterArgs
from ..args.fields import parse_s3_uri
from ..documents.iam import node_agent_read_policy, policy_json
from ..node.agent_archive import agent_archive
from ..node.agent_location import AgentLocation


def _bucket_key(args: ResolvedClusterArgs, location: AgentLocation) -> pulumi.Input[str] | None:
    """The KMS key the agent's bucket encrypts with, when the args name it (a string or an
    Output): the cache's, or in the weights bucket the weights'. Objects are written with it,
    which bucket policies that demand SSE-KMS headers accept."""
    cache, cache_key = args.artifact_cache_root, args.artifact_cache.kms_key_arn
    if cache is not None and cache[0] == location.bucket and cache_key is not None:
        return cache_key
    weights = parse_s3_uri(args.model.weights_uri)
    if weights is not None and weights[0] == location.bucket:
        return args.weights_kms_key_arn
    return None


def declare(
    parent: pulumi.Resource,
    name: str,
    args: ResolvedClusterArgs,
    location: AgentLocation,
    role: pulumi.Input[str],
) -> list[pulumi.Resource]:
    """The object and the read grant; nodes boot only after both exist."""
    child = pulumi.ResourceOptions(parent=parent)
    kms_key = _bucket_key(args, location)
    archive = agent_archive()
    agent = aws.s3.BucketObjectv2(
        f"{name}-node-agent",
        bucket=location.bucket,
        key=location.key,
        content_base64=base64.b64encode(archive.data).decode(),
        content_type="application/zip",
        # pulumi-aws 7 manages a resource in the region it names: the bucket's.
        region=location.region or None,
        server_side_encryption="aws:kms" if kms_key is not None else None,
        kms_key_id=kms_key,
        # No tags: clusters beside one cache share the object, and each would rewrite them.
        opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=True),
    )
    grant = aws.iam.RolePolicy(
        f"{name}-node-agent",
        role=role,
        policy=policy_json(node_agent_read_policy(location.bucket, location.key)),
        opts=child,
    )
    return [agent, grant]
