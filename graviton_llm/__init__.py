"""graviton-llm: typed Pulumi components for vLLM serving clusters on AWS Neuron and Graviton4."""

from .args import (
    ArtifactCacheAccessArgs,
    ArtifactCacheArgs,
    ModelSpec,
    NeuronServingClusterArgs,
    ReservedCapacityArgs,
    ServingSecurityArgs,
    StateBackendArgs,
    WeightsBucketAccessArgs,
)
from .components.artifact_cache_access import ArtifactCacheAccess
from .components.neuron_serving_cluster import NeuronServingCluster
from .components.reserved_capacity import ReservedCapacity
from .components.serving_security import ServingSecurity
from .components.state_backend import StateBackend
from .components.weights_bucket_access import WeightsBucketAccess
from .node.user_data import render_user_data

__all__ = [
    "ArtifactCacheAccess",
    "ArtifactCacheAccessArgs",
    "ArtifactCacheArgs",
    "ModelSpec",
    "NeuronServingCluster",
    "NeuronServingClusterArgs",
    "ReservedCapacity",
    "ReservedCapacityArgs",
    "ServingSecurity",
    "ServingSecurityArgs",
    "StateBackend",
    "StateBackendArgs",
    "WeightsBucketAccess",
    "WeightsBucketAccessArgs",
    "render_user_data",
]
