"""Where a stack's policies let S3 objects be written: the security checks on S3 writes.

Our nodes write S3 in one way only: they publish compiled artifacts to an artifact cache
(documents/iam.py, artifact_cache_policy). ``s3_write_scope`` judges each policy document alone
(the policy pack runs it on each policy before it is sent: it can refuse); whether a write grant
reaches a prefix another policy grants as model weights needs the stack's policies together
(``weights_overwrite``: the pack reports it once the stack is analyzed, after the fact).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .findings import POLICY_TYPES, Finding, Resource, as_list
from .reads import is_list

# What a node may do to S3 objects beyond reading: upload (multipart parts included) and abort
# its own failed multipart upload. Deleting, ACLs, tagging, retention: never.
NODE_S3_WRITES = ("s3:putobject", "s3:abortmultipartupload")
_S3_READS = ("s3:get", "s3:list", "s3:describe")


def _policy_document(r: Resource) -> Mapping[str, Any] | None:
    document = r.inputs.get("policy")
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return None
    return document if isinstance(document, Mapping) else None


def _object_prefix(arn: str) -> tuple[str, str] | None:
    """(bucket, the key's literal prefix before any wildcard) of an S3 object ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "s3" or "/" not in parts[5]:
        return None
    bucket, key = parts[5].split("/", 1)
    literal = key
    for wildcard in ("*", "?", "${"):
        literal = literal.split(wildcard, 1)[0]
    return bucket, literal


def _cache_layout(arn: str) -> tuple[str, str] | None:
    """(bucket, prefix) when ``arn`` names only what a node publishes to an artifact cache:
    <prefix><digest>/blobs/<sha256> or <prefix><digest>/manifest.json, under a named prefix."""
    for tail in ("*/blobs/*", "*/manifest.json"):
        if arn.endswith(tail):
            prefix = _object_prefix(arn[: -len(tail)] + "*")
            if prefix is not None and prefix[1].endswith("/") and prefix[1].strip("/"):
                return prefix
    return None


def _creates_only(statement: Mapping[str, Any]) -> bool:
    """The statement allows a PUT only when the object does not exist yet (If-None-Match: *)."""
    condition = statement.get("Condition")
    equals = condition.get("StringEquals") if isinstance(condition, Mapping) else None
    match: Any = equals.get("s3:if-none-match") if isinstance(equals, Mapping) else None
    return match == "*" or (is_list(match) and list(match) == ["*"])


def _allowed(r: Resource) -> list[tuple[str, list[str], list[str], Mapping[str, Any]]]:
    """(sid, lower-cased actions, resource ARNs, statement) of each Allow statement of a policy
    resource whose document is known and JSON (wildcard_iam reports one that is not)."""
    document = _policy_document(r) if r.type in POLICY_TYPES else None
    if document is None:
        return []
    allowed = []
    for statement in as_list(document.get("Statement", [])):
        if isinstance(statement, Mapping) and statement.get("Effect") == "Allow":
            actions = [str(a).lower() for a in as_list(statement.get("Action", []))]
            arns = [str(a) for a in as_list(statement.get("Resource", []))]
            allowed.append((str(statement.get("Sid") or "a statement"), actions, arns, statement))
    return allowed


def _writes(actions: list[str]) -> list[str]:
    return [a for a in actions if a.startswith("s3:") and not a.startswith(_S3_READS)]


def s3_write_scope(resources: Iterable[Resource]) -> list[Finding]:
    """S3 writes only as a node publishes compiled artifacts: PutObject (and aborting its own
    multipart upload) on an artifact cache's blobs and manifests under a named prefix, and a
    manifest only as a create: a role that could overwrite a manifest or delete could replace
    or destroy what another node published. Each policy document alone."""
    found = []
    for r in resources:
        for sid, actions, arns, statement in _allowed(r):
            writes = _writes(actions)
            if not writes:
                continue
            for action in sorted(set(writes) - set(NODE_S3_WRITES)):
                found.append(Finding("s3-write-scope", r.name, r.type, f"{sid}: may {action}"))
            creates_only = _creates_only(statement)
            for arn in arns:
                if arn.endswith("/manifest.json") and "s3:putobject" in writes and not creates_only:
                    detail = f"{sid}: may overwrite {arn} (no s3:if-none-match condition)"
                    found.append(Finding("s3-write-scope", r.name, r.type, detail))
                if _cache_layout(arn) is None:
                    detail = f"{sid}: writes {arn}, not an artifact cache's blobs or manifests"
                    found.append(Finding("s3-write-scope", r.name, r.type, detail))
    return found


def weights_overwrite(resources: Iterable[Resource]) -> list[Finding]:
    """No S3 write grant reaches a prefix a policy of the stack grants as model weights (a
    ReadModelWeights statement, as WeightsBucketAccess writes it): a role that could overwrite
    the weights could poison every node's model. Needs every policy of the stack together."""
    resources = list(resources)
    weights = [
        (*prefix, r.name)  # (bucket, prefix, the policy granting it)
        for r in resources
        for sid, _, arns, _ in _allowed(r)
        if sid.startswith("ReadModelWeights")
        for prefix in map(_object_prefix, arns)
        if prefix
    ]
    found = []
    for r in resources if weights else []:
        for sid, actions, arns, _ in _allowed(r):
            for arn in arns if _writes(actions) else []:
                written = _cache_layout(arn) or _object_prefix(arn)
                for bucket, prefix, reader in weights:
                    if (
                        written
                        and written[0] == bucket
                        and (written[1].startswith(prefix) or prefix.startswith(written[1]))
                    ):
                        where = f"s3://{bucket}/{prefix} ({reader})"
                        detail = f"{sid}: writes {arn} over the model weights {where}"
                        found.append(Finding("s3-weights-overwrite", r.name, r.type, detail))
    return found
