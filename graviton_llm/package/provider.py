"""The component package's provider: Pulumi's component provider host over our components.

The host (pulumi.provider.experimental: analyzer.py infers the schema from the components'
annotations, component.py constructs them) serves NeuronServingCluster, StateBackend and
ReservedCapacity to every Pulumi language; `pulumi package add <component-package folder>`
runs it to generate a team's SDK. Three things are ours:
- Refusals stay InputPropertiesErrors (the host wraps whatever a component raises, which would
  reach the engine as text with a stack trace), each field named as the schema spells it
  (instanceType, model.weightsUri), also when an Output given for it fails its check later.
- A value the host would convert and cannot (an integer or an enum given as an Output, a nested
  object given as an Output) is handed to our args models as it is: the host's int() and Enum
  lookup fail on an Output with a bare TypeError or a garbled message; ours name the field.
- The schema carries each input's default (the host's does not), so generated SDKs and IDEs
  show it; sending it changes nothing (tests/package/test_schema.py).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import pulumi
from pulumi.provider import main
from pulumi.provider.experimental.analyzer import PropertyDefinition, PropertyType
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case
from pulumi.provider.provider import ConstructResult
from pulumi.provider.server import ComponentInitError
from pydantic import BaseModel

from .. import args as args_models
from ..args.refusals import spelled
from ..scaffold import package_version
from .neuron_serving_cluster import NeuronServingCluster
from .reserved_capacity import ReservedCapacity
from .spelling import SchemaSpelling
from .state_backend import StateBackend

PACKAGE = "graviton-llm"
COMPONENTS: list[type[pulumi.ComponentResource]] = [
    NeuronServingCluster, StateBackend, ReservedCapacity,
]  # fmt: skip
# Each component's args model (a nested type's model has the type's own name).
MODELS: dict[str, type[BaseModel]] = {
    "NeuronServingCluster": args_models.NeuronServingClusterArgs,
    "StateBackend": args_models.StateBackendArgs,
    "ReservedCapacity": args_models.ReservedCapacityArgs,
}


def _tidy(node: Any) -> Any:
    """Descriptions as prose: the host copies docstrings with their source indentation."""
    if isinstance(node, dict):
        return {
            key: _prose(value) if key == "description" and isinstance(value, str) else _tidy(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    return node


def _prose(text: str) -> str:
    return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()))


def _with_defaults(schema: dict[str, Any]) -> dict[str, Any]:
    """Each input whose model field has a plain default (a string, number or boolean) with that
    default: Pulumi's schema allows one on primitive and enum properties."""
    owners = [(spec.get("inputProperties", {}), MODELS.get(token.rsplit(":", 1)[-1]))
              for token, spec in schema.get("resources", {}).items()]  # fmt: skip
    owners += [(spec.get("properties", {}), getattr(args_models, token.rsplit(":", 1)[-1], None))
               for token, spec in schema.get("types", {}).items()]  # fmt: skip
    for properties, model in owners:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        for field, default in plain_defaults(model).items():
            if field in properties:
                properties[field]["default"] = default
    return schema


def plain_defaults(model: type[BaseModel]) -> dict[str, Any]:
    """The model's fields with a string, number or boolean default, by their schema names."""
    return {
        camel_case(name): info.default
        for name, info in model.model_fields.items()
        if isinstance(info.default, str | int | float | bool)
    }


class PackageProvider(ComponentProvider):
    def __init__(self) -> None:
        super().__init__(COMPONENTS, PACKAGE, namespace="graviton", version=package_version())
        self.schema = json.dumps(_with_defaults(_tidy(json.loads(self.schema or "{}"))))
        self.spelling = SchemaSpelling(self._field_names())

    def _field_names(self) -> Iterator[str]:
        for component in self._component_defs.values():
            yield from component.inputs_mapping.values()
        for type_def in self._type_defs.values():
            yield from type_def.properties_mapping.values()

    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: pulumi.ResourceOptions | None = None,
    ) -> ConstructResult:
        with spelled(self.spelling):
            try:
                return super().construct(name, resource_type, inputs, options)
            except ComponentInitError as error:
                if isinstance(error.inner, pulumi.InputPropertiesError):
                    raise error.inner from None  # the engine lists it per property
                raise

    def map_input_properties(
        self,
        inputs: pulumi.Inputs,
        properties: dict[str, PropertyDefinition],
        mapping: dict[str, str],
        component_name: str,
        property_path: str,
    ) -> pulumi.Inputs:
        """The host's mapping, minus the values it would convert and cannot: those reach our
        args models as given, under their Python names, and are judged there."""
        given = inputs if isinstance(inputs, Mapping) else {}
        held = {key: value for key, value in given.items()
                if key in properties and self._unconvertible(properties[key], value)}  # fmt: skip
        mapped = super().map_input_properties(
            {k: v for k, v in given.items() if k not in held},
            {k: p for k, p in properties.items() if k not in held},
            mapping, component_name, property_path,
        )  # fmt: skip
        return {**mapped, **{mapping[key]: value for key, value in held.items()}}

    def _unconvertible(self, prop: PropertyDefinition, value: Any) -> bool:
        if value is None:
            return False
        if prop.type == PropertyType.INTEGER:
            return isinstance(value, bool) or not isinstance(value, int | float)
        type_def = self.get_type_definition(prop) if prop.ref else None
        if type_def is None:
            return False
        if type_def.enum:
            return value not in [choice.value for choice in type_def.enum]
        return not isinstance(value, dict)  # a nested object given whole as an Output


def schema() -> dict[str, Any]:
    """The package schema the host infers (what `pulumi package get-schema` prints)."""
    provider = PackageProvider()
    document: dict[str, Any] = json.loads(provider.schema or "{}")
    return document


def serve() -> None:
    """Run the provider as the engine starts a plugin: `python <folder> <engine address>`."""
    main(PackageProvider(), sys.argv[1:])
