"""What every args model shares: unknown fields are errors, each field's docstring is its
description, and a field that names a cloud object takes a Pulumi Input.

Input fields: a plain value is judged when the model is built; a ``pulumi.Output`` (the id of a
VPC the stack creates, a StackReference output, ``Output.all(...)``, a secret) is kept as it is
and judged when it resolves (``args/deferred.py``). A list field takes a list whose items may be
Outputs, or one Output of the whole list (awsx's ``vpc.private_subnet_ids``,
``aws.ec2.get_subnets_output(...).ids``). Type checkers see ``pulumi.Input[...]``; pydantic sees a
validator that accepts exactly that and refuses anything else with our own fix text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from inspect import isawaitable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeAlias

import pulumi
from pydantic import BaseModel, ConfigDict, PlainValidator, WrapValidator
from pydantic_core import PydanticCustomError

# The error types below, which refusals.py turns into fix text.
NOT_A_STR_INPUT = "str_input"
NOT_A_LIST_INPUT = "list_input"
NOT_A_MAPPING = "mapping_input"


def is_output(value: object) -> bool:
    """Whether ``value`` is, or holds (in a list or a mapping's values), a Pulumi Output."""
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, list | tuple):
        return any(is_output(item) for item in value)
    if isinstance(value, dict):
        return any(is_output(item) for item in value.values())
    return False


def _str_input(value: object) -> object:
    if isinstance(value, str | pulumi.Output):
        return value
    if isawaitable(value):
        return pulumi.Output.from_input(value)
    raise PydanticCustomError(NOT_A_STR_INPUT, "a string or a pulumi Output of one")


def _whole_output_or(value: object, handler: Callable[[object], object]) -> object:
    """One Output of the whole list is kept; a list is validated item by item."""
    if isinstance(value, pulumi.Output):
        return value
    if isawaitable(value):
        return pulumi.Output.from_input(value)
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list):
        raise PydanticCustomError(NOT_A_LIST_INPUT, "a list, or a pulumi Output of one")
    return handler(value)


def _mapping(value: object, handler: Callable[[object], object]) -> object:
    if isinstance(value, pulumi.Output):
        raise PydanticCustomError(
            NOT_A_MAPPING,
            "a mapping known when the program runs (its values may be pulumi Outputs)",
        )
    return handler(value)


if TYPE_CHECKING:
    StrInput: TypeAlias = pulumi.Input[str]
    StrListInput: TypeAlias = pulumi.Input[Sequence[pulumi.Input[str]]]
    TagsInput: TypeAlias = Mapping[str, pulumi.Input[str]]
else:
    StrInput = Annotated[object, PlainValidator(_str_input)]
    StrListInput = Annotated[list[StrInput], WrapValidator(_whole_output_or)]
    TagsInput = Annotated[dict[str, StrInput], WrapValidator(_mapping)]


class ArgsModel(BaseModel):
    """Unknown fields are errors; types are strict (YAML's `true` is not the port 1, "8000" is
    not a number) and floats finite; a field's docstring is its description (what IDEs show)."""

    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="forbid",
        arbitrary_types_allowed=True,
        strict=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        # help() shows a class's __doc__, not pydantic's field descriptions: append them, so
        # help(NeuronServingClusterArgs) explains each field as the IDE's hover does.
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__doc__ is not None and FIELDS_HEADING not in cls.__doc__:
            cls.__doc__ = cls.__doc__.rstrip() + "\n\n" + fields_help(cls)


FIELDS_HEADING = "Fields (each also a key of the dict form):"


def fields_help(model: type[BaseModel], indent: str = "") -> str:
    """The model's fields, each with its description, as help() prints them (each line after
    the first ``indent``-ed, to match the docstring it ends)."""
    lines = [FIELDS_HEADING]
    for name, field in model.model_fields.items():
        lines.append(f"{indent}    {name}: {' '.join((field.description or '').split())}")
    return f"\n{indent}".join([lines[0], *(line.removeprefix(indent) for line in lines[1:])])


def summary(model: type[BaseModel]) -> str:
    """The model's own docstring, without the fields help() lists after it."""
    return (model.__doc__ or model.__name__).split(FIELDS_HEADING)[0].rstrip()


def with_fields_help(init: Callable[..., None], model: type[BaseModel]) -> None:
    """End a component's ``__init__`` docstring with its args' fields, so help(component)
    explains every argument it takes (as a model, a dict or keyword arguments)."""
    init.__doc__ = f"{(init.__doc__ or '').rstrip()}\n\n        {fields_help(model, ' ' * 8)}\n"
