"""Which inputs of a resource type force AWS to replace the resource (delete and create) rather
than update it in place: lookups in the registry (facts/resource_types.py, ``replacing_inputs``
of each row, with its sources). `plan --against` reads these; a type the registry has no rule for
may be replaced by any change (`plan --against` says "may replace", never "update")."""

from __future__ import annotations

from .resource_types import resource_type


def replacing_inputs(resource_type_token: str) -> tuple[str, ...]:
    return resource_type(resource_type_token).replacing_inputs or ()


def has_replacement_rule(resource_type_token: str) -> bool:
    """Whether we know which inputs replace a resource of this type (else it may be replaced by
    any change)."""
    return resource_type(resource_type_token).replacing_inputs is not None
