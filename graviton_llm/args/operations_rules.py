"""Combinations of operations options that AWS refuses or that could not work, judged over the
whole cluster args (rollout, warm pool, capacity mode, Spot, scaling, monitoring): one check per
rule, declared in ``OPERATIONS_RULES`` (run by ``rule_table.judge`` after the cluster rules)."""

from __future__ import annotations

import math

from ..facts import catalog, images, timing
from ..facts.catalog import InstanceSpec
from ..facts.cold_start import predict_cold_start
from .fields import parse_s3_uri, s3_prefixes_overlap, s3_uri_problems
from .identifiers import kms_key_arn_problems
from .operations import DEFAULT_CACHE_FOLDER, WAIT_TIMEOUT_MAX_MINUTES, artifact_cache_root
from .problems import Problem
from .rule_table import ArgsRule
from .views import ClusterView


def _serving_shape(spec: InstanceSpec) -> tuple[int, int] | int:
    """What one launch template depends on: chips and cores (Neuron), vCPUs (CPU)."""
    return (spec.neuron_chips, spec.neuron_cores) if spec.neuron_cores else spec.vcpus


def spot_problems(args: ClusterView) -> list[Problem]:
    """Each Spot instance type can share the group's launch template."""
    if args.capacity_mode != "spot_with_on_demand_base":
        return []
    spec = args.spec
    problems = []
    for i, other_type in enumerate(args.spot.instance_types):
        field = f"spot.instance_types.{i}"
        other = catalog.instance_spec(other_type)
        if other is None:
            problems.append(Problem(field, other_type, "is not a supported instance type"))
            continue
        if other.accelerator != spec.accelerator:
            problems.append(
                Problem(
                    field,
                    other_type,
                    f"is a {other.accelerator} instance; one group cannot mix it with "
                    f"{spec.accelerator} {spec.name}",
                )
            )
        elif images.serving_stack(other) != images.serving_stack(spec):
            problems.append(
                Problem(field, other_type, f"needs another vLLM image than {spec.name}")
            )
        elif _serving_shape(other) != _serving_shape(spec):
            problems.append(
                Problem(
                    field,
                    other_type,
                    f"has {other.neuron_chips} chips / {other.neuron_cores} NeuronCores / "
                    f"{other.vcpus} vCPUs; the group needs the same as {spec.name} "
                    f"({spec.neuron_chips} / {spec.neuron_cores} / {spec.vcpus}) so the same "
                    "launch template serves on both",
                )
            )
        elif args.region is not None and args.region not in other.regions:
            problems.append(Problem(field, other_type, f"is not offered in {args.region}"))
    return problems


def artifact_cache_problems(args: ClusterView) -> list[Problem]:
    """The cache location parses, never overlaps the weights (nodes write under the cache and
    must never write under the weights; a cache inside the weights prefix would also be listed
    and downloaded as part of the model), and is set only where something is compiled."""
    cache = args.artifact_cache
    problems: list[Problem] = []
    if cache.uri is not None:
        problems += s3_uri_problems(
            "artifact_cache.uri",
            cache.uri,
            "cache location",
            f"s3://my-weights/{DEFAULT_CACHE_FOLDER}",
        )
    if isinstance(cache.kms_key_arn, str):
        problems += kms_key_arn_problems("artifact_cache.kms_key_arn", cache.kms_key_arn)
    spec = catalog.instance_spec(args.instance_type)
    if spec is not None and spec.accelerator != "neuron":
        for field in ("uri", "kms_key_arn"):
            value = getattr(cache, field)
            if value is not None:
                problems.append(
                    Problem(
                        f"artifact_cache.{field}",
                        value,
                        f"{spec.name} serves on vLLM's CPU backend, which compiles nothing to "
                        "cache; remove it",
                    )
                )
        return problems
    weights = parse_s3_uri(args.model.weights_uri)
    root = artifact_cache_root(args.model.weights_uri, cache.uri)
    if cache.enabled and weights and root and s3_prefixes_overlap(root, weights):
        beside = DEFAULT_CACHE_FOLDER
        if s3_prefixes_overlap((weights[0], beside), weights):
            beside = "compiled-artifacts/"
        problems.append(
            Problem(
                "artifact_cache.uri",
                cache.uri,
                f"s3://{root[0]}/{root[1]} overlaps the weights at {args.model.weights_uri}: "
                "nodes write under the cache and only read the weights (which they list and "
                "download in full); set artifact_cache.uri to a prefix beside them, e.g. "
                f"s3://{weights[0]}/{beside}",
            )
        )
    return problems


def _spot_with_warm_pool(args: ClusterView) -> list[Problem]:
    if args.capacity_mode != "spot_with_on_demand_base" or args.warm_pool is None:
        return []
    # Warm pools support mixed instances policies (Nov 2025) but not Spot Instances
    # (EC2 Auto Scaling user guide, "Warm pools": limitations).
    return [
        Problem(
            "warm_pool",
            "set",
            "AWS warm pools cannot hold Spot Instances; use capacity_mode 'on_demand' "
            "or 'reserved' with a warm pool, or drop the warm pool",
        )
    ]


