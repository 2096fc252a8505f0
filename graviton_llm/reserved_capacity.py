"""ReservedCapacity: On-Demand Capacity Reservations for the nodes, and what they cost.

Only ODCRs are created: they are cancellable (delete the resource, billing stops). Reserved
Instances, Savings Plans and Capacity Blocks are non-cancellable commitments and are never
bought by this component.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .catalog import PRICE_SNAPSHOT_DATE, PRICE_SNAPSHOT_REGION, on_demand_price
from .config import ReservedCapacityArgs
from .cost import HOURS_PER_MONTH
from .tagging import merged_tags

__all__ = ["HOURS_PER_MONTH", "ReservationCost", "ReservedCapacity", "reservation_cost"]


@dataclass(frozen=True)
class ReservationCost:
    instance_type: str
    instance_count: int
    usd_per_hour: float | None
    price_snapshot: str

    @property
    def usd_per_month(self) -> float | None:
        return None if self.usd_per_hour is None else self.usd_per_hour * HOURS_PER_MONTH


def reservation_cost(instance_type: str, instance_count: int) -> ReservationCost:
    """An ODCR bills the on-demand rate for every reserved instance, used or not."""
    price = on_demand_price(instance_type)
    return ReservationCost(
        instance_type=instance_type,
        instance_count=instance_count,
        usd_per_hour=None if price is None else round(price * instance_count, 5),
        price_snapshot=f"{PRICE_SNAPSHOT_REGION} on-demand, {PRICE_SNAPSHOT_DATE}",
    )


class ReservedCapacity(pulumi.ComponentResource):
    """One targeted ODCR per availability zone; ``reservation_ids`` feeds an ASG's
    ``capacity_reservation_specification``. ``targeted`` matching keeps other launches in the
    account from consuming the reservation.

    With ``capacity_block_id`` it creates nothing: ``reservation_ids`` is the block's id and
    ``market_type`` is "capacity-block", which a launch template must carry to launch into a
    Capacity Block (EC2 Auto Scaling guide, "Target Capacity Reservations from your Auto Scaling
    group"). Buying a block is left to the user: it cannot be cancelled.
    """

    reservations: list[aws.ec2.CapacityReservation]
    reservation_ids: pulumi.Output[list[str]]
    capacity_block_id: str | None
    market_type: str | None  # launch template market type the reservation needs
    cost: ReservationCost

    def __init__(
        self,
        name: str,
        args: ReservedCapacityArgs | dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = ReservedCapacityArgs.model_validate(args)
        if args.instance_type is None and args.capacity_block_id is None:
            raise ValueError(
                "ReservedCapacityArgs.instance_type is required outside a cluster, "
                "e.g. 'inf2.48xlarge'"
            )
        super().__init__("graviton-llm:capacity:ReservedCapacity", name, None, opts)
        tags = merged_tags(name, args.tags)
        self.reservations = [
            aws.ec2.CapacityReservation(
                f"{name}-{zone}",
                instance_type=args.instance_type,
                instance_platform="Linux/UNIX",
                availability_zone=zone,
                instance_count=args.instances_per_zone,
                instance_match_criteria="targeted",
                end_date_type="limited" if args.end_date else "unlimited",
                end_date=args.end_date,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for zone in args.availability_zones
        ]
        self.capacity_block_id = args.capacity_block_id
        self.market_type = "capacity-block" if args.capacity_block_id else None
        ids = [r.id for r in self.reservations] or [args.capacity_block_id]
        self.reservation_ids = pulumi.Output.all(*ids)
        # A block was paid for at purchase; only ODCRs bill by the hour from here on.
        self.cost = reservation_cost(args.instance_type or "", args.instance_count)
        self.register_outputs(
            {"reservation_ids": self.reservation_ids, "usd_per_hour": self.cost.usd_per_hour}
        )
