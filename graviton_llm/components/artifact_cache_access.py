"""ArtifactCacheAccess: least-privilege read and publish of one cluster's compiled artifacts."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ..args import ArtifactCacheAccessArgs
from ..documents.iam import artifact_cache_policy, to_json


class ArtifactCacheAccess(pulumi.ComponentResource):
    """An inline role policy: GetObject and a prefix-conditioned ListBucket under the cluster's
    artifact prefix, PutObject only on content-addressed blobs and manifests below it, and KMS
    via S3 when the cache bucket encrypts with a customer key. No delete, no wildcards."""

    policy: aws.iam.RolePolicy

    def __init__(
        self,
        name: str,
        args: ArtifactCacheAccessArgs | dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = ArtifactCacheAccessArgs.model_validate(args)
        super().__init__("graviton-llm:cache:ArtifactCacheAccess", name, None, opts)
        document = pulumi.Output.from_input(args.kms_key_arn).apply(
            lambda key: to_json(
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
