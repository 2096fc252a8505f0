"""The stack program: one cluster from `graviton-llm:cluster` in the stack's config.

`pulumi up -s dev` (with credentials) or `graviton-llm plan --stack dev` (offline, mocked).
"""

from __future__ import annotations

import pulumi

from ..components.neuron_serving_cluster import NeuronServingCluster

PROJECT = "graviton-llm"


def main() -> NeuronServingCluster:
    config = pulumi.Config(PROJECT)
    name = config.get("name") or f"llm-{pulumi.get_stack()}"
    cluster = NeuronServingCluster(name, config.require_object("cluster"))
    pulumi.export("endpoint", cluster.endpoint)
    pulumi.export("auto_scaling_group", cluster.auto_scaling_group.name)
    pulumi.export("role_arn", cluster.role.arn)
    return cluster
