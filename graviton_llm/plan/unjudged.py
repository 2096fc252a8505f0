"""What each security check could not judge: an input it reads whose value only the deployment
will know (an unknown on a preview, e.g. a CIDR from another stack's StackReference output that
the plan was not given). The checks read such a value as absent (findings.revealed), so without
this a check over a value it never saw would say "pass". `plan` lists these under each check
as "not judged: unknown until deployed".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pulumi.output import Unknown

from ..facts.resource_types import EBS_VOLUME, INSTANCE, LAUNCH_TEMPLATE
from ..facts.rules import EngineResource
from .findings import (
    LB,
    POLICY_ATTACHMENT_TYPES,
    POLICY_TYPES,
    SG,
    SG_INGRESS_RULE,
    SG_RULE,
    is_secret_value,
)

UNKNOWN_UNTIL_DEPLOYED = "unknown until deployed"

_POLICIES: dict[str, tuple[str, ...]] = dict.fromkeys(POLICY_TYPES, ("policy",))
# The inputs each check reads, per resource type (what findings.py looks at).
READS: dict[str, dict[str, tuple[str, ...]]] = {
    "public-ingress": {
        SG: ("ingress",),
        SG_RULE: ("type", "cidrBlocks", "ipv6CidrBlocks"),
        SG_INGRESS_RULE: ("cidrIpv4", "cidrIpv6"),
        LB: ("internal",),
    },
    "imdsv1": {LAUNCH_TEMPLATE: ("metadataOptions",), INSTANCE: ("metadataOptions",)},
    "unencrypted-volume": {
        EBS_VOLUME: ("encrypted", "snapshotId"),
        LAUNCH_TEMPLATE: ("blockDeviceMappings",),
        INSTANCE: ("rootBlockDevice", "ebsBlockDevices"),
    },
    "wildcard-iam": {**_POLICIES, **dict.fromkeys(POLICY_ATTACHMENT_TYPES, ("policyArn",))},
    "s3-write-scope": _POLICIES,
}


@dataclass(frozen=True)
class NotJudged:
    """A resource whose ``inputs`` (paths such as ``ingress[0].cidrBlocks``) a check could not
    see."""

    check: str
    resource: str
    type: str
    inputs: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "type": self.type,
            "inputs": list(self.inputs),
            "reason": UNKNOWN_UNTIL_DEPLOYED,
        }


def not_judged(check: str, resources: Iterable[EngineResource]) -> list[NotJudged]:
    """Each resource with an input ``check`` reads that is unknown, sorted by resource name."""
    reads = READS.get(check, {})
    found = []
    for r in resources:
        paths = [p for key in reads.get(r.type, ()) for p in unknown_paths(r.inputs.get(key), key)]
        if paths:
            found.append(NotJudged(check, r.name, r.type, tuple(paths)))
    return sorted(found, key=lambda n: n.resource)


def unknown_paths(value: Any, path: str) -> list[str]:
    """The paths below ``path`` whose value is unknown (a secret's value counts as its own)."""
    if isinstance(value, Unknown):
        return [path]
    if is_secret_value(value):
        return unknown_paths(value.get("value"), path)
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in unknown_paths(v, f"{path}.{k}")]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in unknown_paths(v, f"{path}[{i}]")]
    return []
