"""Config keys and declarations as the Pulumi engine reads them, so `plan` refuses what
`pulumi preview` would refuse, naming each key (pulumi/pulumi, cited in docs/sources.md):

- a key (sdk/go/common/resource/config/key.go, ParseKey) is `<namespace>:<name>`, or the legacy
  `<namespace>:config:<name>`; `a:b:c` is refused. A key without a namespace is the project's,
  in Pulumi.yaml (workspace/config.go) and in a stack file (workspace/loaders.go,
  stackConfigNamespacedWithProject);
- a project-level declaration (workspace/project.json, ConfigTypeDeclaration) holds only `type`
  (string, integer, boolean, array, object), `items`, `description`, `secret`, `default` and
  `value`, or is a shorthand string, integer, boolean or list;
- Project.Validate (workspace/project.go): not both `default` and `value`; a key of another
  namespace (`aws:profile`) takes a `value` and neither `type` nor `default`; an `array` type
  names its `items`; a typed `default` has that type;
- when a stack is loaded (workspace/config.go, ValidateStackConfigAndMergeProjectConfig): a
  project key declared without `value` or `default` must be in the stack file; a typed key's stack
  value must have that type, and a `secret: true` key's must be `secure:`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

CONFIG_TYPES = ("string", "integer", "boolean", "array", "object")
DECLARATION_KEYS = frozenset({"type", "items", "description", "secret", "default", "value"})
KEY_FORM = "configuration keys are `<namespace>:<name>`, e.g. aws:region or myproject:cluster"


def parse_key(key: str, project: str) -> str | None:
    """``key`` as `<namespace>:<name>`, or None when the engine cannot parse it; a key without
    a namespace is ``project``'s."""
    parts = key.split(":")
    if len(parts) == 1:
        return f"{project}:{key}"
    if len(parts) == 2:
        return key
    if len(parts) == 3 and parts[1] == "config" and all(parts):  # legacy `aws:config:region`
        return f"{parts[0]}:{parts[2]}"
    return None


@dataclass(frozen=True)
class Declaration:
    """One key of Pulumi.yaml's `config:`, namespaced."""

    key: str  # as written in Pulumi.yaml
    full_key: str
    ours: bool  # in the project's namespace
    type: str | None = None
    items: Any = None
    secret: bool = False
    default: Any = None
    value: Any = None

    @property
    def fallback(self) -> Any:
        """What the stack gets when its file does not set the key."""
        return self.value if self.value is not None else self.default


def declarations(project: str, config: dict[str, Any]) -> tuple[list[Declaration], list[str]]:
    """Pulumi.yaml's `config:` as declarations, and every problem the engine would refuse."""
    found: list[Declaration] = []
    problems: list[str] = []
    for raw_key, declared in config.items():
        key = str(raw_key)
        full = parse_key(key, project)
        if full is None:
            problems.append(f"config key {key!r}: {KEY_FORM}")
            continue
        ours = full.startswith(f"{project}:")
        if not isinstance(declared, dict):
            if not _shorthand(declared):
                problems.append(
                    f"config key {key!r}: a value here is a string, an integer, a boolean or a "
                    "list (or a declaration with `value`/`default`); quote a number like 1.5"
                )
                continue
            declared = {"default": declared} if ours else {"value": declared}
        problems += _declaration_problems(key, declared, ours)
        found.append(
            Declaration(key, full, ours, declared.get("type"), declared.get("items"),
                        bool(declared.get("secret")), declared.get("default"),
                        declared.get("value"))
        )  # fmt: skip
    return found, problems


def _shorthand(value: Any) -> bool:
    return isinstance(value, str | bool | int | list)


def _declaration_problems(key: str, declared: dict[str, Any], ours: bool) -> list[str]:
    unknown = sorted(str(k) for k in declared if k not in DECLARATION_KEYS)
    if unknown:
        allowed = ", ".join(sorted(DECLARATION_KEYS))
        return [f"config key {key!r}: {', '.join(unknown)} not allowed (a declaration holds "
                f"{allowed})"]  # fmt: skip
    kind = declared.get("type")
    if kind is not None and kind not in CONFIG_TYPES:
        return [f"config key {key!r}: type {kind!r} is not one of {', '.join(CONFIG_TYPES)}"]
    default, value = declared.get("default"), declared.get("value")
    if default is not None and value is not None:
        return [f"config key {key!r} cannot have both a `default` and a `value`"]
    if not ours:
        if kind is not None:
            return [f"config key {key!r} is not namespaced by the project and cannot declare a "
                    "`type`: give only its `value`"]  # fmt: skip
        if default is not None:
            return [f"config key {key!r} is not namespaced by the project and cannot have a "
                    "`default`: use `value`"]  # fmt: skip
        if value is None:
            return [f"config key {key!r} is namespaced and must give a `value`"]
        return []
    if kind == "array" and declared.get("items") is None:
        return [f"config key {key!r} declares an array without its `items` type"]
    if kind is not None and default is not None and not has_type(kind, declared.get("items"),
                                                                 default):  # fmt: skip
        return [f"config key {key!r}: its default is not of type {type_name(declared)!r}"]
    return []


def type_name(declared: dict[str, Any] | Declaration) -> str:
    kind = declared.type if isinstance(declared, Declaration) else declared.get("type")
    items = declared.items if isinstance(declared, Declaration) else declared.get("items")
    if kind == "array" and isinstance(items, dict):
        return f"array<{type_name(items)}>"
    return str(kind)


def has_type(kind: str, items: Any, value: Any) -> bool:
    """workspace/project.go, ValidateConfigValue: integers may be whole floats or digit strings,
    booleans the strings "true" and "false"."""
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return math.isfinite(value) and value == math.trunc(value)
        return isinstance(value, str) and _is_integer_text(value)
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if kind == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or not isinstance(items, dict):
        return False
    return all(has_type(str(items.get("type")), items.get("items"), item) for item in value)


def _is_integer_text(text: str) -> bool:
    digits = text[1:] if text[:1] in "+-" else text
    return digits.isdigit() and digits.isascii()


def stack_problems(
    stack: str, declared: list[Declaration], config: dict[str, Any], secret_keys: set[str]
) -> list[str]:
    """What the engine refuses when it loads ``stack``'s file against the declarations:
    ``config`` the stack file's own keys (namespaced, before the defaults are applied)."""
    problems: list[str] = []
    missing = []
    for declaration in declared:
        present = declaration.full_key in config
        if not present:
            if declaration.ours and declaration.fallback is None:
                missing.append(declaration.key)
            continue
        if declaration.type is None:
            continue
        if declaration.secret and declaration.full_key not in secret_keys:
            problems.append(
                f"stack {stack!r}: config key {declaration.key!r} must be encrypted "
                "(`secret: true` in Pulumi.yaml): set it with pulumi config set --secret"
            )
        elif declaration.full_key not in secret_keys and not has_type(
            declaration.type, declaration.items, _as_engine_reads(config[declaration.full_key])
        ):
            problems.append(
                f"stack {stack!r}: config key {declaration.key!r} must be of type "
                f"{type_name(declaration)!r}"
            )
    if missing:
        problems.append(
            f"stack {stack!r} is missing configuration value(s) "
            f"{', '.join(map(repr, sorted(missing)))} (declared in Pulumi.yaml without a value "
            "or default)"
        )
    return problems


def _as_engine_reads(value: Any) -> Any:
    """A stack file's scalar reaches the engine as its text (config.Value); maps and lists as
    objects."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value
