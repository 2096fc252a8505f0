"""NeuronServingCluster: the whole serving cluster in one component.

Reads like a table of contents: validate, derive, then declare children.
"""

from __future__ import annotations

from typing import Any, Unpack, overload

import pulumi
import pulumi_aws as aws

from ..args import (
    NeuronServingClusterArgs,
    NeuronServingClusterArgsDict,
    ResolvedClusterArgs,
    ServingMonitoringArgs,
    ServingSecurityArgs,
    WeightsBucketAccessArgs,
)
from ..args.base import with_fields_help
from ..args.deferred import DeferredCheck, deferred_checks
from ..args.refusals import ArgsError
from ..documents.alarms import alarm_name_prefix
from ..documents.cloudwatch_agent import ASG_DIMENSION, NAMESPACE, metrics_log_group
from ..documents.iam import node_operations_policy, to_json
from ..facts import catalog, sizing, timing
from ..facts.catalog import InstanceSpec
from ..facts.vllm_metrics import vllm_gauge
from ..node.paths import LIFECYCLE_HOOK_NAME
from ..node.user_data import render_user_data
from . import api_key, auto_scaling, launch_template, load_balancer, observe
from .artifact_cache_access import ArtifactCacheAccess, cluster_cache_access
from .inputs import after_gate, cluster_spec, gated, merged_args, refuse, stand_in
from .instance_refresh import InstanceRefresh
from .lookups import endpoint_url, vpc_cidr_blocks
from .reserved_capacity import ReservedCapacity
from .rollout import aws_provider_in, declare_rollout
from .serving_monitoring import ServingMonitoring
from .serving_security import ServingSecurity
from .tagging import Tags, lookup_tags, merged_tags
from .weights_bucket_access import WeightsBucketAccess

# What a program may read from a cluster: unknown on a cluster refused in a preview.
OUTPUTS = (
    "endpoint", "security_group", "role", "instance_profile", "launch_template",
    "auto_scaling_group", "load_balancer", "target_group", "listener",
)  # fmt: skip


