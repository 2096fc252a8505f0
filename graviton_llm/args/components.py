"""Args of the components a cluster is built from, usable on their own: ServingSecurity,
WeightsBucketAccess, ReservedCapacity and ServingMonitoring."""

from __future__ import annotations

from typing import Protocol

from pydantic import Field, model_validator

from ..facts.ports import DEFAULT_METRICS_PORT, DEFAULT_PORT, LATENCY_EXPORTER_PORT
from .base import ArgsModel, StrInput, StrListInput, TagsInput
from .fields import cidr_problems, instance_problems, port_problems, s3_uri_problems
from .identifiers import (
    ec2_id_problems,
    future_time_problems,
    iam_role_name_problems,
    kms_key_arn_problems,
    region_name_problems,
    tag_problems,
    zone_problems,
)
from .problems import Problem, raise_if_problems

DEFAULT_ALLOWED_CIDRS = ("10.0.0.0/8",)
# A security group holds 60 inbound rules by default (Amazon VPC quotas); each CIDR of a list
# takes one, and the API, metrics and VPC lists share them.
MAX_RULE_CIDRS = 25
MAX_SSH_CIDRS = 5  # ours
# Tags a component adds beside the user's: Purpose, graviton-llm:component and ManagedBy
# (components/parts/tagging.py), and Name.
OUR_TAGS = 4


class ServingNetwork(ArgsModel):
    """Who may reach a node, on which port: the fields a cluster and a standalone
    ServingSecurity share (one definition, one set of rules: ``security_problems``)."""

    port: int = DEFAULT_PORT
    """vLLM's OpenAI-compatible API port."""
    metrics_port: int = DEFAULT_METRICS_PORT
    """Prometheus exporter port (neuron-monitor or node metrics)."""
    allowed_cidrs: StrListInput = Field(default_factory=lambda: list(DEFAULT_ALLOWED_CIDRS))
    """Private CIDRs allowed to reach port (at most 25). Public ranges are refused: the service
    is VPC-internal. A list whose items may be Outputs, or an Output of the whole list."""
    metrics_cidrs: StrListInput = Field(default_factory=list)
    """Private CIDRs allowed to scrape metrics_port from outside the node (e.g. your Prometheus),
    at most 25. Empty (default): closed; the CloudWatch agent scrapes on the node."""
    ssh_cidrs: StrListInput = Field(default_factory=list)
    """Private CIDRs allowed SSH (at most 5). Empty (default): no port 22; use SSM Session
    Manager, which the role permits."""

    @property
    def network(self) -> dict[str, object]:
        """These fields, to hand to a ServingSecurity."""
        return {name: getattr(self, name) for name in ServingNetwork.model_fields}


class ServingSecurityArgs(ServingNetwork):
    """Network and identity for nodes: VPC-internal ingress, SSM access, a protected role."""

    vpc_id: StrInput
    """VPC the security group belongs to."""
    vpc_cidr: StrInput | StrListInput | None = None
    """The VPC's CIDRs (one, a list, or an Output of either: primary and secondary), also allowed on
    port so the internal NLB's health checks, sent from its private addresses in any of the
    VPC's subnets, reach the nodes. The cluster looks them up."""
    tags: TagsInput = Field(default_factory=dict)
    """Tags on every resource; a value may be an Output."""

    @model_validator(mode="after")
    def _validate(self) -> ServingSecurityArgs:
        problems = security_problems(self)
        if isinstance(self.vpc_id, str):
            problems += ec2_id_problems("vpc_id", self.vpc_id, "vpc")
        if isinstance(self.vpc_cidr, str):
            problems += cidr_problems("vpc_cidr", [self.vpc_cidr])
        elif isinstance(self.vpc_cidr, list):
            problems += cidr_problems("vpc_cidr", self.vpc_cidr)
        problems += tag_problems("tags", self.tags, ours=OUR_TAGS, instance_metadata=False)
        raise_if_problems(type(self).__name__, problems)
        return self


class NetworkView(Protocol):
    """What ``security_problems`` reads: a ServingNetwork, or a view of one (args/views.py)."""

    @property
    def port(self) -> int: ...
    @property
    def metrics_port(self) -> int: ...
    @property
    def allowed_cidrs(self) -> StrListInput: ...
    @property
    def metrics_cidrs(self) -> StrListInput: ...
    @property
    def ssh_cidrs(self) -> StrListInput: ...


