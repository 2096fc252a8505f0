"""Typed args for every component: what a user may set, its default, and what AWS does with it.

Each model validates all its rules at once and raises one ``ValidationError`` (a ``ValueError``)
listing every problem by field, before any resource is registered.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import catalog, images, timing
from .catalog import DTYPE_BYTES, InstanceSpec, ModelInfo
from .models import known_model_ids, nonexistent_model_hint, resolve_model
from .operations_args import (
    CapacityMode,
    MonitoringArgs,
    RolloutArgs,
    ScalingArgs,
    SpotArgs,
    WarmPoolArgs,
    operations_problems,
)
from .validation import (
    Problem,
    cidr_problems,
    instance_problems,
    largest_batch_that_fits,
    memory_fit,
    port_problems,
    raise_if_problems,
    region_problems,
    s3_uri_problems,
)

# A plain value or a Pulumi Output (e.g. the id of a VPC the same stack creates).
StrInput = str | pulumi.Output

# neuron-monitor-prometheus.py defaults to port 8000, which clashes with vLLM; node_exporter's
# well-known 9100 serves both paths' metrics instead.
DEFAULT_METRICS_PORT = 9100
DEFAULT_PORT = 8000  # vLLM's own default for `vllm serve`
# The node's latency exporter (node/latency_exporter.py), on 127.0.0.1 only.
LATENCY_EXPORTER_PORT = 9101
DEFAULT_ALLOWED_CIDRS = ("10.0.0.0/8",)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


def _known(value: Any) -> bool:
    """True when a value is known at preview time (not a Pulumi Output)."""
    return not isinstance(value, pulumi.Output)


class ModelSpec(_Args):
    """The model to serve and where its weights are."""

    id: str = Field(
        description="Hugging Face model id, e.g. meta-llama/Llama-3.1-8B-Instruct. Used as the "
        "served model name; the weights come from weights_uri, never from a hub at boot."
    )
    weights_uri: str = Field(
        description="s3://bucket/prefix/ holding the model directory (config.json, "
        "*.safetensors, tokenizer). Nodes read only this prefix."
    )
    params_billion: float | None = Field(
        default=None,
        description="Parameter count in billions. Optional for models in the known-models "
        "table; required for any other model, to size memory and disk.",
    )
    dtype: Literal["bfloat16", "float16", "float32"] = Field(
        default="bfloat16", description="Weight and KV-cache dtype passed to vLLM."
    )

    @property
    def info(self) -> ModelInfo | None:
        return resolve_model(self.id)

    @property
    def resolved_params_billion(self) -> float:
        if self.params_billion is not None:
            return self.params_billion
        info = self.info
        if info is None:
            raise ValueError(f"model.params_billion is required for unknown model {self.id!r}")
        return info.params_billion

    @property
    def weights_gib(self) -> float:
        return self.resolved_params_billion * 1e9 * DTYPE_BYTES[self.dtype] / catalog.GIB


def model_problems(model: ModelSpec, accelerator: str | None) -> list[Problem]:
    problems = s3_uri_problems("model.weights_uri", model.weights_uri)
    info = model.info
    hint = nonexistent_model_hint(model.id)
    if hint is not None:
        problems.append(Problem("model.id", model.id, hint))
    elif info is None and model.params_billion is None:
        problems.append(
            Problem(
                "model.id",
                model.id,
                f"'{model.id}' is not in the known-models table ({', '.join(known_model_ids())}); "
                "set model.params_billion so memory and disk can be sized",
            )
        )
    if info is not None and info.vision and accelerator == "neuron":
        problems.append(
            Problem(
                "model.id",
                model.id,
                "Llama 3.2 Vision (mllama) is not supported by the vLLM Neuron plugin; serve a "
                "text model (e.g. meta-llama/Llama-3.1-8B-Instruct) on Neuron, or use a "
                "Graviton4 instance (accelerator 'cpu')",
            )
        )
    if model.params_billion is not None and model.params_billion <= 0:
        problems.append(Problem("model.params_billion", model.params_billion, "must be > 0"))
    return problems


class ServingSecurityArgs(_Args):
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
        raise_if_problems(type(self).__name__, security_problems(self))
        return self


def security_problems(args: ServingSecurityArgs | NeuronServingClusterArgs) -> list[Problem]:
    problems = [
        *port_problems("port", args.port),
        *port_problems("metrics_port", args.metrics_port),
        *cidr_problems("allowed_cidrs", args.allowed_cidrs),
        *cidr_problems("ssh_cidrs", args.ssh_cidrs),
    ]
    if args.port == args.metrics_port:
        problems.append(
            Problem(
                "port",
                args.port,
                f"clashes with the metrics exporter on metrics_port {args.metrics_port}; "
                f"use different ports (defaults {DEFAULT_PORT} and {DEFAULT_METRICS_PORT})",
            )
        )
    for field in ("port", "metrics_port"):
        if getattr(args, field) == LATENCY_EXPORTER_PORT:
            problems.append(
                Problem(
                    field,
                    LATENCY_EXPORTER_PORT,
                    f"{LATENCY_EXPORTER_PORT} is the node's latency exporter; pick another port",
                )
            )
    if not args.allowed_cidrs:
        problems.append(
            Problem("allowed_cidrs", [], "no client could reach the service; give a private CIDR")
        )
    return problems


class WeightsBucketAccessArgs(_Args):
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


class ReservedCapacityArgs(_Args):
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


class NeuronServingClusterArgs(_Args):
    """A vLLM serving cluster: launch template, Auto Scaling group and internal NLB.

    Only vpc_id, subnet_ids, instance_type and model are required; every other field has a
    secure, working default.
    """

    vpc_id: StrInput = Field(description="VPC to serve in.")
    subnet_ids: list[StrInput] = Field(
        description="Private subnets (one per AZ) for the nodes and the internal NLB."
    )
    instance_type: str = Field(
        description="inf2/trn1/trn1n/trn2 for Neuron, r8g/m8g/c8g (Graviton4) for CPU serving."
    )
    accelerator: Literal["neuron", "cpu"] | None = Field(
        default=None,
        description="Derived from instance_type when omitted; must match it when given.",
    )
    model: ModelSpec
    tensor_parallel_size: int | None = Field(
        default=None,
        description="NeuronCores per model replica. Default: the largest degree the Neuron "
        "runtime supports within the instance's cores (24 on inf2.48xlarge, 8 on "
        "inf2.24xlarge); 1 on CPU.",
    )
    max_model_len: int = Field(default=4096, description="Max tokens (prompt + output).")
    max_num_seqs: int = Field(default=256, description="Max concurrent sequences per node.")
    max_num_batched_tokens: int = Field(default=8192, description="Tokens per scheduler step.")
    enable_prefix_caching: bool = Field(default=True)
    port: int = Field(default=DEFAULT_PORT, description="vLLM's OpenAI-compatible API port.")
    metrics_port: int = Field(default=DEFAULT_METRICS_PORT)
    allowed_cidrs: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_CIDRS),
        description="Private CIDRs allowed to reach the API and metrics ports.",
    )
    ssh_cidrs: list[str] = Field(default_factory=list)
    min_size: int = Field(default=3)
    max_size: int = Field(default=3)
    desired_capacity: int = Field(default=3)
    weights_kms_key_arn: StrInput | None = Field(default=None)
    region: str | None = Field(
        default=None, description="AWS region; default: the stack's aws:region."
    )
    capacity: ReservedCapacityArgs | None = Field(
        default=None, description="Reserve capacity (ODCRs) for the nodes and target it."
    )
    image: str | None = Field(
        default=None, description="vLLM container image; default: pinned per instance family."
    )
    ami_id: StrInput | None = Field(
        default=None,
        description="AMI for reproducible fleets; default: the latest Neuron base DLAMI "
        "(Neuron) or AL2023 arm64 (CPU), looked up from SSM at deploy time.",
    )
    root_device_name: str = Field(
        default="/dev/xvda", description="Root device of the AMI (AL2023 images: /dev/xvda)."
    )
    root_volume_gib: int | None = Field(
        default=None, description="Root gp3 volume; default: sized for image, weights, artifacts."
    )
    health_check_grace_seconds: int | None = Field(
        default=None,
        description="ASG health-check grace after a node enters service; default "
        f"{timing.IN_SERVICE_SETTLE_SECONDS} s. A "
        "node only enters service once it serves (launch lifecycle hook), so this need not "
        "cover the download or compile; 0 is allowed.",
    )
    capacity_mode: CapacityMode = Field(
        default="on_demand",
        description="on_demand; spot_with_on_demand_base (Spot above spot.on_demand_base_capacity "
        "on-demand nodes, capacity-optimized, capacity rebalance); reserved (only the "
        "capacity reservations in `capacity`).",
    )
    spot: SpotArgs = Field(default_factory=SpotArgs)
    rollout: RolloutArgs = Field(default_factory=RolloutArgs)
    warm_pool: WarmPoolArgs | None = Field(
        default=None, description="Keep prepared instances stopped in an ASG warm pool."
    )
    scaling: ScalingArgs = Field(default_factory=ScalingArgs)
    monitoring: MonitoringArgs = Field(default_factory=MonitoringArgs)
    environment: str | None = Field(
        default=None, description="Tagged as Environment on every resource (e.g. prod)."
    )
    owner: str | None = Field(
        default=None, description="Tagged as Owner on every resource (e.g. a team)."
    )
    api_key_ssm_parameter: str | None = Field(
        default=None,
        description="Name of an SSM Parameter Store SecureString holding the API key clients "
        "must send (vLLM --api-key). Read on the node at start; never written into user data. "
        "None (default): no key, the endpoint is protected by the VPC and security group only.",
    )
    api_key_kms_key_arn: StrInput | None = Field(
        default=None,
        description="Customer managed KMS key of that SecureString, if any: the node role may "
        "decrypt with it only through SSM. Not needed for the AWS managed aws/ssm key.",
    )
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _validate(self) -> NeuronServingClusterArgs:
        raise_if_problems(type(self).__name__, cluster_problems(self))
        # Fill the derived defaults now that the combination is known to be valid.
        spec = self.spec
        if self.accelerator is None:
            self.accelerator = spec.accelerator
        if self.tensor_parallel_size is None:
            self.tensor_parallel_size = catalog.default_tensor_parallel_size(spec)
        if self.image is None:
            self.image = images.default_image(spec)
        return self

    @property
    def spec(self) -> InstanceSpec:
        spec = catalog.instance_spec(self.instance_type)
        if spec is None:
            raise ValueError(f"instance_type {self.instance_type!r} is not in the catalog")
        return spec


def _accelerator_problems(args: NeuronServingClusterArgs, spec: InstanceSpec) -> list[Problem]:
    if args.accelerator is None or args.accelerator == spec.accelerator:
        return []
    if args.accelerator == "neuron":
        message = (
            f"{spec.name} is a Graviton ({spec.architecture}) instance: no Graviton instance has "
            "Neuron devices. Use accelerator 'cpu' to serve on Graviton4 with vLLM's CPU "
            "backend, or a Neuron instance (inf2, trn1, trn1n, trn2; x86_64 hosts)"
        )
    else:
        message = (
            f"{spec.name} is a Neuron instance; serve it with accelerator 'neuron', or pick a "
            "Graviton4 type (r8g/m8g/c8g) for CPU serving"
        )
    return [Problem("accelerator", args.accelerator, message)]


def _tensor_parallel_problems(args: NeuronServingClusterArgs, spec: InstanceSpec) -> list[Problem]:
    tp = args.tensor_parallel_size
    if tp is None:
        return []
    family = spec.neuron_family
    if family is None:
        if tp != 1:
            return [
                Problem(
                    "tensor_parallel_size",
                    tp,
                    "the CPU path serves one replica per node; use 1 (the default)",
                )
            ]
        return []
    usable = [d for d in family.tensor_parallel_degrees if d <= spec.neuron_cores]
    if tp in usable:
        return []
    if tp in family.tensor_parallel_degrees:
        why = f"exceeds the {spec.neuron_cores} NeuronCores of {spec.name}"
    else:
        why = (
            f"is not a degree the Neuron runtime supports on {family.name} "
            f"({', '.join(map(str, family.tensor_parallel_degrees))})"
        )
    return [
        Problem(
            "tensor_parallel_size",
            tp,
            f"{tp} {why}; on {spec.name} use one of {', '.join(map(str, usable))}",
        )
    ]


def _chunked_prefill_problems(args: NeuronServingClusterArgs, spec: InstanceSpec) -> list[Problem]:
    """The NxDI-based plugin has no chunked prefill ("Chunked prefill is not supported on Neuron",
    vLLM User Guide for NxD Inference), and without it vLLM requires a step budget of at least
    max_model_len, or a full-length prompt could never be scheduled."""
    if images.serving_stack(spec) != "neuron-nxdi":
        return []
    if 0 < args.max_num_batched_tokens < args.max_model_len:
        return [
            Problem(
                "max_num_batched_tokens",
                args.max_num_batched_tokens,
                f"must be >= max_model_len ({args.max_model_len}) on {spec.family}: the Neuron "
                "NxDI plugin has no chunked prefill; raise it or lower max_model_len",
            )
        ]
    return []


# Nodes expose their tags in instance metadata (the boot script reads its group's name there),
# and then EC2 refuses to launch an instance whose tag keys break these rules: only letters,
# digits and + - = . , _ : @; no spaces or /; not ".", ".." or "_index" (EC2 User Guide, "View
# tags for your EC2 instances using instance metadata").
_METADATA_TAG_KEY = re.compile(r"[A-Za-z0-9+\-=.,_:@]+")


def _instance_tag_problems(tags: dict[str, str]) -> list[Problem]:
    return [
        Problem(
            f"tags.{key}",
            key,
            "tag keys reach instance metadata, where EC2 allows only letters, digits and "
            "+ - = . , _ : @ (no spaces or /); e.g. 'team:owner' instead of 'team/owner'",
        )
        for key in tags
        if not _METADATA_TAG_KEY.fullmatch(key) or key in (".", "..", "_index")
    ]


def _size_problems(args: NeuronServingClusterArgs) -> list[Problem]:
    problems = []
    for field in ("max_model_len", "max_num_seqs", "max_num_batched_tokens"):
        value = getattr(args, field)
        if value <= 0:
            problems.append(Problem(field, value, "must be a positive number of tokens/sequences"))
    # vLLM's SchedulerConfig refuses a step budget smaller than the batch.
    if 0 < args.max_num_batched_tokens < args.max_num_seqs:
        problems.append(
            Problem(
                "max_num_batched_tokens",
                args.max_num_batched_tokens,
                f"must be >= max_num_seqs ({args.max_num_seqs}), as vLLM requires",
            )
        )
    if not args.subnet_ids:
        problems.append(
            Problem("subnet_ids", [], "give at least one private subnet (one per AZ is best)")
        )
    if args.min_size < 0:
        problems.append(Problem("min_size", args.min_size, "must be >= 0"))
    if args.min_size > args.max_size:
        problems.append(Problem("min_size", args.min_size, f"is above max_size ({args.max_size})"))
    elif not args.min_size <= args.desired_capacity <= args.max_size:
        problems.append(
            Problem(
                "desired_capacity",
                args.desired_capacity,
                f"must lie within min_size..max_size ({args.min_size}..{args.max_size})",
            )
        )
    if args.root_volume_gib is not None and args.root_volume_gib < 8:
        problems.append(Problem("root_volume_gib", args.root_volume_gib, "must be >= 8"))
    parameter = args.api_key_ssm_parameter
    if parameter is not None and not re.fullmatch(r"/[A-Za-z0-9_.\-/]{1,1010}", parameter):
        problems.append(
            Problem(
                "api_key_ssm_parameter",
                parameter,
                "must be an SSM parameter name starting with '/', e.g. /llm/prod/api-key",
            )
        )
    problems += _instance_tag_problems(args.tags)
    if args.api_key_kms_key_arn is not None and args.api_key_ssm_parameter is None:
        problems.append(
            Problem(
                "api_key_kms_key_arn",
                args.api_key_kms_key_arn,
                "only used with api_key_ssm_parameter (the SecureString it decrypts)",
            )
        )
    if args.health_check_grace_seconds is not None and args.health_check_grace_seconds < 0:
        problems.append(
            Problem("health_check_grace_seconds", args.health_check_grace_seconds, "must be >= 0")
        )
    return problems


def _fit_problems(args: NeuronServingClusterArgs, spec: InstanceSpec) -> list[Problem]:
    model = args.model
    info = model.info
    if model.params_billion is None and info is None:
        return []  # already reported under model.id
    if info is not None and args.max_model_len > info.max_context:
        return [
            Problem(
                "max_model_len",
                args.max_model_len,
                f"exceeds {info.id}'s context of {info.max_context} tokens",
            )
        ]
    if min(args.max_model_len, args.max_num_seqs) <= 0:
        return []
    tp = args.tensor_parallel_size or catalog.default_tensor_parallel_size(spec)
    fit = memory_fit(
        spec=spec,
        params_billion=model.resolved_params_billion,
        dtype_bytes=DTYPE_BYTES[model.dtype],
        tensor_parallel_size=tp,
        max_model_len=args.max_model_len,
        max_num_seqs=args.max_num_seqs,
        model=info,
    )
    if fit.fits:
        return []
    where = (
        f"{tp} NeuronCores x {spec.neuron_family.device_memory_per_core_gib} GiB"
        if spec.neuron_family
        else f"{spec.name}'s {spec.memory_gib} GiB host RAM"
    )
    message = (
        f"{model.id} does not fit: {fit.weights_gib:.1f} GiB weights ({model.dtype}) + "
        f"{fit.kv_cache_gib:.1f} GiB KV cache ({args.max_num_seqs} seqs x {args.max_model_len} "
        f"tokens) + {fit.headroom_gib:.1f} GiB headroom = {fit.required_gib:.1f} GiB > "
        f"{fit.available_gib:.0f} GiB ({where})"
    )
    batch = largest_batch_that_fits(fit, args.max_num_seqs)
    if batch >= 1:
        message += f"; max_num_seqs <= {batch} or a shorter max_model_len would fit"
    else:
        message += "; use a larger instance, a higher tensor_parallel_size, or a smaller model"
    return [Problem("model", model.id, message)]


def cluster_problems(args: NeuronServingClusterArgs) -> list[Problem]:
    """Every reason this cluster could not serve, found without touching AWS."""
    spec, problems = instance_problems("instance_type", args.instance_type)
    problems += security_problems(args)
    problems += _size_problems(args)
    problems += model_problems(args.model, args.accelerator or (spec and spec.accelerator))
    if spec is None:
        return problems
    problems += _accelerator_problems(args, spec)
    problems += _tensor_parallel_problems(args, spec)
    problems += _chunked_prefill_problems(args, spec)
    if args.region is not None:
        problems += region_problems("region", args.region, spec)
    if not any(p.field in ("tensor_parallel_size", "accelerator") for p in problems):
        problems += _fit_problems(args, spec)
    if args.capacity is not None:
        problems += _capacity_problems(args, spec)
    problems += operations_problems(args)
    return problems


def _capacity_problems(args: NeuronServingClusterArgs, spec: InstanceSpec) -> list[Problem]:
    capacity = args.capacity
    assert capacity is not None
    problems = []
    if capacity.instance_type not in (None, spec.name):
        problems.append(
            Problem(
                "capacity.instance_type",
                capacity.instance_type,
                f"must match the cluster's instance_type {spec.name} (or be omitted)",
            )
        )
    if args.region is not None:
        for i, zone in enumerate(capacity.availability_zones):
            if not zone.startswith(args.region):
                problems.append(
                    Problem(
                        f"capacity.availability_zones.{i}",
                        zone,
                        f"is not a zone of region {args.region} (e.g. {args.region}a)",
                    )
                )
    return problems
