"""Args of the components a cluster is built from, usable on their own: ServingSecurity,
WeightsBucketAccess, ReservedCapacity and ServingMonitoring."""

from __future__ import annotations

import re

from pydantic import Field, model_validator

from ..facts.ports import DEFAULT_METRICS_PORT, DEFAULT_PORT, LATENCY_EXPORTER_PORT
from .base import ArgsModel, StrInput
from .fields import cidr_problems, instance_problems, port_problems, s3_uri_problems
from .problems import Problem, raise_if_problems

DEFAULT_ALLOWED_CIDRS = ("10.0.0.0/8",)


class ServingSecurityArgs(ArgsModel):
    """Network and identity for nodes: VPC-internal ingress, SSM access, a protected role."""

    vpc_id: StrInput = Field(description="VPC the security group belongs to.")
    port: int = Field(default=DEFAULT_PORT, description="vLLM's OpenAI-compatible API port.")
    metrics_port: int = Field(
        default=DEFAULT_METRICS_PORT,
        description="Prometheus exporter port (neuron-monitor or node metrics).",
    )
    allowed_cidrs: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_CIDRS),
        description="Private CIDRs allowed to reach port and metrics_port. Public ranges are "
        "refused: the service is VPC-internal.",
    )
    vpc_cidr: StrInput | None = Field(
        default=None,
        description="The VPC's own CIDR, also allowed on port so the internal NLB's health "
        "checks (sent from its private addresses) reach the nodes. The cluster looks it up.",
    )
    ssh_cidrs: list[str] = Field(
        default_factory=list,
        description="Private CIDRs allowed SSH. Empty (default): no port 22; use SSM Session "
        "Manager, which the role permits.",
    )
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _validate(self) -> ServingSecurityArgs:
        raise_if_problems(
            type(self).__name__,
            security_problems(self.port, self.metrics_port, self.allowed_cidrs, self.ssh_cidrs),
        )
        return self


def security_problems(
    port: int, metrics_port: int, allowed_cidrs: list[str], ssh_cidrs: list[str]
) -> list[Problem]:
    """The network rules a cluster and a standalone ServingSecurity share."""
    problems = [
        *port_problems("port", port),
        *port_problems("metrics_port", metrics_port),
        *cidr_problems("allowed_cidrs", allowed_cidrs),
        *cidr_problems("ssh_cidrs", ssh_cidrs),
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
    if not allowed_cidrs:
        problems.append(
            Problem("allowed_cidrs", [], "no client could reach the service; give a private CIDR")
        )
    return problems


class WeightsBucketAccessArgs(ArgsModel):
    """Read-only access for a role to one model's weights prefix."""

    role: StrInput = Field(description="Name of the IAM role to grant read access.")
    weights_uri: str = Field(description="s3://bucket/prefix/ the role may read.")
    kms_key_arn: StrInput | None = Field(
        default=None,
        description="KMS key that encrypts the objects (SSE-KMS). Grants kms:Decrypt on this key "
        "only when called via S3.",
    )
    region: str | None = Field(
        default=None, description="Region of the bucket, to scope kms:ViaService."
    )

    @model_validator(mode="after")
    def _validate(self) -> WeightsBucketAccessArgs:
        raise_if_problems(type(self).__name__, s3_uri_problems("weights_uri", self.weights_uri))
        return self


class ReservedCapacityArgs(ArgsModel):
    """Reserved capacity for the nodes: On-Demand Capacity Reservations (cancellable, billed
    while they exist), or an existing Capacity Block to target.

    Give either ``availability_zones`` (ODCRs are created) or ``capacity_block_id`` (nothing is
    created or bought: the block must already be purchased; Capacity Blocks are non-cancellable).
    """

    instance_type: str | None = Field(
        default=None,
        description="Instance type to reserve; inside a cluster, defaults to the cluster's.",
    )
    availability_zones: list[str] = Field(
        default_factory=list,
        description="Zones to create ODCRs in, e.g. ['us-east-1a', 'us-east-1b'].",
    )
    instances_per_zone: int = Field(default=1, description="Instances reserved in each zone.")
    end_date: str | None = Field(
        default=None,
        description="RFC 3339 time the reservations end; None keeps them until deleted.",
    )
    capacity_block_id: str | None = Field(
        default=None,
        description="Id (cr-...) of a Capacity Block for ML you already bought. The launch "
        "template gets market type 'capacity-block' and the group launches only into it.",
    )
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _validate(self) -> ReservedCapacityArgs:
        problems = []
        if self.instance_type is not None:
            problems += instance_problems("instance_type", self.instance_type)[1]
        if self.instances_per_zone < 1:
            problems.append(Problem("instances_per_zone", self.instances_per_zone, "must be >= 1"))
        if self.capacity_block_id is not None:
            if not _RESERVATION_ID.fullmatch(self.capacity_block_id):
                problems.append(
                    Problem(
                        "capacity_block_id",
                        self.capacity_block_id,
                        "must be a capacity reservation id, e.g. cr-0123456789abcdef0",
                    )
                )
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


_RESERVATION_ID = re.compile(r"cr-[0-9a-f]{8,17}")


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

    alarm_name_prefix: str = Field(
        description="Alarm names are '<prefix>-<alarm>': explicit, so an instance refresh can "
        "name them before they exist."
    )
    auto_scaling_group_name: StrInput
    target_group_arn_suffix: StrInput
    load_balancer_arn_suffix: StrInput
    region: str
    error_rate_percent: float
    evaluation_minutes: int
    latency_seconds: float
    device_memory_percent: float
    device_memory_gib: float | None = Field(
        description="Device memory of the cores in use; None on CPU nodes."
    )
    alarm_topic: bool
    alarm_emails: list[str]
    dashboard: bool
    tags: dict[str, str]
