"""Arguments of the Auto Scaling group, built from the cluster's args: pure builders of
pulumi_aws input types (they register nothing), so the component reads as a table of contents."""

from __future__ import annotations

import math
from typing import Any, Protocol

import pulumi
import pulumi_aws as aws

from ...args import ResolvedClusterArgs
from ...documents.alarms import ROLLOUT_ALARMS, alarm_name
from ...documents.instance_refresh import refresh_preferences, start_instance_refresh_request
from ...facts import timing


class Capacity(Protocol):
    """What the group's settings read of a ReservedCapacity (components/reserved_capacity.py)."""

    reservation_ids: pulumi.Output[list[str]]
    capacity_block_id: str | None
    market_type: str | None


def refresh_healthy_percentages(nodes: int) -> tuple[int, int]:
    """(min, max) healthy percentage that replaces exactly one node at a time.

    With several nodes: terminate one, then launch its replacement (min = (n-1)/n). With a single
    node that would mean an outage, so launch the replacement first (min 100, max 200).
    AWS bounds: min 0-100, max 100-200, max - min <= 100.
    """
    if nodes <= 1:
        return 100, 200
    return math.floor(100 * (nodes - 1) / nodes), 100


def market_options(
    capacity: Capacity | None,
) -> aws.ec2.LaunchTemplateInstanceMarketOptionsArgs | None:
    if capacity is None or capacity.market_type is None:
        return None
    return aws.ec2.LaunchTemplateInstanceMarketOptionsArgs(market_type=capacity.market_type)


def capacity_target(
    capacity: Capacity | None, args: ResolvedClusterArgs
) -> aws.autoscaling.GroupCapacityReservationSpecificationArgs | None:
    if capacity is None:
        return None
    # A Capacity Block is the only capacity a capacity-block launch template can use.
    only = args.capacity_mode == "reserved" or bool(capacity.capacity_block_id)
    preference = "capacity-reservations-only" if only else "capacity-reservations-first"
    return aws.autoscaling.GroupCapacityReservationSpecificationArgs(
        capacity_reservation_preference=preference,
        capacity_reservation_target=aws.autoscaling.GroupCapacityReservationSpecificationCapacityReservationTargetArgs(
            capacity_reservation_ids=capacity.reservation_ids
        ),
    )


def spot_instance_types(args: ResolvedClusterArgs) -> list[str]:
    return [args.instance_type, *(t for t in args.spot.instance_types if t != args.instance_type)]


def spot_policy(
    args: ResolvedClusterArgs, template_id: pulumi.Output[str], version: pulumi.Output[str]
) -> aws.autoscaling.GroupMixedInstancesPolicyArgs:
    types = spot_instance_types(args)
    return aws.autoscaling.GroupMixedInstancesPolicyArgs(
        launch_template=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateArgs(
            launch_template_specification=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecificationArgs(
                launch_template_id=template_id, version=version
            ),
            overrides=[
                aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateOverrideArgs(instance_type=t)
                for t in types
            ],
        ),
        instances_distribution=aws.autoscaling.GroupMixedInstancesPolicyInstancesDistributionArgs(
            on_demand_base_capacity=args.spot.on_demand_base_capacity,
            on_demand_percentage_above_base_capacity=0,
            spot_allocation_strategy="capacity-optimized",
        ),
    )


def refresh_request(
    args: ResolvedClusterArgs,
    alarm_prefix: str,
    *,
    group_name: str,
    launch_template_id: str,
    version: str,
) -> dict[str, Any]:
    """The StartInstanceRefresh request that moves the group to ``version``: one node at a time,
    rolling back on failure or when the 5xx-rate or unhealthy-host alarm fires, and staying open
    (BakeTime) long enough after the last node for those alarms to fire on it."""
    rollout = args.rollout
    min_healthy, max_healthy = refresh_healthy_percentages(args.node_count)
    alarms = []
    if args.monitoring.enabled:
        alarms = [alarm_name(alarm_prefix, key) for key in ROLLOUT_ALARMS]
    warmup = (
        timing.IN_SERVICE_SETTLE_SECONDS
        if rollout.instance_warmup_seconds is None
        else rollout.instance_warmup_seconds
    )
    spot = None
    if args.capacity_mode == "spot_with_on_demand_base":
        spot = {
            "instance_types": spot_instance_types(args),
            "on_demand_base_capacity": args.spot.on_demand_base_capacity,
        }
    return start_instance_refresh_request(
        group_name=group_name,
        launch_template_id=launch_template_id,
        version=version,
        preferences=refresh_preferences(
            min_healthy_percent=min_healthy,
            max_healthy_percent=max_healthy,
            warmup_seconds=warmup,
            auto_rollback=rollout.auto_rollback,
            alarms=alarms,
            # With or without AutoRollback: an alarm fails the refresh either way
            # (RefreshPreferences.AlarmSpecification), as long as the refresh is still open.
            bake_time_seconds=timing.bake_time_seconds(
                rollout.alarm_evaluation_minutes, alarms=bool(alarms)
            ),
        ),
        spot=spot,
    )


def version_ignored(args: ResolvedClusterArgs) -> list[str]:
    """With rollouts, the group keeps the version it runs until a refresh succeeds (AWS then
    writes the new one): Pulumi must not write it first. Engine (camelCase) property paths."""
    if not args.rollout.enabled:
        return []
    if args.capacity_mode == "spot_with_on_demand_base":
        return ["mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.version"]
    return ["launchTemplate.version"]


def warm_pool(args: ResolvedClusterArgs) -> aws.autoscaling.GroupWarmPoolArgs | None:
    pool = args.warm_pool
    if pool is None:
        return None
    return aws.autoscaling.GroupWarmPoolArgs(
        pool_state=pool.pool_state,
        min_size=pool.min_size,
        max_group_prepared_capacity=pool.max_group_prepared_capacity,
        instance_reuse_policy=aws.autoscaling.GroupWarmPoolInstanceReusePolicyArgs(
            reuse_on_scale_in=pool.reuse_on_scale_in
        ),
    )
