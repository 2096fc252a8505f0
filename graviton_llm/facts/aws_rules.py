"""Rules AWS (or the AWS provider, at preview) applies to resource inputs, which Pulumi's mocks do
not: names, security-group permissions, user data, tags, a role's inline policy size. Pure: each
rule reads a resource's type, logical name and inputs (camelCase, as the engine sends them) and
returns what AWS would refuse.
``graviton_llm.testing`` runs them on every registration, so a test fails where `pulumi up` would.
Sources: docs/sources.md, "Rules the strict harness enforces".

A value only the deployment will know (an unknown on a preview: a marker object, never a str,
number, list or dict) is not judged: each rule reads only what has the shape it expects, so no
rule iterates or compares an unknown. AWS judges it when it is known.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .resource_types import (
    AUTO_SCALING_GROUP,
    RESOURCE_TYPES,
    NameRule,
    judged_by,
)
from .rules import EngineResource, Rule, Violation, each_resource

# Pulumi auto-names a resource `<logical name>-<7 hex>` (pulumi-aws autonaming.go; pulumi
# NewUniqueHex), within the longest name the provider allows for the type.
AUTONAME_SUFFIX = 8
USER_DATA_LIMIT_BYTES = 16 * 1024  # EC2 User Guide, "Work with instance user data"
# IAM User Guide, "IAM and AWS STS quotas": all inline policies of one role together, whitespace
# not counted (PutRolePolicy answers LimitExceeded).
ROLE_INLINE_POLICY_CHARS = 10_240
MAX_TAGS = 50


# Each type's name rule is in its registry row (facts/resource_types.py).
NAME_RULES: dict[str, NameRule] = {
    token: row.name_rule for token, row in RESOURCE_TYPES.items() if row.name_rule is not None
}
# Security group and rule descriptions (EC2 CreateSecurityGroup, IpRange.Description).
_SG_TEXT = re.compile(r"[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]*")
# EC2 API Tag: keys 1-127 characters, values up to 256, no "aws:" prefix.
_EC2_TAGGED = ("aws:ec2/", "aws:autoscaling/", "aws:lb/")


def _listed(value: Any) -> list[Any]:
    """A list the engine would send, or nothing (absent, or unknown until deployed)."""
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _names(type_: str, logical: str, inputs: Mapping[str, Any]) -> list[str]:
    rule = NAME_RULES.get(type_)
    if rule is None or rule.field is None:
        return []
    given = inputs.get(rule.field)
    if isinstance(given, str):
        name, what = given, f"{rule.field} {given!r}"
    elif given is None and rule.autoname_max is not None and f"{rule.field}Prefix" not in inputs:
        # The engine derives it from the logical name: check the longest it can become.
        name = logical + "-" + "f" * (AUTONAME_SUFFIX - 1)
        if rule.pattern is not None and "bucket" in rule.field:
            name = name.lower()
        what = f"auto-name of {logical!r}"
        if len(name) > min(rule.max_length, rule.autoname_max):
            return [
                f"{what}: {len(logical)} + {AUTONAME_SUFFIX} characters, over the "
                f"{min(rule.max_length, rule.autoname_max)} allowed ({rule.note})"
            ]
    else:
        return []
    problems = []
    if len(name) > rule.max_length:
        problems.append(f"{what}: {len(name)} characters, over {rule.max_length} ({rule.note})")
    if rule.pattern is not None and not rule.pattern.fullmatch(name):
        problems.append(f"{what}: characters {rule.note} does not allow")
    problems += [
        f"{what}: may not start with {prefix!r} ({rule.note})"
        for prefix in rule.forbidden_prefixes
        if name.startswith(prefix)
    ]
    return problems


def _whole(value: Any) -> Any:
    """The engine sends numbers as floats: 8000.0 is the port 8000."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _permissions(rules: Iterable[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    """Each (protocol, from, to, source) the rules grant, counted; parts not known yet are left
    out (two unknowns may differ)."""
    seen: Counter[tuple[Any, ...]] = Counter()
    for rule in rules:
        protocol_given, ports = rule.get("protocol", ""), (rule.get("fromPort"), rule.get("toPort"))
        if not isinstance(protocol_given, str | int | float) or not all(
            p is None or isinstance(p, int | float) for p in ports
        ):
            continue
        protocol = str(protocol_given).lower()
        protocol = {"-1": "all", "6": "tcp", "17": "udp"}.get(protocol, protocol)
        whole = tuple(_whole(port) for port in ports)
        for key in ("cidrBlocks", "ipv6CidrBlocks", "securityGroups", "prefixListIds"):
            for source in _listed(rule.get(key)):
                if isinstance(source, str):
                    seen[(protocol, *whole, source)] += 1
        if rule.get("self") is True:
            seen[(protocol, *whole, "self")] += 1
    return seen


def _security_group(type_: str, logical: str, inputs: Mapping[str, Any]) -> list[str]:
    """EC2 refuses "the same permission must not appear multiple times" in one request, and the
    provider sends all of a group's rules (per direction) in one AuthorizeSecurityGroup* call."""
    if not judged_by("aws-security-group-rules", type_):
        return []
    problems = []
    for direction in ("ingress", "egress"):
        rules = [rule for rule in _listed(inputs.get(direction)) if isinstance(rule, dict)]
        for permission, count in _permissions(rules).items():
            if count > 1:
                problems.append(
                    f"{direction}: {permission[0]} {permission[1]}-{permission[2]} from "
                    f"{permission[3]} appears {count} times; EC2 refuses a duplicate permission"
                )
        for rule in rules:
            description = rule.get("description")
            if isinstance(description, str) and (
                len(description) > 255 or not _SG_TEXT.fullmatch(description)
            ):
                problems.append(f"{direction} rule description {description!r}: EC2 allows 255 "
                                "of a-z A-Z 0-9 spaces ._-:/()#,@[]+=&;{}!$*")  # fmt: skip
    description = inputs.get("description")
    if isinstance(description, str) and (
        len(description) > 255 or not _SG_TEXT.fullmatch(description)
    ):
        problems.append(f"description {description!r}: characters or length EC2 refuses")
    return problems


