"""NeuronServingCluster: the whole serving cluster in one component.

Reads like a table of contents: validate, derive, then declare children.
"""

from __future__ import annotations

import base64
from typing import Any

import pulumi
import pulumi_aws as aws

from . import images, sizing
from .config import NeuronServingClusterArgs, ServingSecurityArgs, WeightsBucketAccessArgs
from .reserved_capacity import ReservedCapacity
from .serving_security import ServingSecurity
from .tagging import merged_tags
from .userdata import readiness_timeout_seconds, render_user_data
from .validation import raise_if_problems, region_problems
from .weights_bucket_access import WeightsBucketAccess

# Target group health check: GET /health every 30 s, 3 failures to unhealthy (vLLM's /health
# answers 200 once the engine is up).
HEALTH_CHECK_PATH = "/health"
HEALTH_CHECK_INTERVAL_SECONDS = 30
HEALTH_CHECK_UNHEALTHY_THRESHOLD = 3


def resolve_region(args: NeuronServingClusterArgs) -> str | None:
    return args.region or pulumi.Config("aws").get("region")


class NeuronServingCluster(pulumi.ComponentResource):
    """A vLLM serving cluster on Neuron (inf2/trn1/trn1n/trn2) or Graviton4 CPU instances.

    Creates a VPC-internal security group and protected node role (``ServingSecurity``), read
    access to the weights prefix (``WeightsBucketAccess``), optional capacity reservations
    (``ReservedCapacity``), a launch template whose user data boots vLLM, an Auto Scaling group
    in the private subnets and an internal Network Load Balancer. Every argument is checked
    before the first resource is registered: a bad config creates nothing.
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
    endpoint: pulumi.Output[str]
    args: NeuronServingClusterArgs
    user_data: str

    def __init__(
        self,
        name: str,
        args: NeuronServingClusterArgs | dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = NeuronServingClusterArgs.model_validate(args)
        self.args = args
        spec = args.spec
        region = resolve_region(args)
        if region is not None:
            raise_if_problems(type(args).__name__, region_problems("region", region, spec))
        # Derived values: all pure, all known before any resource exists.
        self.user_data = render_user_data(args)
        grace = args.health_check_grace_seconds or readiness_timeout_seconds(args)
        volume_gib = args.root_volume_gib or sizing.root_volume_gib(spec, args.model.weights_gib)

        super().__init__("graviton-llm:cluster:NeuronServingCluster", name, None, opts)
        tags = merged_tags(name, args.tags)
        child = pulumi.ResourceOptions(parent=self)

        security = ServingSecurity(
            f"{name}-security",
            ServingSecurityArgs(
                vpc_id=args.vpc_id,
                port=args.port,
                metrics_port=args.metrics_port,
                allowed_cidrs=args.allowed_cidrs,
                ssh_cidrs=args.ssh_cidrs,
                vpc_cidr=aws.ec2.get_vpc_output(id=args.vpc_id, opts=_invoke(self)).cidr_block,
                tags=tags,
            ),
            opts=child,
        )
        self.security_group = security.security_group
        self.role = security.role
        self.instance_profile = security.instance_profile

        WeightsBucketAccess(
            f"{name}-weights",
            WeightsBucketAccessArgs(
                role=self.role.name,
                weights_uri=args.model.weights_uri,
                kms_key_arn=args.weights_kms_key_arn,
                region=region,
            ),
            opts=child,
        )

        self.capacity = None
        if args.capacity is not None:
            self.capacity = ReservedCapacity(
                f"{name}-capacity",
                args.capacity.model_copy(
                    update={"instance_type": spec.name, "tags": {**tags, **args.capacity.tags}}
                ),
                opts=child,
            )

        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"graviton-llm {name}: {args.model.id} on {spec.name}",
            image_id=args.ami_id or _latest_ami(self, spec),
            instance_type=spec.name,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(
                arn=self.instance_profile.arn
            ),
            vpc_security_group_ids=[self.security_group.id],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",  # IMDSv2 only
                # Weights are pulled on the host; the bridged container needs no IMDS access.
                http_put_response_hop_limit=1,
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=args.root_device_name,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=volume_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            user_data=base64.b64encode(self.user_data.encode()).decode(),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type=kind, tags={**tags, "Name": f"{name}-node"}
                )
                for kind in ("instance", "volume")
            ],
            instance_market_options=_market_options(self.capacity),
            update_default_version=True,
            tags=tags,
            opts=child,
        )

        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-nlb",
            internal=True,
            load_balancer_type="network",
            subnets=args.subnet_ids,
            enable_cross_zone_load_balancing=True,
            tags=tags,
            opts=child,
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            port=args.port,
            protocol="TCP",
            target_type="instance",
            vpc_id=args.vpc_id,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                protocol="HTTP",
                path=HEALTH_CHECK_PATH,
                port="traffic-port",
                interval=HEALTH_CHECK_INTERVAL_SECONDS,
                unhealthy_threshold=HEALTH_CHECK_UNHEALTHY_THRESHOLD,
                healthy_threshold=HEALTH_CHECK_UNHEALTHY_THRESHOLD,
                matcher="200",
            ),
            tags=tags,
            opts=child,
        )
        self.listener = aws.lb.Listener(
            f"{name}-listener",
            load_balancer_arn=self.load_balancer.arn,
            port=args.port,
            protocol="TCP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="forward", target_group_arn=self.target_group.arn
                )
            ],
            tags=tags,
            opts=child,
        )

        self.auto_scaling_group = aws.autoscaling.Group(
            f"{name}-asg",
            vpc_zone_identifiers=args.subnet_ids,
            min_size=args.min_size,
            max_size=args.max_size,
            desired_capacity=args.desired_capacity,
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=self.launch_template.id,
                # Pinned to the version this deployment created, never $Latest/$Default, so a
                # change rolls out deliberately and instance refresh can roll back.
                version=self.launch_template.latest_version.apply(str),
            ),
            health_check_type="ELB",
            # Long enough for weights download + Neuron compile (sizing.predict_cold_start).
            health_check_grace_period=grace,
            target_group_arns=[self.target_group.arn],
            capacity_reservation_specification=_capacity_target(self.capacity),
            # Nodes take many minutes to pass /health; `pulumi up` should not block on them.
            wait_for_capacity_timeout="0",
            tags=[
                aws.autoscaling.GroupTagArgs(key=key, value=value, propagate_at_launch=True)
                for key, value in {**tags, "Name": f"{name}-node"}.items()
            ],
            # An autoscaler or an operator may change desired capacity: IaC must not fight it.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desired_capacity"]),
        )

        self.endpoint = pulumi.Output.concat(
            "http://", self.load_balancer.dns_name, ":", str(args.port)
        )
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "auto_scaling_group_name": self.auto_scaling_group.name,
                "security_group_id": self.security_group.id,
                "role_arn": self.role.arn,
            }
        )


def _invoke(parent: pulumi.Resource) -> pulumi.InvokeOutputOptions:
    return pulumi.InvokeOutputOptions(parent=parent)


def _latest_ami(parent: pulumi.Resource, spec) -> pulumi.Output[str]:
    """Resolve the SSM public parameter now and write the AMI id into the template: a
    `resolve:ssm:` image id would block instance-refresh rollback (EC2 Auto Scaling docs)."""
    parameter = aws.ssm.get_parameter_output(name=images.ami_parameter(spec), opts=_invoke(parent))
    return parameter.insecure_value


def _market_options(
    capacity: ReservedCapacity | None,
) -> aws.ec2.LaunchTemplateInstanceMarketOptionsArgs | None:
    if capacity is None or capacity.market_type is None:
        return None
    return aws.ec2.LaunchTemplateInstanceMarketOptionsArgs(market_type=capacity.market_type)


def _capacity_target(
    capacity: ReservedCapacity | None,
) -> aws.autoscaling.GroupCapacityReservationSpecificationArgs | None:
    if capacity is None:
        return None
    return aws.autoscaling.GroupCapacityReservationSpecificationArgs(
        # A Capacity Block is the only capacity a capacity-block launch template can use.
        capacity_reservation_preference="capacity-reservations-only"
        if capacity.capacity_block_id
        else "capacity-reservations-first",
        capacity_reservation_target=aws.autoscaling.GroupCapacityReservationSpecificationCapacityReservationTargetArgs(
            capacity_reservation_ids=capacity.reservation_ids
        ),
    )
