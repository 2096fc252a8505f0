"""ArtifactCacheAccess: least-privilege read and publish of one cluster's compiled artifacts."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..args import ArtifactCacheAccessArgs, ArtifactCacheAccessArgsDict, ResolvedClusterArgs
from ..args.fields import parse_s3_uri
from ..documents.iam import artifact_cache_policy, policy_json
from ..node.artifact_key import artifact_cache_location
from .parts.inputs import validated


class ArtifactCacheAccess(pulumi.ComponentResource):
    """An inline role policy: GetObject and a prefix-conditioned ListBucket under the cluster's
    artifact prefix, PutObject only on content-addressed blobs and manifests below it, and KMS
    via S3 when the cache bucket encrypts with a customer key. No delete, no wildcards."""

    policy: aws.iam.RolePolicy

    def __init__(
        self,
        name: str,
        args: ArtifactCacheAccessArgs | ArtifactCacheAccessArgsDict,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare the inline policy that lets a cluster's node role read and publish its compiled
        artifacts.

        :param name: The component's name; its children are named ``<name>-...``.
        :param args: An ``ArtifactCacheAccessArgs``, or its dict form
            (``ArtifactCacheAccessArgsDict``).
        :param opts: Pulumi resource options (parent, providers, ...).
        :raises ArgsError: every bad field with its fix, before any resource is registered.
        """
        args = validated(ArtifactCacheAccessArgs, name, args, "ArtifactCacheAccess")
        super().__init__("graviton-llm:cache:ArtifactCacheAccess", name, None, opts)
        document = pulumi.Output.from_input(args.kms_key_arn).apply(
            lambda key: policy_json(
                artifact_cache_policy(args.cache_uri, kms_key_arn=key, region=args.region)
            )
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-rw",
            role=args.role,
            policy=document,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"policy_name": self.policy.name})


def cluster_cache_access(
    args: ResolvedClusterArgs, role: pulumi.Input[str], region: str
) -> ArtifactCacheAccessArgs | None:
    """The cache grant of a cluster's node role; None when the cluster has no cache (CPU, or
    the cache turned off)."""
    location = artifact_cache_location(args)
    if location is None:
        return None
    bucket, prefix = location
    weights = parse_s3_uri(args.model.weights_uri)
    same_bucket = weights is not None and weights[0] == bucket
    return ArtifactCacheAccessArgs(
        role=role,
        cache_uri=f"s3://{bucket}/{prefix}",
        # In the weights bucket the weights' key encrypts the cache too.
        kms_key_arn=args.artifact_cache.kms_key_arn
        or (args.weights_kms_key_arn if same_bucket else None),
        region=(args.model.weights_region or region) if same_bucket else None,
    )
