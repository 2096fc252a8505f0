"""What a user may set, and every rule that refuses it (one pass, all problems at once)."""

from .cluster import NeuronServingClusterArgs
from .components import (
    ArtifactCacheAccessArgs,
    ReservedCapacityArgs,
    ServingMonitoringArgs,
    ServingSecurityArgs,
    WeightsBucketAccessArgs,
)
from .model import ModelSpec
from .operations import (
    ArtifactCacheArgs,
    MonitoringArgs,
    RolloutArgs,
    ScalingArgs,
    SpotArgs,
    WarmPoolArgs,
)
from .state_backend import StateBackendArgs

__all__ = [
    "ArtifactCacheAccessArgs",
    "ArtifactCacheArgs",
    "ModelSpec",
    "MonitoringArgs",
    "NeuronServingClusterArgs",
    "ReservedCapacityArgs",
    "RolloutArgs",
    "ScalingArgs",
    "ServingMonitoringArgs",
    "ServingSecurityArgs",
    "SpotArgs",
    "StateBackendArgs",
    "WarmPoolArgs",
    "WeightsBucketAccessArgs",
]