def _spot_with_capacity(args: ClusterView) -> list[Problem]:
    if args.capacity_mode != "spot_with_on_demand_base" or args.capacity is None:
        return []
    return [
        Problem(
            "capacity",
            "set",
            "capacity reservations hold on-demand capacity; Spot cannot use them. Use "
            "capacity_mode 'reserved' or 'on_demand'",
        )
    ]


def _spot_types_without_spot(args: ClusterView) -> list[Problem]:
    if args.capacity_mode == "spot_with_on_demand_base" or not args.spot.instance_types:
        return []
    return [
        Problem(
            "spot.instance_types",
            args.spot.instance_types,
            "only used with capacity_mode 'spot_with_on_demand_base'",
        )
    ]


def _reservations_cover_group(args: ClusterView) -> list[Problem]:
    capacity = args.capacity
    if args.capacity_mode != "reserved" or capacity is None or capacity.capacity_block_id:
        return []
    # capacity-reservations-only: a node beyond the reservations cannot launch. A one-node
    # rollout launches the replacement before ending the old node (refresh_healthy_percentages).
    single = args.rollout.enabled and args.node_count <= 1
    needed = max(args.max_size, args.desired_capacity + (1 if single else 0))
    if capacity.instance_count >= needed:
        return []
    return [
        Problem(
            "capacity.instances_per_zone",
            capacity.instances_per_zone,
            f"'reserved' runs nodes only in the reservations: "
            f"{capacity.instance_count} reserved, {needed} needed (max_size"
            + (", plus one for a one-node rollout" if single else "")
            + "); reserve more or use capacity_mode 'on_demand'",
        )
    ]


def _reserved_needs_capacity(args: ClusterView) -> list[Problem]:
    if args.capacity_mode != "reserved" or args.capacity is not None:
        return []
    return [
        Problem(
            "capacity_mode",
            args.capacity_mode,
            "'reserved' targets the cluster's capacity reservations: set capacity "
            "(availability_zones, instances_per_zone)",
        )
    ]


def _pool_not_hibernated(args: ClusterView) -> list[Problem]:
    if args.warm_pool is None or args.warm_pool.pool_state != "Hibernated":
        return []
    return [_hibernated_pool_problem(args.spec)]


def _pool_holds_the_group(args: ClusterView) -> list[Problem]:
    cap = args.warm_pool.max_group_prepared_capacity if args.warm_pool is not None else None
    if cap is None or cap >= args.max_size:
        return []
    return [
        Problem(
            "warm_pool.max_group_prepared_capacity",
            cap,
            f"must be >= max_size ({args.max_size}), or omitted",
        )
    ]


def _room_to_scale(args: ClusterView) -> list[Problem]:
    if args.scaling.mode != "target_tracking" or args.min_size < args.max_size:
        return []
    return [
        Problem(
            "scaling.mode",
            "target_tracking",
            f"needs room to scale: min_size ({args.min_size}) < max_size ({args.max_size})",
        )
    ]


def _emails_need_topic(args: ClusterView) -> list[Problem]:
    if not args.monitoring.alarm_emails or args.monitoring.alarm_topic:
        return []
    return [
        Problem(
            "monitoring.alarm_emails",
            args.monitoring.alarm_emails,
            "need monitoring.alarm_topic: true (the topic they subscribe to)",
        )
    ]


def _rollback_needs_alarms(args: ClusterView) -> list[Problem]:
    rollout = args.rollout
    if not (rollout.auto_rollback and rollout.enabled) or args.monitoring.enabled:
        return []
    return [
        Problem(
            "rollout.auto_rollback",
            True,
            "rolls back on the monitoring alarms: enable monitoring, or set "
            "rollout.auto_rollback false",
        )
    ]


def wait_timeout_problems(args: ClusterView) -> list[Problem]:
    """With `rollout.wait`, the wait must outlast an ordinary rollout: shorter, every `pulumi
    up` that rolls out fails while the refresh goes on."""
    rollout = args.rollout
    if not (rollout.enabled and rollout.wait):
        return []
    cold = predict_cold_start(args.spec, args.model.weights_gib, args.model.info)
    cached = args.artifact_cache.enabled and args.spec.accelerator == "neuron"
    warmup = rollout.instance_warmup_seconds
    others = cold.cache_hit_s if cached else cold.total_s  # the cache: they download
    expected = timing.rollout_seconds(
        args.node_count,
        first_node_s=cold.total_s,
        next_node_s=others,
        warmup_s=timing.IN_SERVICE_SETTLE_SECONDS if warmup is None else warmup,
        bake_s=timing.bake_time_seconds(
            rollout.alarm_evaluation_minutes, alarms=args.monitoring.enabled
        ),
    )
    minutes = math.ceil(expected / 60)
    if rollout.wait_timeout_minutes >= minutes:
        return []
    how = (
        f"set rollout.wait_timeout_minutes to at least {minutes}"
        if minutes <= WAIT_TIMEOUT_MAX_MINUTES
        else "that is longer than wait_timeout_minutes allows: leave rollout.wait off"
    )
    return [
        Problem(
            "rollout.wait_timeout_minutes",
            rollout.wait_timeout_minutes,
            f"a rollout of {args.node_count} node(s) takes about {minutes} min (a cold start "
            f"of {cold.total_s / 60:.0f} min for the first, {others / 60:.0f} min for each "
            "other, their warmups, the bake time): "
            f"{how}, or follow the rollout with `graviton-llm rollout status`",
        )
    ]


