"""ReservedCapacity: On-Demand Capacity Reservations for the nodes, and what they cost.

Only ODCRs are created: they are cancellable (delete the resource, billing stops). Reserved
Instances, Savings Plans and Capacity Blocks are non-cancellable commitments and are never
bought by this component.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..args import ReservedCapacityArgs, ReservedCapacityArgsDict
from ..args.base import with_fields_help
from ..args.components import standalone_capacity_problems
from ..args.refusals import ArgsError, from_problems
from ..pricing.cost import ReservationCost, reservation_cost
from .parts.inputs import validated
from .parts.tagging import merged_tags


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
        args: ReservedCapacityArgs | ReservedCapacityArgsDict,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare one targeted On-Demand Capacity Reservation per zone, or target a Capacity
        Block.

        :param name: The component's name; its children are named ``<name>-...``.
        :param args: A ``ReservedCapacityArgs``, or its dict form (``ReservedCapacityArgsDict``).
        :param opts: Pulumi resource options (parent, providers, ...).
        :raises ArgsError: every bad field with its fix, before any resource is registered.
        """
        args = validated(ReservedCapacityArgs, name, args, "ReservedCapacity")
        refused = standalone_capacity_problems(args)
        if refused:
            raise ArgsError(from_problems(name, refused, "ReservedCapacity"))
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
        ids: list[pulumi.Input[str]] = [r.id for r in self.reservations]
        if not ids and args.capacity_block_id is not None:
            ids = [args.capacity_block_id]
        self.reservation_ids = pulumi.Output.all(*ids)
        # A block was paid for at purchase; only ODCRs bill by the hour from here on.
        self.cost = reservation_cost(args.instance_type or "", args.instance_count)
        self.register_outputs(
            {"reservation_ids": self.reservation_ids, "usd_per_hour": self.cost.usd_per_hour}
        )


with_fields_help(ReservedCapacity.__init__, ReservedCapacityArgs)
