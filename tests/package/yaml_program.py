"""A Pulumi YAML program checked against a package schema, as Pulumi YAML's type checker would
before a preview: each resource of the package names only inputs the schema has, gives every
required one, gives each a value of its type (nested types, enums, arrays and maps followed),
never gives a plain input another resource's output, and the program reads only outputs the
component has. ``${...}`` values whose type the program alone cannot tell (config, variables)
are accepted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_EXPRESSION = re.compile(r"^\$\{([^}]+)\}$")
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "array": (list,), "object": (dict,),
}  # fmt: skip


def problems(program: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    resources = program.get("resources") or {}
    found = []
    for name, resource in resources.items():
        definition = schema["resources"].get(resource.get("type"))
        if definition is None:
            continue  # another package's resource
        found += _object(
            f"{name}", resource.get("properties") or {}, definition["inputProperties"],
            definition.get("requiredInputs", []), schema, resources,
        )  # fmt: skip
    found += _reads(program, schema, resources)
    return found


def _object(
    path: str, given: Any, properties: Mapping[str, Any], required: list[str],
    schema: Mapping[str, Any], resources: Mapping[str, Any],
) -> list[str]:  # fmt: skip
    if _expression(given) is not None:
        return []
    if not isinstance(given, dict):
        return [f"{path}: expected an object, got {given!r}"]
    found = [f"{path}.{key}: required" for key in required if key not in given]
    for key, value in given.items():
        if key not in properties:
            found.append(f"{path}.{key}: not an input of this type (has: {', '.join(properties)})")
        else:
            found += _value(f"{path}.{key}", value, properties[key], schema, resources)
    return found


def _value(
    path: str, value: Any, spec: Mapping[str, Any], schema: Mapping[str, Any],
    resources: Mapping[str, Any],
) -> list[str]:  # fmt: skip
    expression = _expression(value)
    if expression is not None:
        source = expression.split(".", 1)[0]
        if spec.get("plain") and source in resources:
            return [f"{path}: takes a plain value, not {value} (an output of {source})"]
        return []
    if "$ref" in spec:
        ref = spec["$ref"]
        if not ref.startswith("#/types/"):
            return []  # another package's type: not ours to check
        type_ = schema["types"][ref.removeprefix("#/types/")]
        if "enum" in type_:
            allowed = [member["value"] for member in type_["enum"]]
            return [] if value in allowed else [f"{path}: {value!r} is not one of {allowed}"]
        return _object(path, value, type_["properties"], type_.get("required", []), schema,
                       resources)  # fmt: skip
    expected = spec.get("type")
    if expected is None:
        return []
    accepted = _PYTHON_TYPES[expected]
    if not isinstance(value, accepted) or (expected != "boolean" and isinstance(value, bool)):
        return [f"{path}: expected {expected}, got {value!r}"]
    if expected == "array":
        return [p for i, v in enumerate(value)
                for p in _value(f"{path}[{i}]", v, spec["items"], schema, resources)]  # fmt: skip
    if expected == "object" and "additionalProperties" in spec:
        return [p for k, v in value.items()
                for p in _value(f"{path}.{k}", v, spec["additionalProperties"], schema,
                                resources)]  # fmt: skip
    return []


def _expression(value: Any) -> str | None:
    match = _EXPRESSION.match(value) if isinstance(value, str) else None
    return match.group(1) if match else None


def _reads(program: Mapping[str, Any], schema: Mapping[str, Any], resources: Mapping[str, Any]):
    """Every ${resource.output} anywhere in the program names an output the component has."""
    found = []
    for text in _strings(program):
        for reference in re.findall(r"\$\{([A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)", text):
            name, output = reference
            definition = schema["resources"].get((resources.get(name) or {}).get("type"))
            if definition is not None and output not in definition["properties"]:
                found.append(f"${{{name}.{output}}}: {name} has no output {output}")
    return found


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []
