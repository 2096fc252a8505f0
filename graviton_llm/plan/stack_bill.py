"""A plan's resources and clusters as the whole-stack cost reads them (pricing/stack_cost.py): each
resource's inputs as the engine would send them (secrets masked), the cluster it belongs to, and
what each cluster bills beyond its inputs (nodes against reserved instances, the weights its nodes
download, the metrics and log events its CloudWatch agent sends)."""

from __future__ import annotations

from typing import Any

from ..documents.cloudwatch_agent import (
    SCRAPE_INTERVAL_SECONDS,
    emf_bytes_per_scrape,
    published_series,
)
from ..facts.resource_types import NEURON_SERVING_CLUSTER
from ..facts.units import HOURS_PER_MONTH
from ..pricing.stack_cost import StackCost, stack_cost
from ..pricing.stack_items import UNKNOWN_INPUT, ClusterBill, PlannedResource
from ..testing import ProgramResult, RegisteredResource
from .resource_rows import document_value

SCRAPES_PER_MONTH = HOURS_PER_MONTH * 3600 / SCRAPE_INTERVAL_SECONDS


def cluster_bill(cluster: Any) -> ClusterBill:
    args = cluster.args
    capacity = args.capacity
    neuron = args.spec.accelerator == "neuron"
    monitored = args.monitoring.enabled  # the node runs the agent only then
    group = f"{cluster._name}-asg-0000000"  # an Auto Scaling group name of the usual length
    return ClusterBill(
        name=cluster._name,
        instance_type=args.instance_type,
        nodes=args.desired_capacity,
        reserved=capacity.instance_count if capacity is not None else 0,
        capacity_block=capacity.capacity_block_id if capacity is not None else None,
        weights_gib=args.model.weights_gib,
        custom_metrics=len(published_series(neuron)) if monitored else 0,
        log_group=cluster.metrics_log_group if monitored else None,
        log_gb_per_node_month=emf_bytes_per_scrape(neuron, group) * SCRAPES_PER_MONTH / 1e9,
    )


def planned_resources(result: ProgramResult) -> list[PlannedResource]:
    """Every resource of ``result``, inputs as the plan shows them but an unknown value as
    UNKNOWN_INPUT (a rule that needs it lists the resource unpriced), each with the cluster it
    belongs to (its nearest NeuronServingCluster ancestor)."""
    by_urn = {r.urn: r for r in result.resources}

    def owner(resource: RegisteredResource) -> str | None:
        seen = set()
        parent = resource.parent_urn
        while parent in by_urn and parent not in seen:
            seen.add(parent)
            if by_urn[parent].type == NEURON_SERVING_CLUSTER:
                return by_urn[parent].name
            parent = by_urn[parent].parent_urn
        return None

    return [
        PlannedResource(
            type=r.type,
            name=r.name,
            inputs={
                k: document_value(v, UNKNOWN_INPUT)
                for k, v in r.inputs.items()
                if k != "__provider"
            },
            custom=r.custom,
            cluster=owner(r),
        )
        for r in result.resources
    ]


def whole_stack_cost(result: ProgramResult, clusters: list[Any], region: str) -> StackCost:
    return stack_cost(planned_resources(result), [cluster_bill(c) for c in clusters], region)
