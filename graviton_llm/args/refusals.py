"""Refused args as a user reads them: each problem names its component (the cluster `chat`),
its field, the value in a readable form and the fix in our words, and all of them travel in one
``ArgsError``.

``ArgsError`` is the engine's ``pulumi.InputPropertiesError`` (pulumi >= 3.137,
sdk/python/lib/pulumi/errors.py: a message and one ``{"property_path", "reason"}`` per field), so
a component provider hands the details to the engine, which lists each under the resource
(pkg/resource/deploy/source_eval.go, errorToMessage). Raised from a program, the engine prints
the exception's text, so the message lists every problem too. It is deliberately not a
``ValueError``: the SDK wraps a ValueError raised while it resolves a resource's inputs in one
"While processing input: ..., value <pulumi.output.Output object at 0x...>" per resource and
input (pulumi/sdk/python/lib/pulumi/runtime/rpc.py, serialize_properties; runtime/resource.py),
which buried the fix under object addresses; anything else passes through as it is.

Pydantic's own sentences ("Input should be a valid integer") are turned into fix text here, an
unknown key gets the nearest field (difflib), and an Output is shown as ``Output[str]``, never as
an object address.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, Union, get_args, get_origin

import pulumi
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .base import NOT_A_LIST_INPUT, NOT_A_MAPPING, NOT_A_STR_INPUT
from .identifiers import shown
from .problems import Problem


class Shown(str):
    """A value's readable form (e.g. ``Output[str]``): printed as it is, never quoted."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class FieldProblem:
    """One refused field: which component, which field (dotted path), its value, the fix."""

    component: str | None  # the component's name, e.g. the cluster "chat"
    field: str
    value: Any  # JSON-able; an Output is shown as Output[str]
    fix: str
    kind: str = "cluster"  # what the component is, for the message

    @property
    def shown_value(self) -> str:
        """The value as a message prints it: text quoted (and cut when long), an Output as
        Output[str]. ``value`` itself is the plain value (what `--json` reports)."""
        value = self.value
        if isinstance(value, Shown):
            return str(value)
        if isinstance(value, str):
            return shown(value)
        return repr(value)

    @property
    def where(self) -> str:
        return f"{self.kind} {self.component!r}" if self.component else self.kind

    @property
    def property_path(self) -> str:
        """The field as a Pulumi property path: subnet_ids[0], tags["team/name"]."""
        path = ""
        for part in self.field.split("."):
            if part.isdigit():
                path += f"[{part}]"
            elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
                path += f".{part}" if path else part
            else:
                path += f'["{part}"]'
        return path


class Spelling(Protocol):
    """How the caller's language names our fields (a property path, and field names in text)."""

    def path(self, path: str) -> str: ...
    def text(self, text: str) -> str: ...


class _AsWritten:
    def path(self, path: str) -> str:
        return path

    def text(self, text: str) -> str:
        return text


# Set by the component package while it builds a component for another language (the schema's
# camelCase). Every refusal made in this context names fields that way, including one raised
# later when an Output resolves: the task that checks it copied this context when it was made.
_SPELLING: ContextVar[Spelling | None] = ContextVar("graviton_llm_spelling", default=None)
_AS_WRITTEN = _AsWritten()


@contextmanager
def spelled(spelling: Spelling) -> Iterator[None]:
    """Refusals made inside (and in the tasks started inside) name fields by ``spelling``."""
    token = _SPELLING.set(spelling)
    try:
        yield
    finally:
        _SPELLING.reset(token)


class ArgsError(pulumi.InputPropertiesError):
    """A component's args refused: every problem at once, each naming the component and field."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        spelling = _SPELLING.get() or _AS_WRITTEN
        components = list(dict.fromkeys(p.where for p in self.problems))
        lines = [
            f"graviton-llm refused the args of {', '.join(components)}: "
            f"{len(self.problems)} problem(s), each with its fix"
        ]
        for p in self.problems:
            lines.append(f"  {p.where}: {spelling.path(p.property_path)} = {p.shown_value}")
            lines.append(f"      fix: {spelling.text(p.fix)}")
        super().__init__(
            "\n".join(lines),
            [{"property_path": spelling.path(p.property_path),
              "reason": f"{p.where}: {spelling.text(p.fix)}"} for p in self.problems],
        )  # fmt: skip

    @classmethod
    def combined(cls, errors: Iterable[ArgsError]) -> ArgsError:
        return cls([problem for error in errors for problem in error.problems])


def readable(value: Any, expected: str = "...") -> Any:
    """``value`` as JSON-able data a message can print: each Output as Output[<expected>]."""
    if isinstance(value, pulumi.Output):
        return Shown(f"Output[{expected}]")
    if isinstance(value, list | tuple):
        inner = _element(expected)
        return [readable(item, inner) for item in value]
    if isinstance(value, dict):
        return {str(k): readable(v, "str") for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return Shown(shown(value))


def _element(expected: str) -> str:
    match = re.fullmatch(r"list\[(.+)\]", expected)
    return match.group(1) if match else "str"


def from_problems(
    component: str | None, problems: Iterable[Problem], kind: str = "cluster"
) -> list[FieldProblem]:
    """Our rules' problems, each with the value as the rule reports it."""
    return [FieldProblem(component, p.field, readable(p.value), p.message, kind) for p in problems]


