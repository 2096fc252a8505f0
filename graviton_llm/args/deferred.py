"""The checks of a cluster's args that wait for deploy-time values.

A field that names a cloud object may be a pulumi Output (the id of a VPC the stack creates, a
StackReference output, a secret). Its value is unknown when the program runs on a first preview,
so it is checked when it resolves: by the same rules, with the same field-naming messages, over
the args with the resolved values put in (``deferred_problems``). The cluster gates the
resources that use those values, and its Auto Scaling group, on that check
(components/parts/inputs.py), so `pulumi up` fails before any node launches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import is_output
from .cluster_rules import cluster_problems
from .problems import Problem

if TYPE_CHECKING:
    from .cluster import ResolvedClusterArgs

# What each field that may be an Output is checked for once it resolves (in the order of the
# model). api_key_ssm_parameter has its own path: it is usually secret, and its check must not
# quote it (components/parts/api_key.py).
CHECKS: dict[str, str] = {
    "vpc_id": "an EC2 vpc id (vpc- and 8 or 17 hex digits)",
    "subnet_ids": "1-16 EC2 subnet ids (subnet- and 8 or 17 hex digits), none twice",
    "allowed_cidrs": "at least one private CIDR block, at most 25, none twice",
    "metrics_cidrs": "private CIDR blocks, at most 25, none twice",
    "ssh_cidrs": "private CIDR blocks, at most 5, none twice",
    "weights_kms_key_arn": "a KMS key ARN in the aws partition",
    "ami_id": "an EC2 ami id",
    "api_key_ssm_parameter": "an SSM parameter name (not quoted in the refusal: often secret)",
    "api_key_kms_key_arn": "a KMS key ARN in the aws partition",
    "tags": "tag values: at most 256 letters, digits, spaces or _ . : / = + - @",
    "artifact_cache.kms_key_arn": "a KMS key ARN in the aws partition",
}
SEPARATELY_CHECKED = ("api_key_ssm_parameter",)


@dataclass(frozen=True)
class DeferredCheck:
    """A field whose value only the deployment knows, and what it is checked for then."""

    field: str
    checks: str


def output_fields(args: ResolvedClusterArgs) -> dict[str, Any]:
    """Field (dotted for nested) -> value, for each field that is or holds an Output."""
    found = {}
    for field in CHECKS:
        value = _at(args, field)
        if is_output(value):
            found[field] = value
    return found


def deferred_checks(args: ResolvedClusterArgs) -> tuple[DeferredCheck, ...]:
    return tuple(DeferredCheck(field, CHECKS[field]) for field in output_fields(args))


def deferred_problems(args: ResolvedClusterArgs, resolved: Mapping[str, Any]) -> list[Problem]:
    """The rules' problems, over ``args`` with ``resolved`` values put in, on those fields only
    (every other field passed when the args were built)."""
    update: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for field, value in resolved.items():
        if "." in field:
            parent, child = field.split(".", 1)
            nested.setdefault(parent, {})[child] = value
        else:
            update[field] = value
    for parent, values in nested.items():
        update[parent] = getattr(args, parent).model_copy(update=values)
    known = args.model_copy(update=update)
    return [p for p in cluster_problems(known) if _root(p.field, resolved)]


def _root(field: str, resolved: Mapping[str, Any]) -> bool:
    return any(field == name or field.startswith(name + ".") for name in resolved)


def _at(args: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        args = getattr(args, part)
    return args
