"""ReservedCapacity as the component package serves it (graviton-llm:index:ReservedCapacity):
the generated args, typed outputs, our ReservedCapacity built unchanged as its child. (No
postponed annotations: the host reads the evaluated ones.)"""

from typing import cast

import pulumi

from ..args import ReservedCapacityArgs as ReservedCapacityModel
from ..args import ReservedCapacityArgsDict
from ..components.parts.inputs import validated
from ..components.reserved_capacity import ReservedCapacity as Capacity
from .inputs import model_input
from .types import ReservedCapacityArgs


class ReservedCapacity(pulumi.ComponentResource):
    """Targeted On-Demand Capacity Reservations, one per zone, or a Capacity Block to target:
    capacity held for a cluster's nodes (a NeuronServingCluster's `capacity` declares its own)."""

    reservation_ids: pulumi.Output[list[str]]
    """The capacity reservations' ids (empty for a Capacity Block, which AWS creates)."""

    def __init__(
        self, name: str, args: ReservedCapacityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        given = cast(ReservedCapacityArgsDict, model_input(ReservedCapacityModel, args))
        validated(
            ReservedCapacityModel, name, given, "ReservedCapacity"
        )  # refused before registering
        super().__init__("graviton-llm:index:ReservedCapacity", name, {}, opts)
        capacity = Capacity(name, given, pulumi.ResourceOptions(parent=self))
        self.reservation_ids = capacity.reservation_ids
        self.register_outputs({"reservationIds": self.reservation_ids})