def _user_data(type_: str, logical: str, inputs: Mapping[str, Any]) -> list[str]:
    if not judged_by("aws-user-data-size", type_):
        return []
    encoded = inputs.get("userData")
    if not isinstance(encoded, str):
        return []
    raw = len(base64.b64decode(encoded))
    if raw > USER_DATA_LIMIT_BYTES:
        return [f"user data is {raw} bytes before base64, over EC2's {USER_DATA_LIMIT_BYTES}"]
    return []


def _tag_pairs(type_: str, inputs: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    if type_ == AUTO_SCALING_GROUP:  # a list of {key, value, propagateAtLaunch}
        tags = [t for t in _listed(inputs.get("tags")) if isinstance(t, dict)]
        return [(t.get("key"), t.get("value")) for t in tags]
    return list(_mapping(inputs.get("tags")).items())


def _tags(type_: str, logical: str, inputs: Mapping[str, Any]) -> list[str]:
    pairs = _tag_pairs(type_, inputs)
    key_limit = 127 if type_.startswith(_EC2_TAGGED) else 128
    problems = []
    if len(pairs) > MAX_TAGS:
        problems.append(f"{len(pairs)} tags, over the {MAX_TAGS} AWS allows per resource")
    for key, value in pairs:
        if not isinstance(key, str):
            continue
        if not 1 <= len(key) <= key_limit or key.lower().startswith("aws:"):
            problems.append(f"tag key {key[:40]!r}: 1-{key_limit} characters, no 'aws:' prefix")
        if isinstance(value, str) and len(value) > 256:
            problems.append(f"tag {key[:40]!r}: value over 256 characters")
    return problems


def _group_sizes(type_: str, logical: str, inputs: Mapping[str, Any]) -> list[str]:
    """An Auto Scaling group needs min <= desired <= max, and exactly one of a launch template
    and a mixed instances policy (CreateAutoScalingGroup)."""
    if not judged_by("aws-auto-scaling-group", type_):
        return []
    problems = []
    low, high = inputs.get("minSize"), inputs.get("maxSize")
    desired = inputs.get("desiredCapacity")
    if (
        isinstance(low, int | float)
        and isinstance(high, int | float)
        and (low > high or (isinstance(desired, int | float) and not low <= desired <= high))
    ):
        problems.append(f"sizes min {low}, desired {desired}, max {high}: need min <= desired "
                        "<= max")  # fmt: skip
    if ("launchTemplate" in inputs) == ("mixedInstancesPolicy" in inputs):
        problems.append("give exactly one of launchTemplate and mixedInstancesPolicy")
    return problems


def inline_policy_size(type_: str, inputs: Mapping[str, Any]) -> tuple[str, int] | None:
    """(role name, characters IAM counts) of an inline role policy whose role and text are known."""
    role, policy = inputs.get("role"), inputs.get("policy")
    if not judged_by("aws-role-policy-size", type_) or not isinstance(role, str):
        return None
    return (role, sum(not c.isspace() for c in policy)) if isinstance(policy, str) else None


def _role_policy_alone(type_: str, logical: str, inputs: Mapping[str, Any]) -> list[str]:
    """One inline policy over the role's quota by itself: PutRolePolicy refuses it whatever else
    the role holds, so each policy is judged before it is sent."""
    size = inline_policy_size(type_, inputs)
    if size is None or size[1] <= ROLE_INLINE_POLICY_CHARS:
        return []
    return [f"inline policy for role {size[0]!r}: {size[1]} characters (whitespace not "
            f"counted), over IAM's {ROLE_INLINE_POLICY_CHARS} per role"]  # fmt: skip


def _role_policies(
    resources: Sequence[EngineResource], config: Mapping[str, Any]
) -> list[Violation]:
    """Inline policies of one role, each within the quota, added up as IAM counts them against
    it; reported on the last, the one whose PutRolePolicy IAM refuses. (One over the quota by
    itself is aws-role-policy-size's.)"""
    sizes: dict[str, list[tuple[EngineResource, int]]] = {}
    for r in resources:
        size = inline_policy_size(r.type, r.inputs)
        if size is not None:
            sizes.setdefault(size[0], []).append((r, size[1]))
    found = []
    for role, policies in sorted(sizes.items()):
        total = sum(chars for _, chars in policies)
        alone = any(chars > ROLE_INLINE_POLICY_CHARS for _, chars in policies)
        if total > ROLE_INLINE_POLICY_CHARS and not alone:
            last = policies[-1][0]
            found.append(Violation(last.name, last.type, (
                f"role {role!r}: {len(policies)} inline policies total {total} characters "
                f"(whitespace not counted), over IAM's {ROLE_INLINE_POLICY_CHARS} per role"
            )))  # fmt: skip
    return found


# Each rule once: the strict harness runs them on every registration (violations), the policy
# pack on every resource of any stack (graviton_llm/policy) before it is sent. AWS refuses what
# they find, so the pack blocks at preview what `pulumi up` would fail on half-way.
RULES: tuple[Rule, ...] = (
    Rule("aws-names", "Names AWS and its provider accept (lengths, characters, prefixes, "
         "auto-names)", "resource", "mandatory", "skipped", each_resource(_names)),
    Rule("aws-security-group-rules", "Security groups EC2 accepts: no duplicate permission, "
         "descriptions EC2 allows", "resource", "mandatory", "skipped",
         each_resource(_security_group)),
    Rule("aws-user-data-size", f"Launch template user data within EC2's {USER_DATA_LIMIT_BYTES} "
         "bytes", "resource", "mandatory", "skipped", each_resource(_user_data)),
    Rule("aws-tags", f"At most {MAX_TAGS} tags, keys and values AWS accepts", "resource",
         "mandatory", "skipped", each_resource(_tags)),
    Rule("aws-auto-scaling-group", "Auto Scaling groups with min <= desired <= max and one "
         "launch template or mixed instances policy", "resource", "mandatory", "skipped",
         each_resource(_group_sizes)),
    Rule("aws-role-policy-size", f"Each inline role policy within IAM's "
         f"{ROLE_INLINE_POLICY_CHARS} characters per role", "resource", "mandatory", "skipped",
         each_resource(_role_policy_alone)),
)  # fmt: skip

# Across resources. The harness runs them as registrations come, each over the ones before it
# (AWS refuses the request that crosses a quota); the pack over the whole stack, which the engine
# hands a stack policy after the deployment: the resources' outputs (on a preview, what the
# preview computed). So the pack can fail a preview on what it finds, but on `pulumi up` it
# reports after the changes were made (here AWS has refused the PutRolePolicy before that).
STACK_RULES: tuple[Rule, ...] = (
    Rule("aws-role-inline-policy-size", f"A role's inline policies together within IAM's "
         f"{ROLE_INLINE_POLICY_CHARS} characters", "stack", "mandatory", "skipped",
         _role_policies),
)  # fmt: skip


@dataclass(frozen=True)
class _Registration:
    type: str
    name: str
    inputs: Mapping[str, Any]


def violations(type_: str, logical: str, inputs: Mapping[str, Any]) -> list[str]:
    """What AWS would refuse in this resource's inputs (empty: nothing)."""
    one = [_Registration(type_, logical, inputs)]
    return [found.detail for rule in RULES for found in rule(one)]


def stack_violations(
    before: Sequence[tuple[str, Mapping[str, Any]]], type_: str, inputs: Mapping[str, Any]
) -> list[str]:
    """What AWS would refuse when this resource is created after ``before`` (each a type and
    inputs, in the order created), by the stack rules: the harness's view of a deployment."""
    registered = [_Registration(t, f"#{i}", i_) for i, (t, i_) in enumerate(before)]
    latest = _Registration(type_, f"#{len(before)}", inputs)
    return [
        found.detail
        for rule in STACK_RULES
        for found in rule([*registered, latest])
        if found.resource == latest.name
    ]
