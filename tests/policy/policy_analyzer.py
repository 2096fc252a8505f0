"""The engine's side of a policy pack, offline: resources from our mock harness marshaled as the
engine sends them to an analyzer (unknowns as sentinel strings, secrets marked), then handed to
pulumi-policy's own analyzer service (Analyze / AnalyzeStack / Configure), which deserializes
them, wraps them in its unknown-checking proxy, runs each policy at its enforcement level and
answers with diagnostics, as `pulumi preview --policy-pack` would see them.

As the engine does (pulumi/pkg/resource/deploy/step_generator.go): Analyze gets one resource's
inputs, AnalyzeStack every resource's outputs once the deployment is done (on a preview, what
the preview computed); each resource is named by its URN. Configure gets every policy, with its
schema's defaults and the level given, else its own (pulumi/pkg/resource/analyzer/config.go,
ReconcilePolicyPackConfig). The pack's version is pulumi-policy's "0.0.1" (policy.py): the CLI
shows PulumiPolicy.yaml's instead.

(pulumi/sdk/go/common/resource/plugin/analyzer_plugin.go marshals with KeepUnknowns and
KeepSecrets; pulumi_policy/policy.py's _PolicyAnalyzerServicer is what serves them.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from graviton_llm.policy import PACK_NAME, policies

_LEVELS = {proto.ADVISORY: "advisory", proto.MANDATORY: "mandatory"}
_WIRE_LEVELS = {
    "advisory": proto.ADVISORY,
    "mandatory": proto.MANDATORY,
    "disabled": proto.DISABLED,
}


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    urn: str
    message: str


def wire(value: Any) -> Any:
    """A harness value as the engine marshals it for an analyzer."""
    if isinstance(value, Unknown):
        return UNKNOWN_STRING_VALUE
    if isinstance(value, Mapping):
        return {key: wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [wire(item) for item in value]
    return value


def _struct(inputs: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(wire(inputs))
    return struct


def _urn(r: Any) -> str:
    """The resource's URN: the harness's, or one built for a hand-written resource."""
    if getattr(r, "urn", None):
        return str(r.urn)
    parent = f"{r.parent}$" if getattr(r, "parent", "") else ""
    return f"urn:pulumi:test::project::{parent}{r.type}::{r.name}"


def service(
    config: Mapping[str, Mapping[str, Any]] | None = None, only: Sequence[Any] | None = None
) -> _PolicyAnalyzerServicer:
    """pulumi-policy's analyzer service over the pack's policies, configured as the engine
    configures it: every policy with its schema's defaults, the settings given over them, and
    its level (the one given, else its own, which the CLI reads from GetAnalyzerInfo); settings
    for a name the pack has no policy for are passed on as they are."""
    pack = list(policies(only))
    servicer = _PolicyAnalyzerServicer(PACK_NAME, "0.0.1", pack, EnforcementLevel.ADVISORY)
    given = {name: dict(settings) for name, settings in (config or {}).items()}
    request = proto.ConfigureAnalyzerRequest()
    for policy in pack:
        settings = given.pop(policy.name, {})
        level = settings.pop("enforcementLevel", None) or policy.enforcement_level.value
        schema = policy.config_schema.properties if policy.config_schema else {}
        defaults = {key: spec["default"] for key, spec in schema.items() if "default" in spec}
        request.policyConfig[policy.name].enforcementLevel = _WIRE_LEVELS[level]
        request.policyConfig[policy.name].properties.update({**defaults, **settings})
    for name, settings in given.items():
        level = settings.pop("enforcementLevel", "advisory")
        request.policyConfig[name].enforcementLevel = _WIRE_LEVELS[level]
        request.policyConfig[name].properties.update(settings)
    servicer.Configure(request, None)
    return servicer


def _diagnostics(response: Any) -> list[Diagnostic]:
    return [
        Diagnostic(d.policyName, _LEVELS.get(d.enforcementLevel, str(d.enforcementLevel)), d.urn,
                   d.message)
        for d in response.diagnostics
    ]  # fmt: skip


def analyze(
    resources: Iterable[Any], config: Mapping[str, Mapping[str, Any]] | None = None, **kwargs: Any
) -> list[Diagnostic]:
    """Every resource policy on each resource (``type``, ``name``, ``inputs``), as the engine
    calls Analyze once per resource; each diagnostic carries the resource's URN."""
    servicer = service(config, **kwargs)
    found = []
    for r in resources:
        request = proto.AnalyzeRequest(
            urn=_urn(r), type=r.type, name=r.name, properties=_struct(r.inputs)
        )
        for diagnostic in _diagnostics(servicer.Analyze(request, None)):
            found.append(Diagnostic(diagnostic.policy, diagnostic.level, request.urn,
                                    diagnostic.message))  # fmt: skip
    return found


def analyze_stack(
    resources: Iterable[Any], config: Mapping[str, Mapping[str, Any]] | None = None, **kwargs: Any
) -> list[Diagnostic]:
    """Every stack policy over all the resources (``outputs``), as the engine calls
    AnalyzeStack once the deployment (or the preview) is done."""
    request = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                urn=_urn(r), type=r.type, name=r.name, properties=_struct(r.outputs)
            )
            for r in resources
        ]
    )
    return _diagnostics(service(config, **kwargs).AnalyzeStack(request, None))


@dataclass(frozen=True)
class Declared:
    """A hand-written resource, as a stack that does not use our component declares it (under
    ``parent``'s type chain, if any). Its outputs are its inputs: the provider echoes them, and
    these declare nothing it computes."""

    type: str
    name: str
    inputs: dict[str, Any]
    parent: str = ""

    @property
    def outputs(self) -> dict[str, Any]:
        return self.inputs