def security_problems(net: NetworkView) -> list[Problem]:
    """The network rules a cluster and a standalone ServingSecurity share."""
    port, metrics_port = net.port, net.metrics_port
    problems = [
        *port_problems("port", port),
        *port_problems("metrics_port", metrics_port),
        *cidr_problems("allowed_cidrs", net.allowed_cidrs),
        *cidr_problems("ssh_cidrs", net.ssh_cidrs),
        *cidr_problems("metrics_cidrs", net.metrics_cidrs),
    ]
    if port == metrics_port:
        problems.append(
            Problem(
                "port",
                port,
                f"clashes with the metrics exporter on metrics_port {metrics_port}; "
                f"use different ports (defaults {DEFAULT_PORT} and {DEFAULT_METRICS_PORT})",
            )
        )
    for field, value in (("port", port), ("metrics_port", metrics_port)):
        if value == LATENCY_EXPORTER_PORT:
            problems.append(
                Problem(
                    field,
                    LATENCY_EXPORTER_PORT,
                    f"{LATENCY_EXPORTER_PORT} is the node's latency exporter; pick another port",
                )
            )
    if net.allowed_cidrs == []:
        problems.append(
            Problem("allowed_cidrs", [], "no client could reach the service; give a private CIDR")
        )
    for field, most in (("allowed_cidrs", MAX_RULE_CIDRS), ("metrics_cidrs", MAX_RULE_CIDRS),
                        ("ssh_cidrs", MAX_SSH_CIDRS)):  # fmt: skip
        cidrs = getattr(net, field)
        if isinstance(cidrs, list) and len(cidrs) > most:
            problems.append(
                Problem(field, f"{len(cidrs)} CIDRs", f"give at most {most}: each takes one of "
                        "the security group's 60 inbound rules")
            )  # fmt: skip
    return problems


class WeightsBucketAccessArgs(ArgsModel):
    """Read-only access for a role to one model's weights prefix."""

    role: StrInput
    """Name of the IAM role to grant read access."""
    weights_uri: str
    """s3://bucket/prefix/ the role may read."""
    kms_key_arn: StrInput | None = None
    """KMS key that encrypts the objects (SSE-KMS). Grants kms:Decrypt on this key only when called
    via S3."""
    region: str | None = None
    """Region of the bucket, to scope kms:ViaService."""

    @model_validator(mode="after")
    def _validate(self) -> WeightsBucketAccessArgs:
        problems = s3_uri_problems("weights_uri", self.weights_uri)
        if isinstance(self.role, str):
            problems += iam_role_name_problems("role", self.role)
        if isinstance(self.kms_key_arn, str):
            problems += kms_key_arn_problems("kms_key_arn", self.kms_key_arn)
        if self.region is not None:
            problems += region_name_problems("region", self.region)
        raise_if_problems(type(self).__name__, problems)
        return self


class ReservedCapacityArgs(ArgsModel):
    """Reserved capacity for the nodes: On-Demand Capacity Reservations (cancellable, billed
    while they exist), or an existing Capacity Block to target.

    Give either ``availability_zones`` (ODCRs are created) or ``capacity_block_id`` (nothing is
    created or bought: the block must already be purchased; Capacity Blocks are non-cancellable).
    """

    instance_type: str | None = None
    """Instance type to reserve; inside a cluster, defaults to the cluster's."""
    availability_zones: list[str] = Field(default_factory=list, max_length=16)  # ours
    """Zones to create ODCRs in, e.g. ['us-east-1a', 'us-east-1b']."""
    instances_per_zone: int = Field(default=1, ge=1, le=1000)
    """Instances reserved in each zone."""
    end_date: str | None = None
    """RFC 3339 time the reservations end; None keeps them until deleted."""
    capacity_block_id: str | None = None
    """Id (cr-...) of a Capacity Block for ML you already bought. The launch template gets market
    type 'capacity-block' and the group launches only into it."""
    tags: TagsInput = Field(default_factory=dict)
    """Tags on the reservations; inside a cluster, on top of the cluster's."""

    @model_validator(mode="after")
    def _validate(self) -> ReservedCapacityArgs:
        problems = []
        if self.instance_type is not None:
            problems += instance_problems("instance_type", self.instance_type)[1]
        for i, zone in enumerate(self.availability_zones):
            problems += zone_problems(f"availability_zones.{i}", zone)
        if len(set(self.availability_zones)) < len(self.availability_zones):
            problems.append(
                Problem("availability_zones", self.availability_zones, "lists a zone twice; "
                        "raise instances_per_zone instead")
            )  # fmt: skip
        if self.end_date is not None:
            problems += future_time_problems("end_date", self.end_date)
        problems += tag_problems("tags", self.tags, ours=OUR_TAGS, instance_metadata=False)
        if self.capacity_block_id is not None:
            problems += ec2_id_problems("capacity_block_id", self.capacity_block_id, "cr")
            if self.availability_zones:
                problems.append(
                    Problem(
                        "availability_zones",
                        self.availability_zones,
                        "give either availability_zones (create ODCRs) or capacity_block_id "
                        "(target a block), not both",
                    )
                )
        elif not self.availability_zones:
            problems.append(
                Problem(
                    "availability_zones",
                    self.availability_zones,
                    "list at least one zone to reserve in, e.g. ['us-east-1a'], or give "
                    "capacity_block_id",
                )
            )
        raise_if_problems(type(self).__name__, problems)
        return self

    @property
    def instance_count(self) -> int:
        """Instances held by the ODCRs this creates (a Capacity Block is prepaid: 0 here)."""
        return self.instances_per_zone * len(self.availability_zones)


