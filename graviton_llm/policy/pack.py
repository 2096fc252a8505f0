"""Each rule as a pulumi-policy policy: a "resource" rule as a ResourceValidationPolicy (one
resource at a time, before the engine sends it: it can refuse), a "stack" rule as a
StackValidationPolicy (the stack's resources together, once the deployment is done); its level,
title and options become the policy's enforcement level, description and configuration schema.

What the engine hands a policy (pulumi/pkg/resource/deploy/step_generator.go): a resource policy
gets the resource's inputs after the provider's check, a stack policy every resource's outputs
(on a preview, what the preview computed), both camelCase, numbers as floats, secrets revealed,
each value a preview cannot know yet as a sentinel string (pulumi_policy/proxy.py). The rules
read an unknown as a marker object instead (``engine_inputs``): the AWS rules ("skipped") never
judge one; a security check ("absent") reads it as missing, through a view that notes each
unknown it reads (plan/reads.py). What a check finds on a resource whose unknowns it did not
read stands at the policy's level (public ingress on a security group whose new VPC's id is
unknown); what it finds, or misses, on one where it read an unknown becomes pulumi-policy's own
advisory "can't run policy ... during preview", as its proxy makes of a policy that reads one,
and the rule applies when `pulumi up` analyzes the known values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi.output import Unknown
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import serialize_properties
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

from ..facts.aws_rules import RULES, STACK_RULES
from ..facts.rules import Rule
from ..plan.checks import CHECKS
from ..plan.reads import Reads, view
from ..scaffold import package_version

PACK_NAME = "graviton-llm"
_SENTINELS = (
    UNKNOWN_ARCHIVE_VALUE, UNKNOWN_ARRAY_VALUE, UNKNOWN_ASSET_VALUE, UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE,
)  # fmt: skip
_LEVELS = {"advisory": EnforcementLevel.ADVISORY, "mandatory": EnforcementLevel.MANDATORY}


def rules() -> tuple[Rule, ...]:
    """Every rule the pack carries: the security checks, then the AWS rules."""
    return (*CHECKS, *RULES, *STACK_RULES)


class _Sentinel(Unknown):
    """An unknown as the rules read it, keeping the engine's sentinel (which names its kind:
    string, number, ...) for pulumi-policy's advisory."""

    def __init__(self, sentinel: str) -> None:  # Unknown itself holds nothing
        self.sentinel = sentinel


@dataclass(frozen=True)
class _Resource:
    type: str
    name: str
    inputs: Mapping[str, Any]


def engine_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """A policy's ``props`` as the rules read them: plain dicts and lists, each unknown as an
    ``Unknown`` marker (never a str the rules would judge)."""
    plain: dict[str, Any] = _marked(serialize_properties(props))  # unwraps pulumi-policy's proxy
    return plain


def _marked(value: Any) -> Any:
    if isinstance(value, str) and value in _SENTINELS:
        return _Sentinel(value)
    if isinstance(value, Mapping):
        return {key: _marked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_marked(item) for item in value]
    return value


def _watched(
    rule: Rule, type_: str, name: str, props: Mapping[str, Any]
) -> tuple[_Resource, Reads]:
    """The resource as ``rule`` reads it, and where its reads of unknowns are noted (a rule that
    never judges an unknown reads the markers themselves)."""
    reads = Reads()
    inputs = engine_inputs(props)
    read = view(inputs, reads) if rule.unknowns == "absent" else inputs
    return _Resource(type_, name, read), reads


def _waiting(reads: Reads, where: Sequence[str] = ()) -> UnknownValueError | None:
    """pulumi-policy's "can't run during preview" for the first unknown the rule read."""
    if not reads.unknown:
        return None
    path, value = reads.unknown[0]
    sentinel = value.sentinel if isinstance(value, _Sentinel) else UNKNOWN_STRING_VALUE
    return UnknownValueError(sentinel, [*where, *path])


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource, reads = _watched(rule, args.resource_type, args.name, args.props)
        found = rule([resource], args.get_config())
        waiting = _waiting(reads)
        if waiting is not None:
            raise waiting  # an unknown it read may change what it found
        for violation in found:
            report_violation(violation.detail, None)

    return ResourceValidationPolicy(
        rule.id, rule.title, validate, _LEVELS[rule.level], _schema(rule)
    )


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        # Each resource named by its URN: logical names repeat under different parents.
        watched = {r.urn: (r.name, *_watched(rule, r.resource_type, r.urn, r.props))
                   for r in args.resources}  # fmt: skip
        resources = [resource for _, resource, _ in watched.values()]
        for violation in rule(resources, args.get_config()):
            if not watched[violation.resource][2].unknown:
                report_violation(violation.detail, violation.resource)
        # What is decided is reported; the advisory names the first unknown the rest wait for.
        for name, _, reads in watched.values():
            waiting = _waiting(reads, [name])
            if waiting is not None:
                raise waiting

    return StackValidationPolicy(rule.id, rule.title, validate, _LEVELS[rule.level], _schema(rule))


def _schema(rule: Rule) -> PolicyConfigSchema | None:
    if not rule.options:
        return None
    return PolicyConfigSchema({option.name: dict(option.schema) for option in rule.options})


def policies(
    only: Sequence[Rule] | None = None,
) -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """The pack's policies, one per rule (``only``: these rules instead of all)."""
    chosen = rules() if only is None else tuple(only)
    return [
        _resource_policy(rule) if rule.scope == "resource" else _stack_policy(rule)
        for rule in chosen
    ]


def serve() -> None:
    """Start the pack (the engine runs this from the pack folder's __main__.py): it serves the
    policies until the engine stops it."""
    PolicyPack(
        PACK_NAME,
        list(policies()),
        EnforcementLevel.ADVISORY,
        description="graviton-llm's security checks and the AWS rules its harness enforces",
        provider="aws",
        display_name=f"graviton-llm {package_version()}",
    )
