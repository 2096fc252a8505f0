"""A plan's resources as the `plan --json` document lists them (docs/plan-json.md): values as
JSON (a secret as "[secret]", a value only AWS will know as "[unknown until deployed]"), the
inputs worth a reviewer's eye, those that force a replacement, every input for `plan --against`,
and a digest of them all."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pulumi.output import Unknown

from ..facts.aws_replacements import replacing_inputs
from ..facts.resource_types import RESOURCE_TYPES, resource_type
from ..testing import ProgramResult, RegisteredResource
from .findings import SECRET_SHOWN, is_secret_value

UNKNOWN_UNTIL_DEPLOYED = "unknown until deployed"  # also the reason a check did not judge
UNKNOWN_SHOWN = f"[{UNKNOWN_UNTIL_DEPLOYED}]"


# Inputs worth a reviewer's eye, per resource type (camelCase, as the engine sees them): each
# registry row's review keys (facts/resource_types.py). Tags and user data are left out: tags are
# the same everywhere, user data has its own section.
KEY_PROPERTIES: dict[str, tuple[str, ...]] = {
    token: row.review_keys for token, row in RESOURCE_TYPES.items() if row.review_keys
}
# Inputs that are JSON documents in a string: shown parsed, so the JSON diff reads well.
_JSON_STRING_PROPERTIES = {"assumeRolePolicy", "policy"}


def document_value(value: Any, unknown: Any = UNKNOWN_SHOWN) -> Any:
    """Engine values as JSON: integral floats back to ints (the engine sends numbers as floats),
    dict keys sorted by json.dumps later; a secret shown as "[secret]", never its value; a value
    only AWS will know (an attribute the mocks do not compute) as ``unknown``, by default
    "[unknown until deployed]" (the cost rules ask for a marker no input can be)."""
    if is_secret_value(value):
        return SECRET_SHOWN
    if isinstance(value, Unknown):
        return unknown
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: document_value(v, unknown) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [document_value(v, unknown) for v in value]
    return value


def replacing_values(resource: RegisteredResource) -> dict[str, Any]:
    """The resource's inputs that force a replacement when they change (facts/aws_replacements)."""
    return {
        key: document_value(resource.inputs[key])
        for key in replacing_inputs(resource.type)
        if key in resource.inputs
    }


def _without(value: Any, path: list[str]) -> Any:
    """``value`` with the property at ``path`` (e.g. launchTemplate.version) left out."""
    if not isinstance(value, dict) or not path:
        return value
    head, *rest = path
    if head not in value:
        return value
    if not rest:
        return {k: v for k, v in value.items() if k != head}
    return {**value, head: _without(value[head], rest)}


def inputs_digest(resource: RegisteredResource) -> str:
    """A digest of the inputs Pulumi would compare: ignore_changes paths and a dynamic
    resource's pickled provider (code, not configuration) left out."""
    inputs: Any = {k: v for k, v in resource.inputs.items() if k != "__provider"}
    for path in resource.ignore_changes:
        inputs = _without(inputs, path.split("."))
    text = json.dumps(document_value(inputs), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


LONG_TEXT = 2048  # ours: an input longer than this (user data) shows as its digest


def compared_inputs(resource: RegisteredResource) -> dict[str, Any]:
    """Every input as `plan --against` compares it, property by property: plain (a secret as
    "[secret]"), an IAM document parsed, a long text (user data) as its size and digest, a
    dynamic resource's pickled provider left out."""
    shown: dict[str, Any] = {}
    for key, value in resource.inputs.items():
        if key == "__provider":
            continue
        if key in _JSON_STRING_PROPERTIES and isinstance(value, str):
            value = json.loads(value)
        value = document_value(value)
        if isinstance(value, str) and len(value) > LONG_TEXT:
            digest = hashlib.sha256(value.encode()).hexdigest()
            value = f"<{len(value)} characters, sha256 {digest[:16]}>"
        shown[key] = value
    return shown


def key_properties(resource: RegisteredResource) -> dict[str, Any]:
    properties = {}
    for key in resource_type(resource.type).review_keys:
        if key not in resource.inputs:
            continue
        value = resource.inputs[key]
        if key in _JSON_STRING_PROPERTIES and isinstance(value, str):
            value = json.loads(value)
        properties[key] = document_value(value)
    return properties


def resource_rows(result: ProgramResult) -> list[dict[str, Any]]:
    """One row per resource, parents before children, siblings by name: a stable order."""
    by_parent: dict[str | None, list[RegisteredResource]] = {}
    urns = {r.urn for r in result.resources}
    for r in result.resources:
        parent = r.parent_urn if r.parent_urn in urns else None
        by_parent.setdefault(parent, []).append(r)
    rows: list[dict[str, Any]] = []

    def walk(parent: str | None, depth: int) -> None:
        for r in sorted(by_parent.get(parent, []), key=lambda r: (r.type, r.name)):
            rows.append(
                {
                    "depth": depth,
                    "type": r.type,
                    "name": r.name,
                    "parent": r.parent_name if parent else None,
                    "protect": r.protect,
                    "ignore_changes": sorted(r.ignore_changes),
                    "retain_on_delete": r.retain_on_delete,
                    "properties": key_properties(r),
                    # What `plan --against` compares: the inputs that force AWS to replace
                    # the resource, and a digest of all its inputs (any change: an update).
                    "replace_on_change": replacing_values(r),
                    "inputs_sha256": inputs_digest(r),
                    "inputs": compared_inputs(r),
                    "custom": r.custom,
                }
            )
            walk(r.urn, depth + 1)

    walk(None, 0)
    return rows
