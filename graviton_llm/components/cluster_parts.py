"""The parts of a NeuronServingCluster, each a function of what it needs, returning what it
declared: the cluster wires them, so the order of its parts follows from the data they take.
Names, types and parents are the cluster's (``<name>-...``, children of the cluster): the URNs
of a deployed stack do not depend on this split."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..args import (
    ResolvedClusterArgs,
    ServingMonitoringArgs,
    ServingSecurityArgs,
    WeightsBucketAccessArgs,
)
from ..documents.cloudwatch_agent import ASG_DIMENSION, NAMESPACE
from ..documents.iam import node_operations_policy, policy_json
from ..facts import catalog, timing
from ..facts.catalog import InstanceSpec
from ..facts.vllm_metrics import vllm_gauge
from ..node_agent.paths import LIFECYCLE_HOOK_NAME
from .artifact_cache_access import ArtifactCacheAccess, cluster_cache_access
from .parts import api_key, auto_scaling
from .parts.inputs import after_gate
from .parts.lookups import vpc_cidr_blocks
from .parts.tagging import Tags
from .reserved_capacity import ReservedCapacity
from .serving_monitoring import ServingMonitoring
from .serving_security import ServingSecurity
from .weights_bucket_access import WeightsBucketAccess


@dataclass(frozen=True)
class Access:
    """Who the nodes are and what they may read: the node identity and its grants."""

    security: ServingSecurity
    weights: WeightsBucketAccess
    artifact_cache: ArtifactCacheAccess | None


def declare_access(
    parent: pulumi.Resource, name: str, args: ResolvedClusterArgs, region: str, tags: Tags
) -> Access:
    child = pulumi.ResourceOptions(parent=parent)
    # Every CIDR of the VPC (primary and secondary): subnets may be in any of them.
    vpc = aws.ec2.get_vpc_output(id=args.vpc_id, opts=pulumi.InvokeOutputOptions(parent=parent))
    vpc_cidr = vpc.cidr_block_associations.apply(vpc_cidr_blocks)
    network = {"vpc_id": args.vpc_id, **args.network, "vpc_cidr": vpc_cidr, "tags": tags}
    security = ServingSecurity(
        f"{name}-security", ServingSecurityArgs.model_validate(network), opts=child
    )
    weights = WeightsBucketAccess(
        f"{name}-weights",
        WeightsBucketAccessArgs(
            role=security.role.name,
            weights_uri=args.model.weights_uri,
            kms_key_arn=args.weights_kms_key_arn,
            # kms:ViaService names the region S3 calls KMS from: the bucket's.
            region=args.model.weights_region or region,
        ),
        opts=child,
    )
    cache = cluster_cache_access(args, security.role.name, region)
    artifact_cache = (
        None if cache is None else ArtifactCacheAccess(f"{name}-artifacts", cache, child)
    )
    return Access(security, weights, artifact_cache)


def declare_capacity(
    parent: pulumi.Resource, name: str, args: ResolvedClusterArgs, spec: InstanceSpec, tags: Tags
) -> ReservedCapacity | None:
    if args.capacity is None:
        return None
    return ReservedCapacity(
        f"{name}-capacity",
        args.capacity.model_copy(
            update={"instance_type": spec.name, "tags": {**tags, **args.capacity.tags}}
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class GroupInputs:
    """What the Auto Scaling group is built from, besides the args."""

    template: aws.ec2.LaunchTemplate
    target_group: aws.lb.TargetGroup
    capacity: ReservedCapacity | None
    gate: pulumi.Output[None] | None
    grace_seconds: int
    tags: Tags
    lookup_tags: dict[str, str]


def declare_group(
    parent: pulumi.Resource, name: str, args: ResolvedClusterArgs, given: GroupInputs
) -> aws.autoscaling.Group:
    # Pinned to the version this deployment created, never $Latest/$Default, so a change
    # rolls out deliberately and instance refresh can roll back.
    template = given.template
    template_version = template.latest_version.apply(str)
    spot = args.capacity_mode == "spot_with_on_demand_base"
    protect = (
        args.scaling.mode == "target_tracking" and args.scaling.scale_in_protection_while_booting
    )
    return aws.autoscaling.Group(
        f"{name}-asg",
        # The gate: no node launches before every value given as an Output passed its checks.
        vpc_zone_identifiers=after_gate(given.gate, args.subnet_ids),
        min_size=args.min_size,
        max_size=args.max_size,
        desired_capacity=args.desired_capacity,
        launch_template=None
        if spot
        else aws.autoscaling.GroupLaunchTemplateArgs(id=template.id, version=template_version),
        mixed_instances_policy=(
            auto_scaling.spot_policy(args, template.id, template_version) if spot else None
        ),
        capacity_rebalance=True if spot else None,
        health_check_type="ELB",
        health_check_grace_period=given.grace_seconds,
        default_instance_warmup=timing.IN_SERVICE_SETTLE_SECONDS,
        target_group_arns=[given.target_group.arn],
        capacity_reservation_specification=auto_scaling.capacity_target(given.capacity, args),
        # A node stays Pending:Wait until its boot script reports it serves, sending
        # heartbeats meanwhile (a silent node is abandoned after the timeout): no traffic, no
        # scale-in, no warm-pool stop before the model is loaded, however long the compile.
        initial_lifecycle_hooks=[
            aws.autoscaling.GroupInitialLifecycleHookArgs(
                name=LIFECYCLE_HOOK_NAME,
                lifecycle_transition="autoscaling:EC2_INSTANCE_LAUNCHING",
                heartbeat_timeout=timing.LIFECYCLE_HEARTBEAT_TIMEOUT_SECONDS,
                default_result="ABANDON",
            )
        ],
        protect_from_scale_in=protect or None,
        warm_pool=auto_scaling.warm_pool(args),
        # Nodes take many minutes to pass /health; `pulumi up` should not block on them.
        wait_for_capacity_timeout="0",
        tags=[
            aws.autoscaling.GroupTagArgs(key=key, value=value, propagate_at_launch=launched)
            for tags, launched in group_tags(name, given.tags, given.lookup_tags)
            for key, value in tags.items()
        ],
        # An autoscaler or an operator may change desired capacity: IaC must not fight it.
        # Rollouts: the version changes only when a refresh succeeds (InstanceRefresh).
        opts=pulumi.ResourceOptions(
            parent=parent,
            ignore_changes=["desired_capacity", *auto_scaling.version_ignored(args)],
        ),
    )


def group_tags(name: str, tags: Tags, lookup_tags: dict[str, str]) -> list[tuple[Tags, bool]]:
    """The group's tags and whether its instances get them: the stack's lookup tags are
    for the CLI to find the group, not for the instances (their metadata tags)."""
    node_tags: Tags = {**tags, "Name": f"{name}-node"}
    return [(node_tags, True), (dict(lookup_tags), False)]


def declare_node_permissions(
    parent: pulumi.Resource,
    name: str,
    args: ResolvedClusterArgs,
    region: str,
    *,
    group: aws.autoscaling.Group,
    role: aws.iam.Role,
    api_key_pointer: str | None,
) -> aws.iam.RolePolicy:
    parameter_arn = api_key.parameter_arns(args, api_key_pointer, region, parent=parent)
    document = pulumi.Output.all(group.arn, parameter_arn, args.api_key_kms_key_arn).apply(
        lambda values: policy_json(
            node_operations_policy(
                auto_scaling_group_arn=values[0],
                api_key_parameter_arn=values[1],
                api_key_kms_key_arn=values[2],
                region=region,
            )
        )
    )
    return aws.iam.RolePolicy(
        f"{name}-node-ops",
        role=role.name,
        policy=document,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def declare_scaling(
    parent: pulumi.Resource, name: str, args: ResolvedClusterArgs, group: aws.autoscaling.Group
) -> aws.autoscaling.Policy | None:
    if args.scaling.mode != "target_tracking":
        return None
    return aws.autoscaling.Policy(
        f"{name}-scaling",
        autoscaling_group_name=group.name,
        policy_type="TargetTrackingScaling",
        estimated_instance_warmup=timing.IN_SERVICE_SETTLE_SECONDS,
        target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
            target_value=args.scaling.target_value,
            customized_metric_specification=aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationArgs(
                metric_name=vllm_gauge(args.scaling.metric),
                namespace=NAMESPACE,
                statistic="Average",
                metric_dimensions=[
                    aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationMetricDimensionArgs(
                        name=ASG_DIMENSION, value=group.name
                    )
                ],
            ),
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class Watched:
    """What the monitoring watches, and where its metrics and alarms go."""

    group: aws.autoscaling.Group
    target_group: aws.lb.TargetGroup
    load_balancer: aws.lb.LoadBalancer
    alarm_prefix: str
    metrics_log_group: str


def declare_monitoring(
    parent: pulumi.Resource,
    name: str,
    args: ResolvedClusterArgs,
    region: str,
    watched: Watched,
    tags: Tags,
) -> ServingMonitoring | None:
    if not args.monitoring.enabled:
        return None
    spec = args.spec
    device_gib = (
        None
        if spec.neuron_family is None
        else catalog.serving_memory_gib(spec, args.tensor_parallel_size)
    )
    watch = args.monitoring
    return ServingMonitoring(
        f"{name}-monitoring",
        ServingMonitoringArgs(
            alarm_name_prefix=watched.alarm_prefix,
            auto_scaling_group_name=watched.group.name,
            target_group_arn_suffix=watched.target_group.arn_suffix,
            load_balancer_arn_suffix=watched.load_balancer.arn_suffix,
            region=region,
            error_rate_percent=args.rollout.error_rate_percent,
            evaluation_minutes=args.rollout.alarm_evaluation_minutes,
            latency_seconds=watch.latency_seconds,
            device_memory_percent=watch.device_memory_percent,
            device_memory_gib=device_gib,
            alarm_topic=watch.alarm_topic,
            alarm_emails=watch.alarm_emails,
            dashboard=watch.dashboard,
            metrics_log_group=watched.metrics_log_group,
            log_retention_days=watch.log_retention_days,
            tags=tags,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
