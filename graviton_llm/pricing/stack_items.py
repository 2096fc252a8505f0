"""What the whole-stack cost reads and writes (pricing/stack_cost.py): a plan's resources and its
clusters' facts in; priced lines, usage-based lines and unpriced entries out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..facts.prices import RegionalPrice
from ..facts.service_prices import ServicePrice

GB_PER_GIB = 1.073741824  # AWS bills data per GB (10^9 bytes); weights are sized in GiB


class _UnknownInput:
    """An input only the deployment knows (an unknown on a preview), as the rules receive it."""

    def __repr__(self) -> str:
        return "UNKNOWN_INPUT"


UNKNOWN_INPUT = _UnknownInput()


class UnknownQuantity(Exception):
    """A rule needed an input that is UNKNOWN_INPUT: the resource is listed as unpriced, with
    the input named, never priced from a guess."""


@dataclass(frozen=True)
class PlannedResource:
    type: str
    name: str
    inputs: Mapping[str, Any]
    custom: bool = True  # False: a component resource, which bills nothing itself
    cluster: str | None = None  # the NeuronServingCluster it belongs to


@dataclass(frozen=True)
class ClusterBill:
    """What a cluster bills beyond its resources' inputs."""

    name: str
    instance_type: str
    nodes: int
    reserved: int = 0
    capacity_block: str | None = None
    weights_gib: float = 0.0
    custom_metrics: int = 0  # CloudWatch metrics its agent publishes (per cluster, not per node)
    log_group: str | None = None  # where its agent writes the metrics as log events
    log_gb_per_node_month: float = 0.0


@dataclass(frozen=True)
class Line:
    resource: str
    type: str
    item: str
    quantity: float
    unit: str
    usd_per_unit: float
    source: str
    source_date: str
    basis: str | None = None  # how the quantity was estimated, when it is not in the inputs

    @property
    def usd_per_month(self) -> float:
        return self.quantity * self.usd_per_unit


@dataclass(frozen=True)
class UsageLine:
    resource: str
    type: str
    item: str
    unit: str
    usd_per_unit: float | None
    source: str | None
    source_date: str | None


@dataclass(frozen=True)
class Unpriced:
    resource: str
    type: str
    reason: str


@dataclass(frozen=True)
class Context:
    """What a rule may look at beyond its resource."""

    region: str
    resources: list[PlannedResource]
    clusters: dict[str, ClusterBill]
    instance_price: Callable[[str], RegionalPrice | None]
    service_price: Callable[[str], ServicePrice | None]

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]
