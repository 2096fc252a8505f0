"""Requests as an AWS API's model types them, whatever the engine made of their numbers.

A dynamic provider's properties cross the engine as protobuf `Struct`s, where every number is a
double: the integer 66 reaches the provider as 66.0 (pulumi `sdk/python/lib/pulumi/dynamic/
__main__.py` deserializes with `rpc.deserialize_properties`), and botocore refuses a float
where its service model says integer ("Invalid type for parameter
Preferences.MinHealthyPercentage, value: 66.0"). So the provider walks the request along the
operation's input shape from botocore's own model and gives each field the type the model
names, instead of a hand-kept list of integer fields that goes stale with the next one.
"""

from __future__ import annotations

from typing import Any

INTEGER_TYPES = frozenset({"integer", "long"})


class ShapeMismatchError(ValueError):
    """A value that cannot be what the API model says it is (e.g. 66.5 for an integer)."""


def operation_input_shape(service: str, operation: str) -> Any:
    """botocore's input shape of ``operation`` (its PascalCase name, e.g. StartInstanceRefresh)."""
    import botocore.session  # on the deploying machine; botocore comes with boto3

    model = botocore.session.get_session().get_service_model(service)
    return model.operation_model(operation).input_shape


def conform(value: Any, shape: Any, path: str = "") -> Any:
    """``value`` with every number typed as ``shape`` (a botocore Shape) says: integral floats
    become ints where the model wants an integer, ints become floats where it wants a double.
    Members the model does not know are kept as they are, for botocore's validation to name."""
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {
            key: conform(item, members.get(key), _join(path, key)) for key, item in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [conform(item, shape.member, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind == "map" and isinstance(value, dict):
        return {key: conform(item, shape.value, _join(path, key)) for key, item in value.items()}
    if kind in INTEGER_TYPES and isinstance(value, float):
        if not value.is_integer():
            raise ShapeMismatchError(f"{path or 'value'}: {value!r} is not a whole number")
        return int(value)
    if kind in ("double", "float") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def conform_request(service: str, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    """``request`` typed for ``service``'s ``operation`` by its botocore model."""
    conformed = conform(request, operation_input_shape(service, operation))
    assert isinstance(conformed, dict)
    return conformed


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
