"""graviton-llm: typed Pulumi components for vLLM serving clusters on AWS Neuron and Graviton4.

The public surface: the components, their args models and each model's dict form (a TypedDict),
the refusal a bad field raises (``ArgsError``, a ``pulumi.InputPropertiesError``) and the boot
script renderer. tests/test_exported_members.py pins this list.

Names are imported on first use (PEP 562), so `graviton-llm --help` and the commands that never
build a resource do not pay for Pulumi and pydantic; a type checker and an IDE read the imports
below as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_attributes

if TYPE_CHECKING:
    from .args import (
        ArgsError,
        ArtifactCacheAccessArgs,
        ArtifactCacheAccessArgsDict,
        ArtifactCacheArgs,
        ArtifactCacheArgsDict,
        FieldProblem,
        ModelSpec,
        ModelSpecDict,
        MonitoringArgs,
        MonitoringArgsDict,
        NeuronServingClusterArgs,
        NeuronServingClusterArgsDict,
        ReservedCapacityArgs,
        ReservedCapacityArgsDict,
        ResolvedClusterArgs,
        RolloutArgs,
        RolloutArgsDict,
        ScalingArgs,
        ScalingArgsDict,
        ServingMonitoringArgs,
        ServingSecurityArgs,
        ServingSecurityArgsDict,
        SpotArgs,
        SpotArgsDict,
        StateBackendArgs,
        StateBackendArgsDict,
        WarmPoolArgs,
        WarmPoolArgsDict,
        WeightsBucketAccessArgs,
        WeightsBucketAccessArgsDict,
    )
    from .components.artifact_cache_access import ArtifactCacheAccess
    from .components.neuron_serving_cluster import NeuronServingCluster
    from .components.reserved_capacity import ReservedCapacity
    from .components.serving_monitoring import ServingMonitoring
    from .components.serving_security import ServingSecurity
    from .components.state_backend import StateBackend
    from .components.weights_bucket_access import WeightsBucketAccess
    from .node.user_data import render_user_data

_WHERE: dict[str, str] = {
    "ArgsError": ".args",
    "ArtifactCacheAccess": ".components.artifact_cache_access",
    "ArtifactCacheAccessArgs": ".args",
    "ArtifactCacheAccessArgsDict": ".args",
    "ArtifactCacheArgs": ".args",
    "ArtifactCacheArgsDict": ".args",
    "FieldProblem": ".args",
    "ModelSpec": ".args",
    "ModelSpecDict": ".args",
    "MonitoringArgs": ".args",
    "MonitoringArgsDict": ".args",
    "NeuronServingCluster": ".components.neuron_serving_cluster",
    "NeuronServingClusterArgs": ".args",
    "NeuronServingClusterArgsDict": ".args",
    "ReservedCapacity": ".components.reserved_capacity",
    "ReservedCapacityArgs": ".args",
    "ReservedCapacityArgsDict": ".args",
    "ResolvedClusterArgs": ".args",
    "RolloutArgs": ".args",
    "RolloutArgsDict": ".args",
    "ScalingArgs": ".args",
    "ScalingArgsDict": ".args",
    "ServingMonitoring": ".components.serving_monitoring",
    "ServingMonitoringArgs": ".args",
    "ServingSecurity": ".components.serving_security",
    "ServingSecurityArgs": ".args",
    "ServingSecurityArgsDict": ".args",
    "SpotArgs": ".args",
    "SpotArgsDict": ".args",
    "StateBackend": ".components.state_backend",
    "StateBackendArgs": ".args",
    "StateBackendArgsDict": ".args",
    "WarmPoolArgs": ".args",
    "WarmPoolArgsDict": ".args",
    "WeightsBucketAccess": ".components.weights_bucket_access",
    "WeightsBucketAccessArgs": ".args",
    "WeightsBucketAccessArgsDict": ".args",
    "render_user_data": ".node.user_data",
}


__getattr__ = lazy_attributes(__name__, _WHERE, globals())


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "ArgsError",
    "ArtifactCacheAccess",
    "ArtifactCacheAccessArgs",
    "ArtifactCacheAccessArgsDict",
    "ArtifactCacheArgs",
    "ArtifactCacheArgsDict",
    "FieldProblem",
    "ModelSpec",
    "ModelSpecDict",
    "MonitoringArgs",
    "MonitoringArgsDict",
    "NeuronServingCluster",
    "NeuronServingClusterArgs",
    "NeuronServingClusterArgsDict",
    "ReservedCapacity",
    "ReservedCapacityArgs",
    "ReservedCapacityArgsDict",
    "ResolvedClusterArgs",
    "RolloutArgs",
    "RolloutArgsDict",
    "ScalingArgs",
    "ScalingArgsDict",
    "ServingMonitoring",
    "ServingMonitoringArgs",
    "ServingSecurity",
    "ServingSecurityArgs",
    "ServingSecurityArgsDict",
    "SpotArgs",
    "SpotArgsDict",
    "StateBackend",
    "StateBackendArgs",
    "StateBackendArgsDict",
    "WarmPoolArgs",
    "WarmPoolArgsDict",
    "WeightsBucketAccess",
    "WeightsBucketAccessArgs",
    "WeightsBucketAccessArgsDict",
    "render_user_data",
]
