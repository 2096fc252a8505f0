"""graviton-llm: typed Pulumi components for vLLM serving clusters on AWS Neuron and Graviton4."""

from .config import (
    ModelSpec,
    NeuronServingClusterArgs,
    ReservedCapacityArgs,
    ServingSecurityArgs,
    WeightsBucketAccessArgs,
)
from .neuron_serving_cluster import NeuronServingCluster
from .reserved_capacity import ReservedCapacity
from .serving_security import ServingSecurity
from .userdata import render_user_data
from .weights_bucket_access import WeightsBucketAccess

__all__ = [
    "ModelSpec",
    "NeuronServingCluster",
    "NeuronServingClusterArgs",
    "ReservedCapacity",
    "ReservedCapacityArgs",
    "ServingSecurity",
    "ServingSecurityArgs",
    "WeightsBucketAccess",
    "WeightsBucketAccessArgs",
    "render_user_data",
]
