"""Each rule as a pulumi-policy policy: a "resource" rule as a ResourceValidationPolicy (one
resource at a time), a "stack" rule as a StackValidationPolicy; its level, title and options
become the policy's enforcement level, description and configuration schema.

What the engine hands a policy: inputs after the provider's check (camelCase, numbers as
floats, secrets already revealed), each value a preview cannot know yet as a sentinel string
that pulumi-policy's proxy refuses to read (pulumi_policy/proxy.py, UnknownValueError). The
rules expect the harness's form instead, an unknown as a marker object (``engine_inputs``). A
rule that reads an unknown as absent ("absent", facts/rules.py) cannot decide a resource that
holds one: what it would report there becomes pulumi-policy's own advisory "can't run policy
during preview", and the rule runs on the known values when `pulumi up` analyzes the resource.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi.output import UNKNOWN, Unknown
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


@dataclass(frozen=True)
class _Resource:
    type: str
    name: str
    inputs: dict[str, Any]


def engine_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """A policy's ``props`` as the rules read them: plain dicts and lists, each unknown as an
    ``Unknown`` marker (never a str the rules would judge)."""
    plain: dict[str, Any] = _marked(serialize_properties(props))  # unwraps pulumi-policy's proxy
    return plain


def _marked(value: Any) -> Any:
    if isinstance(value, str) and value in _SENTINELS:
        return UNKNOWN
    if isinstance(value, Mapping):
        return {key: _marked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_marked(item) for item in value]
    return value


def _unknown_path(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Where the first unknown in ``value`` is, or None."""
    if isinstance(value, Unknown):
        return path
    items: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, item in items:
        found = _unknown_path(item, (*path, str(key)))
        if found is not None:
            return found
    return None


def _undecided(rule: Rule, resource: _Resource) -> UnknownValueError | None:
    """pulumi-policy's "can't run during preview" for a resource this rule cannot decide yet."""
    path = _unknown_path(resource.inputs) if rule.unknowns == "absent" else None
    return None if path is None else UnknownValueError(UNKNOWN_STRING_VALUE, list(path))


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource = _Resource(args.resource_type, args.name, engine_inputs(args.props))
        found = rule([resource], args.get_config())
        undecided = _undecided(rule, resource) if found else None
        if undecided is not None:
            raise undecided
        for violation in found:
            report_violation(violation.detail, None)

    return ResourceValidationPolicy(
        rule.id, rule.title, validate, _LEVELS[rule.level], _schema(rule)
    )


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = {
            (r.resource_type, r.name): (
                r.urn,
                _Resource(r.resource_type, r.name, engine_inputs(r.props)),
            )
            for r in args.resources
        }
        waiting: UnknownValueError | None = None
        for violation in rule([r for _, r in resources.values()], args.get_config()):
            urn, resource = resources[(violation.type, violation.resource)]
            undecided = _undecided(rule, resource)
            if undecided is None:
                report_violation(violation.detail, urn)
            else:
                waiting = waiting or undecided
        # Decided violations are reported; the advisory names what the rest wait for.
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
