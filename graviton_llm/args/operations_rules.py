"""Combinations of operations options that AWS refuses or that could not work, judged over the
whole cluster args (rollout, warm pool, capacity mode, Spot, scaling, monitoring)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..facts import catalog, images, timing
from ..facts.catalog import InstanceSpec
from ..facts.sizing import predict_cold_start
from .fields import parse_s3_uri, s3_prefixes_overlap, s3_uri_problems
from .identifiers import kms_key_arn_problems
from .operations import DEFAULT_CACHE_FOLDER, WAIT_TIMEOUT_MAX_MINUTES, artifact_cache_root
from .problems import Problem

if TYPE_CHECKING:  # the cluster model imports these rules; only its type is needed here
    from .cluster import NeuronServingClusterArgs


def _serving_shape(spec: InstanceSpec) -> tuple[int, int] | int:
    """What one launch template depends on: chips and cores (Neuron), vCPUs (CPU)."""
    return (spec.neuron_chips, spec.neuron_cores) if spec.neuron_cores else spec.vcpus


def spot_problems(args: NeuronServingClusterArgs) -> list[Problem]:
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


def artifact_cache_problems(args: NeuronServingClusterArgs) -> list[Problem]:
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


def operations_problems(args: NeuronServingClusterArgs) -> list[Problem]:
    """Combinations of operations options that AWS refuses or that could not work."""
    problems: list[Problem] = artifact_cache_problems(args)
    mode = args.capacity_mode
    if mode == "spot_with_on_demand_base":
        problems += spot_problems(args)
        if args.warm_pool is not None:
            # Warm pools support mixed instances policies (Nov 2025) but not Spot Instances
            # (EC2 Auto Scaling user guide, "Warm pools": limitations).
            problems.append(
                Problem(
                    "warm_pool",
                    "set",
                    "AWS warm pools cannot hold Spot Instances; use capacity_mode 'on_demand' "
                    "or 'reserved' with a warm pool, or drop the warm pool",
                )
            )
        if args.capacity is not None:
            problems.append(
                Problem(
                    "capacity",
                    "set",
                    "capacity reservations hold on-demand capacity; Spot cannot use them. Use "
                    "capacity_mode 'reserved' or 'on_demand'",
                )
            )
    elif args.spot.instance_types:
        problems.append(
            Problem(
                "spot.instance_types",
                args.spot.instance_types,
                "only used with capacity_mode 'spot_with_on_demand_base'",
            )
        )
    if mode == "reserved" and args.capacity is not None and not args.capacity.capacity_block_id:
        # capacity-reservations-only: a node beyond the reservations cannot launch. A one-node
        # rollout launches the replacement before ending the old node (refresh_healthy_percentages).
        single = args.rollout.enabled and args.node_count <= 1
        needed = max(args.max_size, args.desired_capacity + (1 if single else 0))
        if args.capacity.instance_count < needed:
            problems.append(
                Problem(
                    "capacity.instances_per_zone",
                    args.capacity.instances_per_zone,
                    f"'reserved' runs nodes only in the reservations: "
                    f"{args.capacity.instance_count} reserved, {needed} needed (max_size"
                    + (", plus one for a one-node rollout" if single else "")
                    + "); reserve more or use capacity_mode 'on_demand'",
                )
            )
    if mode == "reserved" and args.capacity is None:
        problems.append(
            Problem(
                "capacity_mode",
                mode,
                "'reserved' targets the cluster's capacity reservations: set capacity "
                "(availability_zones, instances_per_zone)",
            )
        )
    if args.warm_pool is not None:
        pool = args.warm_pool
        if pool.pool_state == "Hibernated":
            problems.append(_hibernated_pool_problem(args.spec))
        cap = pool.max_group_prepared_capacity
        if cap is not None and cap < args.max_size:
            problems.append(
                Problem(
                    "warm_pool.max_group_prepared_capacity",
                    cap,
                    f"must be >= max_size ({args.max_size}), or omitted",
                )
            )
    if args.scaling.mode == "target_tracking" and args.min_size >= args.max_size:
        problems.append(
            Problem(
                "scaling.mode",
                "target_tracking",
                f"needs room to scale: min_size ({args.min_size}) < max_size ({args.max_size})",
            )
        )
    if args.monitoring.alarm_emails and not args.monitoring.alarm_topic:
        problems.append(
            Problem(
                "monitoring.alarm_emails",
                args.monitoring.alarm_emails,
                "need monitoring.alarm_topic: true (the topic they subscribe to)",
            )
        )
    if args.rollout.auto_rollback and args.rollout.enabled and not args.monitoring.enabled:
        problems.append(
            Problem(
                "rollout.auto_rollback",
                True,
                "rolls back on the monitoring alarms: enable monitoring, or set "
                "rollout.auto_rollback false",
            )
        )
    return problems + wait_timeout_problems(args)


def wait_timeout_problems(args: NeuronServingClusterArgs) -> list[Problem]:
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