def from_validation_error(
    error: ValidationError,
    model: type[BaseModel] | None,
    component: str | None = None,
    kind: str = "cluster",
) -> list[FieldProblem]:
    """Each of pydantic's entries as a FieldProblem in our words (one per field)."""
    found: dict[str, FieldProblem] = {}
    for entry in error.errors():
        loc = [part for part in entry["loc"] if isinstance(part, int) or "[" not in part]
        field = ".".join(str(part) for part in loc)
        if field in found:
            continue  # a union's other members: the first says what is wrong
        fix, value = _fix(entry, loc, model)
        found[field] = FieldProblem(component, field or "(args)", value, fix, kind)
    return list(found.values())


_TYPE_NAMES = {
    "string_type": "str", "int_type": "int", "int_parsing": "int", "int_from_float": "int",
    "float_type": "float", "float_parsing": "float", "bool_type": "bool", "bool_parsing": "bool",
    "list_type": "list", "dict_type": "dict", "model_type": "dict",
    "model_attributes_type": "dict", "literal_error": "str",
}  # fmt: skip
_TYPE_FIXES = {
    "str": "text (a string)",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "list": "a list",
    "dict": "a mapping of field names to values",
}


def _fix(
    entry: ErrorDetails, loc: list[int | str], model: type[BaseModel] | None
) -> tuple[str, Any]:
    kind, given, context = entry["type"], entry.get("input"), entry.get("ctx") or {}
    expected = _TYPE_NAMES.get(kind)
    if kind == "missing":
        return f"is required: {_description(model, loc) or 'give a value'}", Shown("(missing)")
    if kind == "extra_forbidden":
        return _unknown_key(model, loc), readable(given)
    if expected is not None and isinstance(given, pulumi.Output):
        return (
            f"must be known when the program runs: the component decides its hardware, boot "
            f"script and resources from it before anything is deployed; pass a plain "
            f"{expected} (e.g. from pulumi.Config().require...), not an Output"
        ), readable(given, expected)
    if kind == "literal_error":
        return f"must be one of {context.get('expected', '')}", readable(given)
    if expected is not None:
        return _type_fix(expected, given), readable(given)
    bounds = {
        "greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
        "greater_than": ("more than", "gt"), "less_than": ("less than", "lt"),
    }  # fmt: skip
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {context.get(key)}", readable(given)
    if kind == "too_long":
        return f"give at most {context.get('max_length')} items", readable(given)
    if kind == "finite_number":
        return "must be a finite number (not inf or nan)", readable(given)
    if kind in (NOT_A_STR_INPUT, NOT_A_LIST_INPUT, NOT_A_MAPPING):
        return f"must be {entry['msg']}", readable(given)
    return entry["msg"], readable(given)


def _type_fix(expected: str, given: Any) -> str:
    fix = f"must be {_TYPE_FIXES[expected]}"
    if isinstance(given, str) and expected in ("int", "float", "bool"):
        plain = given.strip().lower()
        if expected == "bool" and plain in ("true", "false"):
            return f"{fix}: write {plain} without quotes, not the text {given!r}"
        if re.fullmatch(r"[+-]?\d+(\.\d+)?", plain):
            return f"{fix}: write {plain} without quotes, not the text {given!r}"
    if isinstance(given, float) and expected == "int":
        return f"{fix}, e.g. {int(given)}"
    return f"{fix}, not {type(given).__name__}"


def _model_at(model: type[BaseModel] | None, path: Sequence[int | str]) -> type[BaseModel] | None:
    """The args model a path (without its last part) leads to, e.g. monitoring -> Monitoring."""
    for part in path:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return None
        model = _nested_model(model.model_fields[part].annotation)
    return model


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, type(int | None)):
        for member in get_args(annotation):
            found = _nested_model(member)
            if found is not None:
                return found
    return None


def _description(model: type[BaseModel] | None, loc: Sequence[int | str]) -> str | None:
    owner = _model_at(model, loc[:-1])
    name = loc[-1] if loc else None
    if owner is None or not isinstance(name, str) or name not in owner.model_fields:
        return None
    text = owner.model_fields[name].description or ""
    return " ".join(text.split()) or None


def _unknown_key(model: type[BaseModel] | None, loc: Sequence[int | str]) -> str:
    owner = _model_at(model, loc[:-1])
    key = str(loc[-1]) if loc else ""
    if owner is None:
        return "is not a field here; remove it"
    fields = list(owner.model_fields)
    close = difflib.get_close_matches(key, fields, n=1, cutoff=0.6)
    if close:
        return f"is not a field of {owner.__name__}; did you mean '{close[0]}'?"
    return f"is not a field of {owner.__name__}; its fields are {', '.join(fields)}"


def models_by_name(root: type[BaseModel]) -> Mapping[str, type[BaseModel]]:
    """``root`` and every model below it, by class name (to read a ValidationError's title)."""
    found: dict[str, type[BaseModel]] = {}
    pending = [root]
    while pending:
        model = pending.pop()
        found[model.__name__] = model
        pending += [m for m in model.__subclasses__() if m.__name__ not in found]
    return found


def field_problems(error: BaseException) -> list[FieldProblem] | None:
    """Refused args as FieldProblems: a component's ArgsError, or an args model's
    ValidationError (a stack's cluster validated before any program runs) in the same words;
    None for any other error."""
    if isinstance(error, ArgsError):
        return list(error.problems)
    if isinstance(error, ValidationError):
        from .base import ArgsModel

        model = models_by_name(ArgsModel).get(error.title)
        return from_validation_error(error, model, None, "cluster")
    return None