class NeuronServingCluster(pulumi.ComponentResource):
    """A vLLM serving cluster on Neuron (inf2/trn1/trn1n/trn2) or Graviton4 CPU instances.

    Creates a VPC-internal security group and protected node role (``ServingSecurity``), read
    access to the weights prefix (``WeightsBucketAccess``), on Neuron read and publish access to
    the cluster's compiled artifacts (``ArtifactCacheAccess``), optional capacity reservations
    (``ReservedCapacity``), a launch template whose user data boots vLLM, an Auto Scaling group
    in the private subnets (instance refresh with rollback, optional warm pool, Spot, target
    tracking), an internal Network Load Balancer, and alarms and a dashboard
    (``ServingMonitoring``). Every argument is checked before the first resource is registered
    (a bad config creates nothing); one given as an Output when it resolves, before any node.
    """

    security_group: aws.ec2.SecurityGroup
    role: aws.iam.Role
    instance_profile: aws.iam.InstanceProfile
    launch_template: aws.ec2.LaunchTemplate
    auto_scaling_group: aws.autoscaling.Group
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    listener: aws.lb.Listener
    capacity: ReservedCapacity | None
    monitoring: ServingMonitoring | None
    rollout: InstanceRefresh | None
    artifact_cache: ArtifactCacheAccess | None
    scaling_policy: aws.autoscaling.Policy | None
    endpoint: pulumi.Output[str]
    args: ResolvedClusterArgs
    user_data: str
    metrics_log_group: str
    checked_at_deploy: tuple[DeferredCheck, ...]  # fields checked when their Output resolves

    @overload
    def __init__(
        self,
        name: str,
        args: NeuronServingClusterArgs | NeuronServingClusterArgsDict,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[NeuronServingClusterArgsDict],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: NeuronServingClusterArgs | NeuronServingClusterArgsDict | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        """Declare the serving cluster ``name`` and all its children.

        :param name: The cluster's name: letters, digits and '-', at most 20 characters (its
            load balancer's name is built from it). Children are named ``<name>-...``.
        :param args: A ``NeuronServingClusterArgs``, or its dict form
            (``NeuronServingClusterArgsDict``, e.g. ``pulumi.Config().require_object(...)``);
            or give the same fields as keyword arguments instead.
        :param opts: Pulumi resource options (parent, providers, aliases, ...).
        :raises ArgsError: a ``pulumi.InputPropertiesError`` listing every bad field with its
            fix, before any resource is registered; in a preview, once the program has declared
            everything, together with every other cluster's. A field given as an Output is
            checked when it resolves, before the Auto Scaling group exists.
        """
        try:
            resolved, region = cluster_spec(
                name,
                merged_args(args, kwargs),
                explicit_provider=aws_provider_in(opts) is not None,
            )
        except ArgsError as error:
            refuse(error)
            self._name, self.checked_at_deploy = name, ()
            stand_in(self, OUTPUTS)
            return
        self.checked_at_deploy = deferred_checks(resolved)
        self.args, self._gate = gated(name, resolved)
        args, spec = self.args, self.args.spec
        # Derived values: all pure, all known before any resource exists.
        alarm_prefix = alarm_name_prefix(pulumi.get_project(), pulumi.get_stack(), name)
        self.metrics_log_group = metrics_log_group(alarm_prefix)
        self._api_key_pointer = api_key.pointer_name(name, args)
        self.user_data = render_user_data(
            args, api_key_pointer=self._api_key_pointer, metrics_log_group=self.metrics_log_group
        )
        # The launch hook holds a node until it serves (timing.py): what follows InService only
        # waits for the NLB, whatever the model's cold start.
        grace = args.health_check_grace_seconds
        grace = timing.IN_SERVICE_SETTLE_SECONDS if grace is None else grace
        volume_gib = args.root_volume_gib or sizing.root_volume_gib(spec, args.model.weights_gib)

        super().__init__("graviton-llm:cluster:NeuronServingCluster", name, None, opts)
        owner_tags = {"Environment": args.environment, "Owner": args.owner}
        tags = merged_tags(name, {**{k: v for k, v in owner_tags.items() if v}, **args.tags})
        self._name, self._tags, self._child = name, tags, pulumi.ResourceOptions(parent=self)
        self._lookup_tags = lookup_tags(pulumi.get_project(), pulumi.get_stack())

        self._declare_security(args, region)
        self._declare_capacity(args, spec)
        self._before_nodes: list[pulumi.Resource] = [self._security, self._weights]
        if self.artifact_cache is not None:
            self._before_nodes.append(self.artifact_cache)
        if self._api_key_pointer is not None:
            self._before_nodes.append(
                api_key.declare_pointer(name, self._api_key_pointer, args, tags, self._child)
            )
        self._declare_launch_template(args, spec, volume_gib)
        self._declare_load_balancer(args)
        self._declare_group(args, grace, alarm_prefix)
        self._declare_node_permissions(args, region)
        self._declare_scaling(args)
        self._declare_monitoring(args, spec, region, alarm_prefix)
        self._declare_rollout(args, region, alarm_prefix)

        self.endpoint = self.load_balancer.dns_name.apply(lambda dns: endpoint_url(dns, args.port))
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "auto_scaling_group_name": self.auto_scaling_group.name,
                "security_group_id": self.security_group.id,
                "role_arn": self.role.arn,
            }
        )
        observe.built(self)

    def _declare_security(self, args: ResolvedClusterArgs, region: str) -> None:
        name = self._name
        # Every CIDR of the VPC (primary and secondary): subnets may be in any of them.
        vpc = aws.ec2.get_vpc_output(id=args.vpc_id, opts=pulumi.InvokeOutputOptions(parent=self))
        vpc_cidr = vpc.cidr_block_associations.apply(vpc_cidr_blocks)
        network = {"vpc_id": args.vpc_id, **args.network, "vpc_cidr": vpc_cidr, "tags": self._tags}
        security = ServingSecurity(
            f"{name}-security", ServingSecurityArgs.model_validate(network), opts=self._child
        )
        self._security = security
        self.security_group = security.security_group
        self.role = security.role
        self.instance_profile = security.instance_profile
        self._weights = WeightsBucketAccess(
            f"{name}-weights",
            WeightsBucketAccessArgs(
                role=self.role.name,
                weights_uri=args.model.weights_uri,
                kms_key_arn=args.weights_kms_key_arn,
                # kms:ViaService names the region S3 calls KMS from: the bucket's.
                region=args.model.weights_region or region,
            ),
            opts=self._child,
        )
        cache = cluster_cache_access(args, self.role.name, region)
        self.artifact_cache = (
            None if cache is None else ArtifactCacheAccess(f"{name}-artifacts", cache, self._child)
        )

    def _declare_capacity(self, args: ResolvedClusterArgs, spec: InstanceSpec) -> None:
        self.capacity = None
        if args.capacity is not None:
            self.capacity = ReservedCapacity(
                f"{self._name}-capacity",
                args.capacity.model_copy(
                    update={
                        "instance_type": spec.name,
                        "tags": {**self._tags, **args.capacity.tags},
                    }
                ),
                opts=self._child,
            )

    def _declare_launch_template(
        self, args: ResolvedClusterArgs, spec: InstanceSpec, volume_gib: int
    ) -> None:
        self.launch_template = launch_template.declare(
            self,
            self._name,
            args,
            spec,
            volume_gib=volume_gib,
            user_data=self.user_data,
            instance_profile_arn=self.instance_profile.arn,
            security_group_id=self.security_group.id,
            market=auto_scaling.market_options(self.capacity),
            tags=self._tags,
            lookup_tags=self._lookup_tags,
            # IAM is eventually consistent: let the role's grants exist before a node can boot
            # and list the weights (the boot script treats AccessDenied as final); the API key's
            # name, when secret, is in its own parameter before a node reads it.
            depends_on=self._before_nodes,
        )

    def _declare_load_balancer(self, args: ResolvedClusterArgs) -> None:
        self.load_balancer, self.target_group, self.listener = load_balancer.declare(
            self._name, args, self._tags, self._child
        )

    def _declare_group(self, args: ResolvedClusterArgs, grace: int, alarm_prefix: str) -> None:
        name = self._name
        # Pinned to the version this deployment created, never $Latest/$Default, so a change
        # rolls out deliberately and instance refresh can roll back.
        template_version = self.launch_template.latest_version.apply(str)
        spot = args.capacity_mode == "spot_with_on_demand_base"
        protect = (
            args.scaling.mode == "target_tracking"
            and args.scaling.scale_in_protection_while_booting
        )
        self.auto_scaling_group = aws.autoscaling.Group(
            f"{name}-asg",
            # The gate: no node launches before every value given as an Output passed its checks.
            vpc_zone_identifiers=after_gate(self._gate, args.subnet_ids),
            min_size=args.min_size,
            max_size=args.max_size,
            desired_capacity=args.desired_capacity,
            launch_template=None
            if spot
            else aws.autoscaling.GroupLaunchTemplateArgs(
                id=self.launch_template.id, version=template_version
            ),
            mixed_instances_policy=(
                auto_scaling.spot_policy(args, self.launch_template.id, template_version)
                if spot
                else None
            ),
            capacity_rebalance=True if spot else None,
            health_check_type="ELB",
            health_check_grace_period=grace,
            default_instance_warmup=timing.IN_SERVICE_SETTLE_SECONDS,
            target_group_arns=[self.target_group.arn],
            capacity_reservation_specification=auto_scaling.capacity_target(self.capacity, args),
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
                for tags, launched in self._group_tags(name)
                for key, value in tags.items()
            ],
            # An autoscaler or an operator may change desired capacity: IaC must not fight it.
            # Rollouts: the version changes only when a refresh succeeds (InstanceRefresh).
            opts=pulumi.ResourceOptions(
                parent=self,
                ignore_changes=["desired_capacity", *auto_scaling.version_ignored(args)],
            ),
        )

    def _group_tags(self, name: str) -> list[tuple[Tags, bool]]:
        """The group's tags and whether its instances get them: the stack's lookup tags are
        for the CLI to find the group, not for the instances (their metadata tags)."""
        node_tags: Tags = {**self._tags, "Name": f"{name}-node"}
        return [(node_tags, True), (dict(self._lookup_tags), False)]

    def _declare_rollout(self, args: ResolvedClusterArgs, region: str, alarm_prefix: str) -> None:
        """A new launch template version rolls out through a refresh that carries it, so a
        rollback restores the old one (documents/instance_refresh.py)."""
        self.rollout = None
        if args.rollout.enabled:
            self.rollout = declare_rollout(self, args, region, alarm_prefix)

    def _declare_node_permissions(self, args: ResolvedClusterArgs, region: str) -> None:
        parameter_arn = api_key.parameter_arns(args, self._api_key_pointer, region, parent=self)
        document = pulumi.Output.all(
            self.auto_scaling_group.arn, parameter_arn, args.api_key_kms_key_arn
        ).apply(
            lambda values: to_json(
                node_operations_policy(
                    auto_scaling_group_arn=values[0],
                    api_key_parameter_arn=values[1],
                    api_key_kms_key_arn=values[2],
                    region=region,
                )
            )
        )
        aws.iam.RolePolicy(
            f"{self._name}-node-ops", role=self.role.name, policy=document, opts=self._child
        )

    def _declare_scaling(self, args: ResolvedClusterArgs) -> None:
        self.scaling_policy = None
        if args.scaling.mode != "target_tracking":
            return
        self.scaling_policy = aws.autoscaling.Policy(
            f"{self._name}-scaling",
            autoscaling_group_name=self.auto_scaling_group.name,
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
                            name=ASG_DIMENSION, value=self.auto_scaling_group.name
                        )
                    ],
                ),
            ),
            opts=self._child,
        )

    def _declare_monitoring(
        self,
        args: ResolvedClusterArgs,
        spec: InstanceSpec,
        region: str,
        alarm_prefix: str,
    ) -> None:
        self.monitoring = None
        if not args.monitoring.enabled:
            return
        device_gib = (
            None
            if spec.neuron_family is None
            else catalog.serving_memory_gib(spec, args.tensor_parallel_size)
        )
        watch = args.monitoring
        self.monitoring = ServingMonitoring(
            f"{self._name}-monitoring",
            ServingMonitoringArgs(
                alarm_name_prefix=alarm_prefix,
                auto_scaling_group_name=self.auto_scaling_group.name,
                target_group_arn_suffix=self.target_group.arn_suffix,
                load_balancer_arn_suffix=self.load_balancer.arn_suffix,
                region=region,
                error_rate_percent=args.rollout.error_rate_percent,
                evaluation_minutes=args.rollout.alarm_evaluation_minutes,
                latency_seconds=watch.latency_seconds,
                device_memory_percent=watch.device_memory_percent,
                device_memory_gib=device_gib,
                alarm_topic=watch.alarm_topic,
                alarm_emails=watch.alarm_emails,
                dashboard=watch.dashboard,
                metrics_log_group=self.metrics_log_group,
                log_retention_days=watch.log_retention_days,
                tags=self._tags,
            ),
            opts=self._child,
        )


with_fields_help(NeuronServingCluster.__init__, NeuronServingClusterArgs)