def standalone_capacity_problems(args: ReservedCapacityArgs) -> list[Problem]:
    """Outside a cluster nothing fills in the instance type the reservations hold."""
    if args.instance_type is None and args.capacity_block_id is None:
        return [
            Problem(
                "instance_type",
                None,
                "is required outside a cluster (inside one it defaults to the cluster's), "
                "e.g. 'inf2.48xlarge'",
            )
        ]
    return []


class ServingMonitoringArgs(ArgsModel):
    """What to watch and where to send alarms. The cluster fills every field from its own
    args (``monitoring`` and ``rollout``) and the resources it created."""

    alarm_name_prefix: str
    """Alarm names are '<prefix>-<alarm>': explicit, so an instance refresh can name them before
    they exist."""
    auto_scaling_group_name: StrInput
    """The cluster's Auto Scaling group (the alarms' AutoScalingGroupName dimension)."""
    target_group_arn_suffix: StrInput
    """The target group's ARN suffix (the NLB alarms' TargetGroup dimension)."""
    load_balancer_arn_suffix: StrInput
    """The load balancer's ARN suffix (the NLB alarms' LoadBalancer dimension)."""
    region: str
    """Region of the dashboard's widgets."""
    error_rate_percent: float
    """The 5xx share of requests the error-rate alarm fires above (rollout.error_rate_percent)."""
    evaluation_minutes: int
    """Minutes a condition must hold before an alarm fires."""
    latency_seconds: float
    """The p99 end-to-end latency the latency alarm fires above."""
    device_memory_percent: float
    """The Neuron device memory use the memory alarm fires above."""
    device_memory_gib: float | None
    """Device memory of the cores in use; None on CPU nodes."""
    alarm_topic: bool
    """Create an SNS topic and send every alarm to it."""
    alarm_emails: list[str]
    """E-mail subscriptions for the topic."""
    dashboard: bool
    """Create a CloudWatch dashboard."""
    metrics_log_group: str
    """Log group the nodes' CloudWatch agent writes metrics to (created here)."""
    log_retention_days: int
    """Days CloudWatch Logs keeps the metric logs."""
    tags: TagsInput
    """Tags on every resource."""


class ArtifactCacheAccessArgs(ArgsModel):
    """Read and publish access for a role to one cluster's compiled artifacts in S3."""

    role: StrInput
    """Name of the IAM role the nodes run as."""
    cache_uri: str
    """s3://bucket/prefix/ of the cluster's artifacts: the cache's root and the cluster's static
    artifact key. The role reads under it and writes only blobs and manifests below it."""
    kms_key_arn: StrInput | None = None
    """KMS key of the cache bucket's default encryption (SSE-KMS): data keys and decryption with it,
    only when called via S3."""
    region: str | None = None
    """Region of the bucket, to scope kms:ViaService."""

    @model_validator(mode="after")
    def _validate(self) -> ArtifactCacheAccessArgs:
        problems = s3_uri_problems("cache_uri", self.cache_uri, "cache location")
        if isinstance(self.role, str):
            problems += iam_role_name_problems("role", self.role)
        if isinstance(self.kms_key_arn, str):
            problems += kms_key_arn_problems("kms_key_arn", self.kms_key_arn)
        if self.region is not None:
            problems += region_name_problems("region", self.region)
        raise_if_problems(type(self).__name__, problems)
        return self
