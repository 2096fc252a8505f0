"""Security checks over the resources a program declared (as the mock engine captured them).

Pure: each check reads resource types and inputs (camelCase, as the engine sees them) and
returns what it found. They look at what would be sent to AWS, not at our args, so they catch a
hand-edited component or a composing stack just as well. Each check must come back empty for
`graviton-llm plan` to exit 0. Each is a ``Rule`` (facts/rules.py): the policy pack
(graviton_llm/policy) runs the same ones on any stack, with a platform team's configuration.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.output import Unknown

from ..facts.resource_types import (
    EBS_VOLUME,
    IAM_POLICY,
    INSTANCE,
    LAUNCH_TEMPLATE,
    LOAD_BALANCER,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    SECURITY_GROUP,
    SECURITY_GROUP_INGRESS_RULE,
    SECURITY_GROUP_RULE,
)
from ..facts.rules import EngineResource, Option
from .reads import SECRET_SIG, SECRET_SIG_KEY, is_list, is_secret_value

Resource = EngineResource  # what every check reads: type, logical name, inputs (reads.view)

__all__ = ["SECRET_SIG", "SECRET_SIG_KEY", "is_secret_value"]  # where plan and tests read them
# The checks judge a secret's value (reads.view); what is printed shows it as SECRET_SHOWN.
SECRET_SHOWN = "[secret]"


def revealed(value: Any) -> Any:
    """``value`` with every secret mark removed (for the checks only, never for printing), and
    each value only the deployment will know (an unknown on a preview) as None: not judged here.
    Values a cluster took as Outputs are judged when they resolve (args/deferred.py)."""
    if isinstance(value, Unknown):
        return None
    if is_secret_value(value):
        return revealed(value.get("value"))
    if isinstance(value, dict):
        return {k: revealed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [revealed(v) for v in value]
    return value


@dataclass(frozen=True)
class Revealed:
    """A resource as the checks read it: its inputs through reads.view."""

    type: str
    name: str
    inputs: Mapping[str, Any]


@dataclass(frozen=True)
class Finding:
    check: str
    resource: str
    type: str
    detail: str


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.findings


# The types the checks read (facts/resource_types.py), by the short names the checks use.
SG, SG_RULE, SG_INGRESS_RULE = SECURITY_GROUP, SECURITY_GROUP_RULE, SECURITY_GROUP_INGRESS_RULE
LB = LOAD_BALANCER
# IAM users' and groups' policies: the checks judge them though no stack of ours declares one.
POLICY_TYPES = (ROLE_POLICY, IAM_POLICY, "aws:iam/userPolicy:UserPolicy",
                "aws:iam/groupPolicy:GroupPolicy")  # fmt: skip
POLICY_ATTACHMENT_TYPES = (ROLE_POLICY_ATTACHMENT, "aws:iam/policyAttachment:PolicyAttachment")
# AWS managed policies that grant "*" on "*" (or nearly): attaching one is a wildcard grant.
WILDCARD_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess")


def _is_public(cidr: Any) -> bool:
    try:
        network = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return False
    return network.prefixlen == 0 or network.is_global


def _rule_text(rule: Mapping[str, Any]) -> str:
    low, high = rule.get("fromPort"), rule.get("toPort")
    ports = "all" if rule.get("protocol") in ("-1", "all") else f"{_num(low)}-{_num(high)}"
    if low == high and low is not None:
        ports = str(_num(low))
    return f"{rule.get('protocol')} {ports}"


def _num(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _cidr_list_problems(value: Any) -> list[str]:
    """Each entry of allowedCidrs that is not a CIDR block: one bad entry would otherwise leave
    the whole list unread (the policy would allow nothing, or a range no one meant)."""
    if not is_list(value):
        return [f'allowedCidrs = {value!r}: give a list of CIDR blocks, e.g. ["52.94.76.0/24"]']
    return [
        f"allowedCidrs[{i}] = {entry!r}: not a CIDR block; give an IPv4 or IPv6 range such as "
        "52.94.76.0/24 or 2600:1f18::/36"
        for i, entry in enumerate(value)
        if not _is_network(entry)
    ]


def _is_network(entry: Any) -> bool:
    if not isinstance(entry, str):  # ip_network would read a number as one address
        return False
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return True


ALLOWED_CIDRS = Option(
    "allowedCidrs",
    {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Public ranges ingress may come from (each within one of these CIDRs), "
        "e.g. a partner's egress addresses.",
    },
    _cidr_list_problems,
)


def _flag_problems(value: Any) -> list[str]:
    if isinstance(value, bool):
        return []
    return [f"allowInternetFacingLoadBalancers = {value!r}: give true or false"]


INTERNET_FACING_LOAD_BALANCERS = Option(
    "allowInternetFacingLoadBalancers",
    {"type": "boolean", "default": False, "description": "Allow internet-facing load balancers."},
    _flag_problems,
)


def _allowed(cidr: Any, allowed: Iterable[str]) -> bool:
    ranges = [ipaddress.ip_network(a, strict=False) for a in allowed]  # Rule.settings checked
    try:
        network = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return False
    return any(network.version == r.version and network.subnet_of(r) for r in ranges)  # type: ignore[arg-type]


def public_ingress(
    resources: Iterable[Resource], config: Mapping[str, Any] | None = None
) -> list[Finding]:
    """Ingress from a public address range (outside ``allowedCidrs``), or a load balancer facing
    the internet (unless ``allowInternetFacingLoadBalancers``)."""
    config = config or {}
    allowed = config.get(ALLOWED_CIDRS.name) or []
    allow_public_lb = config.get(INTERNET_FACING_LOAD_BALANCERS.name) is True
    found = []
    for r in resources:
        if r.type == SG:
            rules = r.inputs.get("ingress") or []
        elif r.type == SG_RULE and r.inputs.get("type") == "ingress":
            rules = [r.inputs]
        elif r.type == SG_INGRESS_RULE:
            # Only the fields judged: the rule's group id (often a new group's) is not read.
            v4, v6 = r.inputs.get("cidrIpv4"), r.inputs.get("cidrIpv6")
            rules = [{"cidrBlocks": [v4] if v4 else [], "ipv6CidrBlocks": [v6] if v6 else [],
                      "protocol": r.inputs.get("ipProtocol"), "fromPort": r.inputs.get("fromPort"),
                      "toPort": r.inputs.get("toPort")}]  # fmt: skip
        elif r.type == LB:
            if r.inputs.get("internal") is not True and not allow_public_lb:
                found.append(Finding("public-ingress", r.name, r.type, "internet-facing"))
            continue
        else:
            continue
        for rule in rules:
            cidrs = [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])]
            for cidr in cidrs:
                if _is_public(cidr) and not _allowed(cidr, allowed):
                    found.append(
                        Finding("public-ingress", r.name, r.type, f"{_rule_text(rule)} from {cidr}")
                    )
    return found


def imdsv1(resources: Iterable[Resource]) -> list[Finding]:
    """Instances or templates that do not require IMDSv2 session tokens."""
    found = []
    for r in resources:
        if r.type not in (LAUNCH_TEMPLATE, INSTANCE):
            continue
        options = r.inputs.get("metadataOptions") or {}
        if options.get("httpEndpoint") == "disabled":
            continue
        tokens = options.get("httpTokens")
        if tokens != "required":
            found.append(
                Finding("imdsv1", r.name, r.type, f"metadataOptions.httpTokens = {tokens!r}")
            )
    return found


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def unencrypted_volumes(resources: Iterable[Resource]) -> list[Finding]:
    """EBS volumes, block device mappings and root devices without encryption."""
    found = []
    for r in resources:
        if r.type == EBS_VOLUME:
            devices = [("volume", r.inputs)]
        elif r.type == LAUNCH_TEMPLATE:
            devices = [
                (m.get("deviceName", "?"), m.get("ebs"))
                for m in r.inputs.get("blockDeviceMappings") or []
                if m.get("ebs") is not None
            ]
        elif r.type == INSTANCE:
            devices = [("root", r.inputs.get("rootBlockDevice") or {})]
            devices += [
                (m.get("deviceName", "?"), m) for m in r.inputs.get("ebsBlockDevices") or []
            ]
        else:
            continue
        for device, ebs in devices:
            # A snapshot-backed device inherits its snapshot's encryption: not ours to judge.
            if not _truthy(ebs.get("encrypted")) and not ebs.get("snapshotId"):
                found.append(
                    Finding("unencrypted-volume", r.name, r.type, f"{device}: not encrypted")
                )
    return found


def as_list(value: Any) -> list[Any]:
    return list(value) if is_list(value) else [value]


def _wildcard_action(action: Any) -> bool:
    return isinstance(action, str) and (action == "*" or action.endswith(":*"))


_ARN_WILDCARDS = ("*", "?", "${")


def _has_wildcard(text: str) -> bool:
    return any(w in text for w in _ARN_WILDCARDS)


def wildcard_resource(resource: Any) -> str | None:
    """Why ``resource`` (a statement's Resource entry) grants more than named resources, or
    None. "*" is everything; inside an ARN, a wildcard in the partition, service or account
    reaches other services or accounts (`arn:aws:kms:*:*:key/*`: every key of every account),
    and one before the resource's own name covers every resource of its type (`key/*`,
    `log-group:*`); for S3, every bucket matching a pattern. Object wildcards under a named
    bucket (`bucket/prefix/*`) are how S3 grants are written, and are judged by s3-write-scope."""
    if not isinstance(resource, str):
        return f"Resource {resource!r} is not an ARN"
    if resource == "*":
        return "Resource '*'"
    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None if not _has_wildcard(resource) else f"Resource {resource!r}"
    _, partition, service, _region, account, name = parts
    if _has_wildcard(partition) or _has_wildcard(service) or _has_wildcard(account):
        return f"Resource {resource!r}: a wildcard partition, service or account"
    if service == "s3":
        bucket = name.split("/", 1)[0]
        return f"Resource {resource!r}: a wildcard bucket" if _has_wildcard(bucket) else None
    literal = name
    for wildcard in _ARN_WILDCARDS:
        literal = literal.split(wildcard, 1)[0]
    separators = [i for i in (literal.find("/"), literal.find(":")) if i >= 0]
    named = literal[min(separators) + 1 :] if separators else literal  # after `key/`, if any
    if literal != name and not named.strip("/:"):
        return f"Resource {resource!r}: every resource of its type"
    return None


def wildcard_iam(resources: Iterable[Resource]) -> list[Finding]:
    """Allow statements with a wildcard action ("*", "s3:*") or resource ("*", or an ARN whose
    account, service or resource name is a wildcard), NotAction grants, and attachments of AWS
    managed admin policies."""
    found = []
    for r in resources:
        if r.type in POLICY_ATTACHMENT_TYPES:
            arn = str(r.inputs.get("policyArn", ""))
            if arn.rsplit("/", 1)[-1] in WILDCARD_MANAGED_POLICIES:
                found.append(Finding("wildcard-iam", r.name, r.type, f"attaches {arn}"))
            continue
        if r.type not in POLICY_TYPES:
            continue
        document = r.inputs.get("policy")
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except json.JSONDecodeError:
                found.append(Finding("wildcard-iam", r.name, r.type, "policy is not JSON"))
                continue
        if not isinstance(document, Mapping):
            found.append(Finding("wildcard-iam", r.name, r.type, "policy unknown at plan time"))
            continue
        for i, statement in enumerate(as_list(document.get("Statement", []))):
            if statement.get("Effect") != "Allow":
                continue
            where = statement.get("Sid") or f"Statement[{i}]"
            actions = [a for a in as_list(statement.get("Action", [])) if _wildcard_action(a)]
            if actions:
                found.append(Finding("wildcard-iam", r.name, r.type, f"{where}: Action {actions}"))
            if "NotAction" in statement:
                found.append(Finding("wildcard-iam", r.name, r.type, f"{where}: NotAction"))
            for resource in as_list(statement.get("Resource", [])):
                reason = wildcard_resource(resource)
                if reason:
                    found.append(Finding("wildcard-iam", r.name, r.type, f"{where}: {reason}"))
    return found


def run_checks(
    resources: Iterable[EngineResource], config: Mapping[str, Mapping[str, Any]] | None = None
) -> list[CheckResult]:
    """Every check (checks.CHECKS) over what the resources would send; ``config`` maps a
    check's id to its settings (default: none)."""
    from .checks import run_checks as run_registered  # the registry imports these checks

    return run_registered(resources, config)
