"""StateBackend: where a team's Pulumi stacks keep their state and secrets, once per account.

State holds every resource id and the stack's (encrypted) secret config: losing it orphans the
infrastructure, leaking it is an incident. So the bucket is versioned, encrypted with its own KMS
key (rotation on), closed to the public, refuses plain HTTP and any deletion of state
(documents/state_backend.py says why exactly that, from what `pulumi` itself writes and deletes),
and both the bucket and the keys are protected from `pulumi destroy`. A second key, reached by
its alias, is the stacks' secrets provider (`awskms://alias/...`).

Resources use pulumi-aws v7's current S3 types (s3.Bucket with separate BucketVersioning,
BucketServerSideEncryptionConfiguration, BucketPublicAccessBlock and BucketPolicy resources; the
*V2 names and the bucket's inline arguments are deprecated in v7).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..args import StateBackendArgs, StateBackendArgsDict
from ..args.base import with_fields_help
from ..args.problems import Problem
from ..args.refusals import ArgsError, from_problems
from ..documents.iam import policy_json
from ..documents.state_backend import (
    ABORT_UPLOADS_AFTER_DAYS,
    STATE_HISTORY_DAYS,
    STATE_HISTORY_VERSIONS,
    key_alias,
    login_url,
    secrets_provider_url,
    state_bucket_name,
    state_bucket_policy,
)
from .parts.inputs import default_provider_region, validated
from .parts.tagging import Tags, merged_tags


class StateBackend(pulumi.ComponentResource):
    """The state bucket (versioned, SSE-KMS with its own rotating key, public access blocked, a
    policy refusing plain HTTP and state deletion) and the secrets provider's KMS key and alias.

    Outputs: ``bucket_name``, ``login_url`` (`pulumi login` takes it), ``secrets_provider``
    (`--secrets-provider` takes it), ``state_key_arn``, ``secrets_key_arn``.
    """

    bucket: aws.s3.Bucket
    state_key: aws.kms.Key
    secrets_key: aws.kms.Key
    secrets_alias: aws.kms.Alias
    bucket_name: pulumi.Output[str]
    login_url: pulumi.Output[str]
    secrets_provider: pulumi.Output[str]
    region: str
    args: StateBackendArgs

    def __init__(
        self,
        name: str,
        args: StateBackendArgs | StateBackendArgsDict | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare the account's state bucket, its two KMS keys and their aliases.

        :param name: The component's name; its children are named ``<name>-...``.
        :param args: A ``StateBackendArgs``, or its dict form (``StateBackendArgsDict``); every
            field has a default.
        :param opts: Pulumi resource options (parent, providers, ...).
        :raises ArgsError: every bad field with its fix, before any resource is registered.
        """
        args = validated(StateBackendArgs, name, args or {}, "StateBackend")
        self.args, self.region = args, _region(name, args)
        super().__init__("graviton-llm:state:StateBackend", name, None, opts)
        tags = merged_tags(name, {"Purpose": "pulumi-state", **args.tags})
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=True)

        self.state_key = self._key(f"{name}-state-key", "the Pulumi state bucket", tags, kept)
        aws.kms.Alias(
            f"{name}-state-key-alias",
            name=key_alias(args.name_prefix, "state"),
            target_key_id=self.state_key.key_id,
            opts=child,
        )
        self.secrets_key = self._key(f"{name}-secrets-key", "Pulumi stack secrets", tags, kept)
        self.secrets_alias = aws.kms.Alias(
            f"{name}-secrets-key-alias",
            name=key_alias(args.name_prefix, "secrets"),
            target_key_id=self.secrets_key.key_id,
            opts=child,
        )
        self._declare_bucket(name, args, tags, kept, child)

        self.login_url = self.bucket.bucket.apply(lambda bucket: login_url(bucket, self.region))
        self.secrets_provider = self.secrets_alias.name.apply(
            lambda alias: secrets_provider_url(alias, self.region)
        )
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "login_url": self.login_url,
                "secrets_provider": self.secrets_provider,
                "state_key_arn": self.state_key.arn,
                "secrets_key_arn": self.secrets_key.arn,
            }
        )

    def _key(
        self, name: str, purpose: str, tags: Tags, opts: pulumi.ResourceOptions
    ) -> aws.kms.Key:
        # No key policy given: KMS's default one lets the account's IAM policies grant use
        # (AWS KMS Developer Guide, "Default key policy"), so who may read state and secrets is
        # decided where the rest of the team's access is.
        return aws.kms.Key(
            name,
            description=f"graviton-llm: encrypts {purpose}",
            enable_key_rotation=True,
            deletion_window_in_days=self.args.key_deletion_window_days,
            tags=tags,
            opts=opts,
        )

    def _declare_bucket(
        self,
        name: str,
        args: StateBackendArgs,
        tags: Tags,
        kept: pulumi.ResourceOptions,
        child: pulumi.ResourceOptions,
    ) -> None:
        bucket_name: pulumi.Input[str]
        if args.bucket_name is not None:
            bucket_name = args.bucket_name
        else:
            identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
            bucket_name = identity.account_id.apply(
                lambda account: state_bucket_name(args.name_prefix, account, self.region)
            )
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket", bucket=bucket_name, force_destroy=False, tags=tags, opts=kept
        )
        self.bucket_name = self.bucket.bucket
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child,
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=self.state_key.arn
                    ),
                    # One data key per bucket instead of a KMS call per object (S3 Bucket Keys).
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        # Expiry is S3's own lifecycle action (logged as S3.EXPIRE.OBJECT), not a
        # DeleteObjectVersion request, so the policy's deny below does not stop it.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-old-state-versions",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=STATE_HISTORY_DAYS,
                        newer_noncurrent_versions=STATE_HISTORY_VERSIONS,
                    ),
                    # A lock file's delete marker, once its versions are gone.
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        expired_object_delete_marker=True
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_UPLOADS_AFTER_DAYS
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=self.bucket.arn.apply(lambda arn: policy_json(state_bucket_policy(arn))),
            # The denies only make sense on a bucket already versioned, encrypted and private.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[versioning, encryption, public_access]
            ),
        )


def _region(name: str, args: StateBackendArgs) -> str:
    region = args.region or default_provider_region()
    if region is None:
        problem = Problem("region", None, "set region, or the stack's aws:region")
        raise ArgsError(from_problems(name, [problem], "StateBackend"))
    return region


with_fields_help(StateBackend.__init__, StateBackendArgs)
