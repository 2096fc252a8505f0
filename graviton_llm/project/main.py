"""The stack program: one cluster from `graviton-llm:cluster` in the stack's config.

`pulumi up -s dev` (with credentials) or `graviton-llm plan --stack dev` (offline, mocked).
"""

from __future__ import annotations

import hashlib
import re

import pulumi

from ..args.identifiers import CLUSTER_NAME_MAX
from ..components.neuron_serving_cluster import NeuronServingCluster

PROJECT = "graviton-llm"


def default_cluster_name(stack: str) -> str:
    """ "llm-<stack>", made to fit a cluster name (args/identifiers.py): characters a load
    balancer name takes, and at most 20 of them, a long stack shortened with a digest so two
    stacks never share a name."""
    name = "llm-" + re.sub(r"[^A-Za-z0-9]+", "-", stack).strip("-")
    if len(name) <= CLUSTER_NAME_MAX:
        return name
    digest = hashlib.sha256(stack.encode()).hexdigest()[:4]
    return f"{name[: CLUSTER_NAME_MAX - 5].rstrip('-')}-{digest}"


def main() -> NeuronServingCluster:
    config = pulumi.Config(PROJECT)
    name = config.get("name") or default_cluster_name(pulumi.get_stack())
    cluster = NeuronServingCluster(name, config.require_object("cluster"))
    pulumi.export("endpoint", cluster.endpoint)
    pulumi.export("auto_scaling_group", cluster.auto_scaling_group.name)
    pulumi.export("role_arn", cluster.role.arn)
    # What `graviton-llm compile` launches its one-off pre-warm instance from.
    pulumi.export("launch_template_id", cluster.launch_template.id)
    return cluster
