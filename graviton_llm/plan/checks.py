"""The security checks (findings.py) as rules: one registry that `plan` runs with the defaults
and the policy pack (graviton_llm/policy) runs on any stack with a platform team's settings.

Each check reads each value a deployment would send, secrets included, and an unknown as
absent, through reads.view (which notes the unknowns a check read, for the pack). Levels are the
pack's defaults (a platform team may change them per policy); `plan` fails on any finding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..facts.rules import EngineResource, Reported, Rule
from .findings import (
    ALLOWED_CIDRS,
    INTERNET_FACING_LOAD_BALANCERS,
    CheckResult,
    Finding,
    Resource,
    Revealed,
    imdsv1,
    public_ingress,
    unencrypted_volumes,
    wildcard_iam,
)
from .reads import InputMap, view
from .s3_writes import s3_write_scope, weights_overwrite

_Judge = Callable[[Sequence[EngineResource], Mapping[str, Any]], list[Finding]]


def _read(r: EngineResource) -> Resource:
    """``r`` as a check reads it (a judge that watches the reads hands its own view)."""
    inputs = r.inputs if isinstance(r.inputs, InputMap) else view(r.inputs)
    return Revealed(r.type, r.name, inputs)


def _unconfigured(check: Callable[[Iterable[Resource]], list[Finding]]) -> _Judge:
    def judge(resources: Sequence[EngineResource], config: Mapping[str, Any]) -> list[Finding]:
        return check([_read(r) for r in resources])

    return judge


def _configured(check: Callable[[Iterable[Resource], Mapping[str, Any]], list[Finding]]) -> _Judge:
    def judge(resources: Sequence[EngineResource], config: Mapping[str, Any]) -> list[Finding]:
        return check([_read(r) for r in resources], config)

    return judge


# The S3 checks are advisory in the pack: they describe how our nodes publish to the artifact
# cache, and would report every other S3 writer of a stack that is not ours. s3-weights-overwrite
# needs the stack's policies together, so the pack runs it once the stack is analyzed (on a
# `pulumi up`, after the changes are made): it reports, it cannot refuse.
CHECKS: tuple[Rule, ...] = (
    Rule("public-ingress", "No ingress from public addresses, no internet-facing load balancer",
         "resource", "mandatory", "absent", _configured(public_ingress),
         (ALLOWED_CIDRS, INTERNET_FACING_LOAD_BALANCERS)),
    Rule("imdsv1", "IMDSv2 required (no IMDSv1) on every launch template and instance",
         "resource", "mandatory", "absent", _unconfigured(imdsv1)),
    Rule("unencrypted-volume", "Every EBS volume encrypted", "resource", "mandatory", "absent",
         _unconfigured(unencrypted_volumes)),
    Rule(
        "wildcard-iam",
        "No wildcard IAM actions or resources in the stack's own policies (AWS managed "
        "policies other than admin are not judged)",
        "resource", "mandatory", "absent", _unconfigured(wildcard_iam),
    ),
    Rule(
        "s3-write-scope",
        "S3 writes only to an artifact cache's blobs and manifests under a named prefix "
        "(manifests only as a create), no deletes or ACL changes",
        "resource", "advisory", "absent", _unconfigured(s3_write_scope),
    ),
    Rule(
        "s3-weights-overwrite",
        "No S3 write grant over a prefix the stack grants as model weights",
        "stack", "advisory", "absent", _unconfigured(weights_overwrite),
    ),
)  # fmt: skip


def run_checks(
    resources: Iterable[EngineResource], config: Mapping[str, Mapping[str, Any]] | None = None
) -> list[CheckResult]:
    """Every check over what the resources would send, secrets included (a secret policy is
    judged like any other); ``config`` maps a check's id to its settings (default: none)."""
    resources = list(resources)
    config = config or {}
    return [
        CheckResult(rule.id, rule.title, _sorted(rule.id, rule(resources, config.get(rule.id))))
        for rule in CHECKS
    ]


def _sorted(check: str, reported: list[Reported]) -> tuple[Finding, ...]:
    found = [Finding(check, r.resource, r.type, r.detail) for r in reported]
    return tuple(sorted(found, key=lambda f: (f.resource, f.detail)))
