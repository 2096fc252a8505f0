"""Where a team's Pulumi stacks keep their state and secrets: the names, the backend and secrets
provider URLs the Pulumi CLI takes, and the state bucket's policy. Pure; the StateBackend
component (components/state_backend.py) declares the resources.

The URLs: `pulumi login s3://<bucket>?region=<region>` stores every stack's state under the
bucket's `.pulumi/` folder (Pulumi docs, "Using a DIY backend": AWS S3); `--secrets-provider
awskms://alias/<alias>?region=<region>` encrypts the stack's secret config and secret state with
that KMS key (Pulumi CLI docs, `pulumi stack init` and `pulumi stack change-secrets-provider`).
"""

from __future__ import annotations

import shlex
from typing import Any

# The DIY backend's folders (pulumi/pulumi pkg/backend/diy; sdk/go/common/workspace): the state
# of each stack (.pulumi/stacks/), its history and backups, and a lock file per running update.
LOCKS_FOLDER = ".pulumi/locks/"


def state_bucket_name(prefix: str, account: str, region: str) -> str:
    """<prefix>-<account>-<region>: unique across S3 (bucket names are global) and telling."""
    return f"{prefix}-{account}-{region}"


def key_alias(prefix: str, purpose: str) -> str:
    return f"alias/{prefix}-{purpose}"


def login_url(bucket: str, region: str) -> str:
    return f"s3://{bucket}?region={region}"


def secrets_provider_url(alias: str, region: str) -> str:
    return f"awskms://{alias}?region={region}"


STACK_PLACEHOLDER = "<stack>"


def setup_commands(
    bucket: str, alias: str, region: str, stack: str = STACK_PLACEHOLDER
) -> list[str]:
    """What a team runs in its project, once per machine and once per stack: lines a user
    pastes into a shell, so every value in them is shell-quoted (the placeholder is left for
    the user to replace)."""
    secrets = shlex.quote(secrets_provider_url(alias, region))
    named = stack if stack == STACK_PLACEHOLDER else shlex.quote(stack)
    return [
        f"pulumi login {shlex.quote(login_url(bucket, region))}",
        f"pulumi stack init {named} --secrets-provider {secrets}",
        f"pulumi stack change-secrets-provider {secrets}  # an existing stack",
    ]


# How much state history the bucket keeps. Pulumi rewrites the stack's checkpoint at every
# step of every update, so each `pulumi up` leaves dozens of noncurrent versions; without a
# rule they are kept (and billed) forever. Ours: the 20 newest noncurrent versions of each
# object always stay, older ones once they have been noncurrent for 90 days (S3
# NoncurrentVersionExpiration: NoncurrentDays, NewerNoncurrentVersions).
STATE_HISTORY_DAYS = 90
STATE_HISTORY_VERSIONS = 20
# Incomplete multipart uploads are billed until aborted (S3 AbortIncompleteMultipartUpload).
ABORT_UPLOADS_AFTER_DAYS = 7


def state_bucket_policy(bucket_arn: str) -> dict[str, Any]:
    """No plain HTTP, and no deleting state: what the bucket refuses to everyone.

    Why these denies and no more (what `pulumi` itself does to the bucket, pulumi/pulumi
    pkg/backend/diy):
    - Saving a checkpoint copies the stack file to `<stack>.json.bak` and overwrites the stack
      file in place ("Don't delete the original, the following WriteAll will atomically replace
      it anyway", state.go saveCheckpoint/backupTarget): PutObject, never DeleteObject. With
      versioning on, every overwrite keeps the previous version.
    - Each update writes a lock file under `.pulumi/locks/<org>/<project>/<stack>/<id>.json` and
      deletes it when done (lock.go Lock/Unlock); `pulumi cancel` deletes them all (backend.go
      CancelCurrentUpdate). So DeleteObject stays allowed under any `.pulumi/locks/` folder (at
      the bucket's root or under a login path such as `s3://bucket/team`), and only there.
    - `pulumi stack rm` deletes the stack's file, backups and history, and `pulumi stack rename`
      moves history (state.go removeStack, renameHistory): refused here on purpose. Removing a
      stack's state is a break-glass act: an administrator lifts this policy first (the
      account's root user can always replace a bucket policy that denies it, Amazon S3 API
      Reference, DeleteBucketPolicy/PutBucketPolicy).
    - Pulumi deletes objects without a version id, which in a versioned bucket only adds a
      delete marker; deleting a version (DeleteObjectVersion) is what destroys state, so it is
      refused everywhere, lock files included (their old versions are a few bytes each).
    - Deleting the bucket is refused too (the component also sets protect=True on it).
    - Requests over plain HTTP are refused (aws:SecureTransport, Amazon S3 User Guide,
      "Security best practices": enforce encryption of data in transit). Objects are encrypted
      by the bucket's default SSE-KMS; Pulumi sends no encryption header, so a deny on a missing
      `s3:x-amz-server-side-encryption` header would refuse every state write.
    `NotResource` with Deny denies every object but the ones listed (IAM User Guide, "IAM JSON
    policy elements: NotResource"); the ARN wildcard `*` also matches `/`.
    """
    objects = f"{bucket_arn}/*"
    locks = [f"{bucket_arn}/{LOCKS_FOLDER}*", f"{bucket_arn}/*/{LOCKS_FOLDER}*"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, objects],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyStateDeletionOutsideLocks",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:DeleteObject",
                "NotResource": locks,
            },
            {
                "Sid": "DenyVersionDeletion",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:DeleteObjectVersion",
                "Resource": objects,
            },
            {
                "Sid": "DenyBucketDeletion",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:DeleteBucket",
                "Resource": bucket_arn,
            },
        ],
    }
