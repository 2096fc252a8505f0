"""The node config: one JSON document in the user data holding every setting the renderer gives
a node, and the one schema (node-config.schema.json, beside this module) both sides check it
against: the renderer before the user data exists, the agent before it does anything.

The schema is JSON Schema (draft 2020-12) restricted to the keywords ``check`` implements, so the
node needs nothing but the standard library; tests/node_agent/test_config.py holds ``check`` to a
full JSON Schema validator over the same documents. One deliberate difference: an integer must be
written as one (JSON Schema takes 8000.0 for an integer; the agent would print "8000.0").
"""

from __future__ import annotations

import json
import pkgutil
import re
from typing import Any

FORMAT = "graviton-llm-node/1"
MAX_CONFIG_BYTES = 64 * 1024  # ours: user data is at most 16 KB
_KEYWORDS = {
    "$schema", "$id", "title", "description", "type", "enum", "pattern", "minLength",
    "maxLength", "minimum", "maximum", "maxItems", "items", "properties", "required",
    "additionalProperties",
}  # fmt: skip
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


class ConfigError(ValueError):
    """A node config the agent must not act on; its text lists every problem."""


def schema() -> dict[str, Any]:
    """The schema, read from the package (a file in the agent's archive too)."""
    data = pkgutil.get_data(__package__ or __name__, "node-config.schema.json")
    if data is None:  # no loader that reads package data: never the case for ours
        raise ConfigError("node-config.schema.json is missing from the node agent")
    loaded: dict[str, Any] = json.loads(data)
    return loaded


def check(value: object, rules: dict[str, Any], path: str = "config") -> list[str]:
    """Every way ``value`` breaks ``rules`` (a schema), each prefixed with its path."""
    unknown = set(rules) - _KEYWORDS
    if unknown:  # a schema keyword we do not implement must not pass silently
        raise ConfigError(f"{path}: schema keywords {sorted(unknown)} are not implemented")
    kinds = rules.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_TYPES[kind](value) for kind in kinds):
            return [f"{path}: {_shown(value)} is not {' or '.join(kinds)}"]
    if "enum" in rules and not any(_same(value, v) for v in rules["enum"]):
        return [f"{path}: {_shown(value)} is not one of {json.dumps(rules['enum'])}"]
    if isinstance(value, str):
        return _string_problems(value, rules, path)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_problems(value, rules, path)
    if isinstance(value, list):
        problems = []
        if len(value) > rules.get("maxItems", len(value)):
            problems.append(f"{path}: more than {rules['maxItems']} items")
        for i, item in enumerate(value):
            problems += check(item, rules.get("items", {}), f"{path}[{i}]")
        return problems
    if isinstance(value, dict):
        return _object_problems(value, rules, path)
    return []


def _object_problems(value: dict[str, Any], rules: dict[str, Any], path: str) -> list[str]:
    properties = rules.get("properties", {})
    problems = [f"{path}: no {key!r}" for key in rules.get("required", []) if key not in value]
    extra = rules.get("additionalProperties", True)
    for key in sorted(value):
        where = f"{path}.{key}"
        if key in properties:
            problems += check(value[key], properties[key], where)
        elif extra is False:
            problems.append(f"{where}: not a setting of {FORMAT}")
        elif isinstance(extra, dict):
            problems += check(value[key], extra, where)
    return problems


def _string_problems(value: str, rules: dict[str, Any], path: str) -> list[str]:
    problems = []
    if len(value) < rules.get("minLength", 0):
        problems.append(f"{path}: shorter than {rules['minLength']} characters")
    if len(value) > rules.get("maxLength", len(value)):
        problems.append(f"{path}: longer than {rules['maxLength']} characters")
    if "pattern" in rules and re.search(rules["pattern"], value) is None:
        problems.append(f"{path}: {_shown(value)} does not match {rules['pattern']}")
    return problems


def _number_problems(value: float, rules: dict[str, Any], path: str) -> list[str]:
    if value < rules.get("minimum", value) or value > rules.get("maximum", value):
        low, high = rules.get("minimum", "-"), rules.get("maximum", "-")
        return [f"{path}: {value} is outside {low}..{high}"]
    return []


def _same(value: object, allowed: object) -> bool:
    """JSON equality: true is not 1."""
    return type(value) is type(allowed) and value == allowed


def _shown(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def problems(document: object) -> list[str]:
    """Every problem of a node config (none: the agent may act on it)."""
    return check(document, schema())


def parse(text: bytes) -> dict[str, Any]:
    """The config in ``text``, or ConfigError listing every problem."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"over {MAX_CONFIG_BYTES} bytes")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ConfigError(f"not JSON ({error})") from None
    found = problems(document)
    if found:
        raise ConfigError("; ".join(found))
    checked: dict[str, Any] = document
    return checked


def load(path: str) -> dict[str, Any]:
    """The config file at ``path`` (a node path under GRAVITON_LLM_ROOT), or ConfigError."""
    from .model_store_weights import on_node, read_file

    try:
        return parse(read_file(on_node(path), MAX_CONFIG_BYTES))
    except OSError as error:
        raise ConfigError(f"cannot read it ({error.strerror})") from None
    except ConfigError:
        raise
    except ValueError as error:  # read_file: not a regular file, or too large
        raise ConfigError(str(error)) from None
