"""graviton-llm: typed Pulumi components for vLLM serving clusters on AWS Neuron and Graviton4.

The public surface: the components, their args models and each model's dict form (a TypedDict),
the refusal a bad field raises (``ArgsError``, a ``pulumi.InputPropertiesError``) and the boot
script renderer. tests/test_exported_members.py pins this list.
"""

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
