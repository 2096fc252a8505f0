"""Inputs as the component provider host hands them over, made what our args models take.

The host (pulumi.provider.experimental, component.py map_input_properties) renames each input to
its Python name and turns an enum's value into the Enum member, but leaves a number the engine
sent as a float: the engine has no integers, and the host's own conversion to int is overwritten
by the float on the next line. Our models are strict (3.0 is not the port 3), so an integer
field's whole float becomes an int here, an Enum its value, and a nested model the same, by the
model's own field types. Outputs pass as they are: the component checks them when they resolve.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any, get_args, get_origin

from pydantic import BaseModel


def model_input(model: type[BaseModel], given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` (one component's or nested type's inputs) as ``model`` validates it."""
    return {
        key: _value(model.model_fields[key].annotation if key in model.model_fields else None, v)
        for key, v in given.items()
    }


def _value(annotation: Any, value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    inner = _without_none(annotation)
    if isinstance(inner, type) and issubclass(inner, BaseModel) and isinstance(value, Mapping):
        return model_input(inner, value)
    if inner is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if get_origin(inner) is list and isinstance(value, list):
        (item,) = get_args(inner) or (None,)
        return [_value(item, v) for v in value]
    return value


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (typing.Union, types.UnionType):
        kept = [a for a in get_args(annotation) if a is not type(None)]
        return kept[0] if len(kept) == 1 else annotation
    return annotation
