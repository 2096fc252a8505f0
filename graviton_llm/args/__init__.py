"""What a user may set, and every rule that refuses it (one pass, all problems at once).

Each args model has its dict form beside it (``...ArgsDict``, a TypedDict generated from the
model by scripts/generate_args_dicts.py), for programs that pass plain dicts or keywords.
"""

from .cluster import NeuronServingClusterArgs, ResolvedClusterArgs
from .cluster_dicts import NeuronServingClusterArgsDict
from .components import (
    ArtifactCacheAccessArgs,
    ReservedCapacityArgs,
    ServingMonitoringArgs,
    ServingSecurityArgs,
    WeightsBucketAccessArgs,
)
from .components_dicts import (
    ArtifactCacheAccessArgsDict,
    ReservedCapacityArgsDict,
    ServingSecurityArgsDict,
    WeightsBucketAccessArgsDict,
)
from .deferred import DeferredCheck
from .model import ModelSpec
from .model_dicts import ModelSpecDict
from .operations import (
    ArtifactCacheArgs,
    MonitoringArgs,
    RolloutArgs,
    ScalingArgs,
    SpotArgs,
    WarmPoolArgs,
)
from .operations_dicts import (
    ArtifactCacheArgsDict,
    MonitoringArgsDict,
    RolloutArgsDict,
    ScalingArgsDict,
    SpotArgsDict,
    WarmPoolArgsDict,
)
from .refusals import ArgsError, FieldProblem
from .state_backend import StateBackendArgs
from .state_backend_dicts import StateBackendArgsDict

__all__ = [
    "ArgsError",
    "ArtifactCacheAccessArgs",
    "ArtifactCacheAccessArgsDict",
    "ArtifactCacheArgs",
    "ArtifactCacheArgsDict",
    "DeferredCheck",
    "FieldProblem",
    "ModelSpec",
    "ModelSpecDict",
    "MonitoringArgs",
    "MonitoringArgsDict",
    "NeuronServingClusterArgs",
    "NeuronServingClusterArgsDict",
    "ReservedCapacityArgs",
    "ReservedCapacityArgsDict",
    "ResolvedClusterArgs",
    "RolloutArgs",
    "RolloutArgsDict",
    "ScalingArgs",
    "ScalingArgsDict",
    "ServingMonitoringArgs",
    "ServingSecurityArgs",
    "ServingSecurityArgsDict",
    "SpotArgs",
    "SpotArgsDict",
    "StateBackendArgs",
    "StateBackendArgsDict",
    "WarmPoolArgs",
    "WarmPoolArgsDict",
    "WeightsBucketAccessArgs",
    "WeightsBucketAccessArgsDict",
]
