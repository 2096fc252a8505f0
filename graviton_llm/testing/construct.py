"""A component package's construct path, offline: a component built as the engine builds it for
a TypeScript, Go, C# or YAML program.

Such a program sends its inputs to the engine, which calls the provider's Construct with them
marshaled (provider.proto, ConstructRequest): each value taken from another resource as an
output value (known or unknown, secret or not, with the resources it depends on), plain values
as they are, every number as a float. The provider deserializes them
(pulumi.provider.server.ProviderServicer._construct_inputs), calls its ``construct`` and answers
with the component's URN and outputs, serialized (_construct_response). ``construct`` runs those
same steps inside ``run_program`` (an async program), so the component's children register with
the harness's mocks. Two things differ from a provider process, on purpose: the runtime's
settings are not reset (Construct would point them at the real engine), and there is no stack
root while the component is built, as in a provider process (a refusal is raised at once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.provider.provider import Provider
from pulumi.provider.server import ProviderServicer
from pulumi.runtime import proto, rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.proto import resource_pb2


@dataclass(frozen=True)
class Constructed:
    urn: str
    outputs: dict[str, Any]  # as the calling program reads them: Unknown where not known yet
    output_dependencies: dict[str, list[str]]  # each output's resources, by URN


async def construct(
    provider: Provider, type_: str, name: str, inputs: Mapping[str, Any]
) -> Constructed:
    """Build ``type_`` named ``name`` through ``provider`` as the engine would for another
    language's program that passes ``inputs`` (plain values and pulumi Outputs, by the
    schema's names). Raises what the provider's Construct would fail with."""
    request = await _request(type_, name, inputs)
    given = await ProviderServicer._construct_inputs(request.inputs, request.inputDependencies)
    options = ProviderServicer._construct_options(request)
    root = pulumi_settings.ROOT.set(None)
    try:
        result = provider.construct(request.name, request.type, given, options)
    finally:
        pulumi_settings.ROOT.reset(root)
    response = await ProviderServicer(provider, [], "")._construct_response(result)
    outputs = rpc.deserialize_properties(response.state, keep_unknowns=True)
    return Constructed(
        response.urn,
        {key: await _read(value) for key, value in outputs.items()},
        {key: list(deps.urns) for key, deps in response.stateDependencies.items()},
    )


async def _request(type_: str, name: str, inputs: Mapping[str, Any]) -> proto.ConstructRequest:
    """The ConstructRequest the engine sends for these inputs (output values kept, as an SDK
    whose engine supports them sends them)."""
    features = pulumi_settings.SETTINGS.monitor_features
    feature = resource_pb2.RESOURCE_MONITOR_FEATURE_OUTPUT_VALUES
    pulumi_settings.SETTINGS.monitor_features = {*features, feature}
    try:
        dependencies: dict[str, list[pulumi.Resource]] = {}
        wire = await rpc.serialize_properties(dict(inputs), dependencies, keep_output_values=True)
    finally:
        pulumi_settings.SETTINGS.monitor_features = features
    root = pulumi_settings.get_root_resource()
    request = proto.ConstructRequest(
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        type=type_,
        name=name,
        inputs=wire,
        dryRun=pulumi.runtime.is_dry_run(),
        parent=(await root.urn.future() or "") if root is not None else "",
    )
    for key, resources in dependencies.items():
        urns = [await r.urn.future() for r in resources]
        request.inputDependencies[key].urns.extend(u for u in urns if u)
    return request


async def _read(value: Any) -> Any:
    """An output as the calling program reads it: a resource reference by its URN."""
    if isinstance(value, pulumi.Resource):
        return {"urn": await value.urn.future()}
    return value