# "You can't hibernate a Linux instance that has more than 150 GB of RAM" (EC2 User Guide,
# hibernation limitations); Inf2/Trn families are not among the hibernation families
# (hibernation prerequisites), and a Neuron device's memory would not survive it anyway.
HIBERNATION_MAX_RAM_GIB = 150


def _hibernated_pool_problem(spec: InstanceSpec) -> Problem:
    """A Hibernated warm pool: refused, with the reason that applies to this type."""
    if spec.accelerator == "neuron":
        why = (
            f"{spec.name} cannot hibernate (Neuron instances are not among EC2's hibernation "
            "families, and the devices' memory would not survive it)"
        )
    elif spec.memory_gib > HIBERNATION_MAX_RAM_GIB:
        why = (
            f"{spec.name} has {spec.memory_gib} GiB of RAM; EC2 hibernates no Linux instance "
            f"with more than {HIBERNATION_MAX_RAM_GIB} GB"
        )
    else:
        why = (
            "graviton-llm does not configure hibernation (HibernationOptions, an encrypted root "
            "volume larger than RAM) and does not know Graviton4 to support it"
        )
    return Problem(
        "warm_pool.pool_state",
        "Hibernated",
        f"{why}: use Stopped (only EBS is billed; the model reloads from the node's volume)",
    )


# Run after the cluster rules, on a known instance type, in this order (the order of the refusals).
OPERATIONS_RULES: tuple[ArgsRule, ...] = (
    ArgsRule("artifact-cache", ("artifact_cache", "model.weights_uri", "instance_type"),
             "a parseable cache location and KMS key, set only on Neuron, never overlapping "
             "the weights", artifact_cache_problems, needs_instance_type=True),
    ArgsRule("spot-instance-types", ("capacity_mode", "spot.instance_types", "instance_type",
             "region"), "with Spot, each extra type of the same accelerator, vLLM image and "
             "shape as instance_type, offered in the region", spot_problems,
             needs_instance_type=True),
    ArgsRule("spot-without-warm-pool", ("capacity_mode", "warm_pool"),
             "no warm pool with Spot (AWS warm pools hold no Spot Instances)",
             _spot_with_warm_pool, needs_instance_type=True),
    ArgsRule("spot-without-capacity", ("capacity_mode", "capacity"),
             "no capacity reservations with Spot", _spot_with_capacity,
             needs_instance_type=True),
    ArgsRule("spot-types-need-spot", ("capacity_mode", "spot.instance_types"),
             "spot.instance_types only with capacity_mode 'spot_with_on_demand_base'",
             _spot_types_without_spot, needs_instance_type=True),
    ArgsRule("reservations-cover-group", ("capacity_mode", "capacity", "max_size",
             "desired_capacity", "rollout.enabled"), "with 'reserved' (not a Capacity Block), "
             "enough reserved instances for max_size (one more for a one-node rollout)",
             _reservations_cover_group, needs_instance_type=True),
    ArgsRule("reserved-needs-capacity", ("capacity_mode", "capacity"),
             "capacity set with capacity_mode 'reserved'", _reserved_needs_capacity,
             needs_instance_type=True),
    ArgsRule("warm-pool-not-hibernated", ("warm_pool.pool_state", "instance_type"),
             "no Hibernated warm pool (no Neuron or large-RAM instance hibernates)",
             _pool_not_hibernated, needs_instance_type=True),
    ArgsRule("warm-pool-prepared-capacity", ("warm_pool.max_group_prepared_capacity",
             "max_size"), "warm_pool.max_group_prepared_capacity >= max_size, or omitted",
             _pool_holds_the_group, needs_instance_type=True),
    ArgsRule("target-tracking-room", ("scaling.mode", "min_size", "max_size"),
             "target tracking with min_size < max_size", _room_to_scale,
             needs_instance_type=True),
    ArgsRule("alarm-emails-need-topic", ("monitoring.alarm_emails", "monitoring.alarm_topic"),
             "alarm e-mails only with monitoring.alarm_topic", _emails_need_topic,
             needs_instance_type=True),
    ArgsRule("auto-rollback-needs-monitoring", ("rollout.auto_rollback", "rollout.enabled",
             "monitoring.enabled"), "automatic rollback only with the monitoring alarms",
             _rollback_needs_alarms, needs_instance_type=True),
    ArgsRule("rollout-wait-timeout", ("rollout.wait", "rollout.wait_timeout_minutes",
             "instance_type", "model", "desired_capacity", "artifact_cache.enabled",
             "monitoring.enabled"), "with rollout.wait, a timeout longer than a rollout of "
             "every node takes", wait_timeout_problems, needs_instance_type=True),
)  # fmt: skip
