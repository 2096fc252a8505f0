"""The component package's provider: Pulumi's component provider host over our components.

The host (pulumi.provider.experimental: analyzer.py infers the schema from the components'
annotations, component.py constructs them) serves NeuronServingCluster, StateBackend and
ReservedCapacity to every Pulumi language; `pulumi package add <component-package folder>`
runs it to generate a team's SDK. One thing is ours: the host wraps whatever a component
raises, so our refusals (ArgsError, a pulumi.InputPropertiesError) would reach the engine as
text with a stack trace; here they stay InputPropertiesErrors, which the engine shows per
property, each path in the schema's camelCase (instanceType, model.weightsUri) as the caller
wrote it.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import pulumi
from pulumi.provider import main
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case
from pulumi.provider.provider import ConstructResult
from pulumi.provider.server import ComponentInitError

from ..scaffold import package_version
from .neuron_serving_cluster import NeuronServingCluster
from .reserved_capacity import ReservedCapacity
from .state_backend import StateBackend

PACKAGE = "graviton-llm"
COMPONENTS: list[type[pulumi.ComponentResource]] = [
    NeuronServingCluster, StateBackend, ReservedCapacity,
]  # fmt: skip
_FIELD = re.compile(r"(^|\.)([A-Za-z_][A-Za-z0-9_]*)")


def schema_path(path: str) -> str:
    """A refusal's property path in the schema's names: model.weights_uri -> model.weightsUri."""
    return _FIELD.sub(lambda m: m.group(1) + camel_case(m.group(2)), path)


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


class PackageProvider(ComponentProvider):
    def __init__(self) -> None:
        super().__init__(COMPONENTS, PACKAGE, namespace="graviton", version=package_version())
        self.schema = json.dumps(_tidy(json.loads(self.schema or "{}")))

    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: pulumi.ResourceOptions | None = None,
    ) -> ConstructResult:
        try:
            return super().construct(name, resource_type, inputs, options)
        except ComponentInitError as error:
            refused = error.inner
            if not isinstance(refused, pulumi.InputPropertiesError):
                raise
            errors = [
                {"property_path": schema_path(e["property_path"]), "reason": e["reason"]}
                for e in refused.errors or []
            ]
            raise pulumi.InputPropertiesError(refused.message, errors) from refused  # type: ignore[arg-type]


def schema() -> dict[str, Any]:
    """The package schema the host infers (what `pulumi package get-schema` prints)."""
    provider = PackageProvider()
    document: dict[str, Any] = json.loads(provider.schema or "{}")
    return document


def serve() -> None:
    """Run the provider as the engine starts a plugin: `python <folder> <engine address>`."""
    main(PackageProvider(), sys.argv[1:])
