"""NeuronServingClusterArgs: everything a user may set on a cluster, its default, and what AWS
does with it. Validation runs every rule in ``cluster_rules`` at once and raises one
``ValidationError`` (a ``ValueError``) listing each problem by field, before any resource exists.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field, model_validator

from ..facts import catalog, images
from ..facts.catalog import Accelerator, InstanceSpec
from ..facts.memory import MemoryFit, largest_batch_that_fits, model_memory_gib
from .base import StrInput, StrListInput, TagsInput
from .cluster_rules import (
    DEFAULT_MAX_SEQS,
    cluster_memory_fit,
    cluster_problems,
)
from .components import ReservedCapacityArgs, ServingNetwork
from .model import ModelSpec
from .operations import (
    ArtifactCacheArgs,
    CapacityMode,
    MonitoringArgs,
    RolloutArgs,
    ScalingArgs,
    SpotArgs,
    WarmPoolArgs,
    artifact_cache_root,
)
from .problems import raise_if_problems

# Bounds: each where AWS sets one (cited at its use), the rest ours, far beyond any real cluster
# and far below what would overflow a number or a document.
MAX_TOKENS = 1_048_576  # ours: 2^20 tokens, beyond any supported context
MAX_SEQS = 4096  # ours
MAX_NODES = 1000  # ours: one group; EC2 quotas on accelerator instances are far lower
MAX_WAIT_SECONDS = 86_400  # ours: a day


class NeuronServingClusterArgs(ServingNetwork):
    """A vLLM serving cluster: launch template, Auto Scaling group and internal NLB.

    Only vpc_id, subnet_ids, instance_type and model are required; every other field has a
    secure, working default. Fields that name cloud objects (vpc_id, subnet_ids, allowed_cidrs,
    tags' values, KMS keys, ami_id, api_key_ssm_parameter) take a pulumi Input: a plain value is
    checked now, an Output when it resolves, before any node launches.
    """

    vpc_id: StrInput
    """VPC to serve in (vpc-...), or an Output of its id (a VPC the stack creates, a
    StackReference output)."""
    subnet_ids: StrListInput
    """Private subnets (one per AZ, at most 16) for the nodes and the internal NLB: a list whose
    items may be Outputs, or one Output of the whole list (awsx's `vpc.private_subnet_ids`,
    `aws.ec2.get_subnets_output(...).ids`, a StackReference output)."""
    instance_type: str
    """inf2/trn1/trn1n/trn2 for Neuron, r8g/m8g/c8g (Graviton4) for CPU serving."""
    accelerator: Accelerator | None = None
    """Derived from instance_type when omitted; must match it when given."""
    model: ModelSpec
    """The model to serve and where its weights are (ModelSpec)."""
    tensor_parallel_size: int | None = Field(default=None, ge=1, le=128)
    """NeuronCores per model replica. Default: the largest degree the Neuron runtime supports
    within the instance's cores (24 on inf2.48xlarge, 8 on inf2.24xlarge); 1 on CPU."""
    max_model_len: int = Field(default=4096, ge=1, le=MAX_TOKENS)
    """Max tokens (prompt + output)."""
    max_num_seqs: int | None = Field(default=None, ge=1, le=MAX_SEQS)
    """Max concurrent sequences per node. Default: the largest batch up to 256 (vLLM's own
    default) whose KV cache for max_model_len tokens fits beside the weights (Neuron reserves it
    all up front)."""
    max_num_batched_tokens: int = Field(default=8192, ge=1, le=MAX_TOKENS)
    """Tokens per scheduler step."""
    enable_prefix_caching: bool = True
    """vLLM automatic prefix caching (block KV layout on Neuron)."""
    min_size: int = Field(default=3, ge=0, le=MAX_NODES)
    """Group minimum size."""
    max_size: int = Field(default=3, ge=0, le=MAX_NODES)
    """Group maximum size."""
    desired_capacity: int = Field(default=3, ge=0, le=MAX_NODES)
    """Nodes at creation; later changes by an autoscaler or operator are kept."""
    weights_kms_key_arn: StrInput | None = None
    """KMS key ARN of the weights (SSE-KMS): the nodes may decrypt with it only through S3."""
    region: str | None = None
    """AWS region; default: the stack's aws:region."""
    capacity: ReservedCapacityArgs | None = None
    """Reserve capacity (ODCRs) for the nodes and target it (ReservedCapacityArgs)."""
    image: str | None = None
    """vLLM container image; default: pinned per instance family."""
    ami_id: StrInput | None = None
    """AMI for reproducible fleets; default: the latest Neuron base DLAMI (Neuron) or AL2023
    arm64 (CPU), looked up from SSM at deploy time."""
    root_device_name: str | None = None
    """Root device of the AMI, whose volume the template sizes and encrypts. Default: read from
    the AMI at deploy time (/dev/xvda on Amazon Linux, /dev/sda1 on Ubuntu): a mapping on another
    name would add a second disk and leave the root small."""
    # gp3: 1 GiB to 64 TiB (EBS User Guide, "General Purpose SSD volumes")
    root_volume_gib: int | None = Field(default=None, ge=8, le=65536)
    """Root gp3 volume; default: sized for image, weights, artifacts."""
    health_check_grace_seconds: int | None = Field(default=None, ge=0, le=MAX_WAIT_SECONDS)
    """ASG health-check grace after a node enters service; default 180 s (the NLB's health
    checks). A node only enters service once it serves (launch lifecycle hook), so this need not
    cover the download or compile; 0 is allowed."""
    capacity_mode: CapacityMode = "on_demand"
    """on_demand; spot_with_on_demand_base (Spot above spot.on_demand_base_capacity on-demand
    nodes, capacity-optimized, capacity rebalance); reserved (only the capacity reservations in
    `capacity`)."""
    spot: SpotArgs = Field(default_factory=SpotArgs)
    """Spot settings (SpotArgs)."""
    rollout: RolloutArgs = Field(default_factory=RolloutArgs)
    """How template changes roll out (RolloutArgs)."""
    warm_pool: WarmPoolArgs | None = None
    """Keep prepared instances stopped in an ASG warm pool (WarmPoolArgs)."""
    artifact_cache: ArtifactCacheArgs = Field(default_factory=ArtifactCacheArgs)
    """Compiled Neuron artifacts shared through S3 (ArtifactCacheArgs): compile once per model
    and shapes, download on every other node."""
    scaling: ScalingArgs = Field(default_factory=ScalingArgs)
    """Fixed size or target tracking (ScalingArgs)."""
    monitoring: MonitoringArgs = Field(default_factory=MonitoringArgs)
    """Alarms and dashboard (MonitoringArgs)."""
    environment: str | None = None
    """Tagged as Environment on every resource (e.g. prod)."""
    owner: str | None = None
    """Tagged as Owner on every resource (e.g. a team)."""
    api_key_ssm_parameter: StrInput | None = None
    """Name of an SSM Parameter Store SecureString holding the API key clients must send (vLLM
    --api-key). Read on the node at start; the key itself is never written into user data. The
    name may be a (secret) Output, e.g. `pulumi.Config().require_secret(...)`: it then stays out
    of the user data too; the cluster stores it in a SecureString of its own
    (/graviton-llm/<project>/<stack>/<name>/api-key-parameter) that the node reads first, and
    checks it when it resolves. None (default): no key, the endpoint is protected by the VPC and
    security group only."""
    api_key_kms_key_arn: StrInput | None = None
    """Customer managed KMS key of that SecureString, if any: the node role may decrypt with it
    only through SSM. Not needed for the AWS managed aws/ssm key."""
    tags: TagsInput = Field(default_factory=dict)
    """Tags on every resource and instance (EC2 instance-metadata tag rules); a value may be an
    Output."""

    @model_validator(mode="after")
    def _validate(self) -> NeuronServingClusterArgs:
        if self.max_num_seqs is None:
            self.max_num_seqs = default_max_num_seqs(self)
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

    @property
    def artifact_cache_root(self) -> tuple[str, str] | None:
        """(bucket, prefix/) of the compiled-artifact cache; None on CPU instances (nothing is
        compiled) or with the cache disabled."""
        if not self.artifact_cache.enabled or self.spec.accelerator != "neuron":
            return None
        return artifact_cache_root(self.model.weights_uri, self.artifact_cache.uri)

    @property
    def node_count(self) -> int:
        """Nodes a rollout replaces one at a time (at least one)."""
        return max(self.desired_capacity, 1)

    @property
    def memory_fit(self) -> MemoryFit:
        return cluster_memory_fit(self, self.spec)

    @property
    def model_memory_gib(self) -> float:
        """Weights + KV cache for these shapes on any hardware (facts/memory.py)."""
        model = self.model
        return model_memory_gib(
            model.resolved_params_billion,
            model.dtype,
            model.info,
            self.max_model_len,
            self.max_num_seqs if self.max_num_seqs is not None else default_max_num_seqs(self),
        )

    def resolved(self) -> ResolvedClusterArgs:
        """These args with every derived default filled in, frozen: what the cluster and the
        rest of the package take (they validate once, at model_validate)."""
        if None in (self.accelerator, self.tensor_parallel_size, self.max_num_seqs, self.image):
            raise ValueError("resolve args built by NeuronServingClusterArgs.model_validate")
        return ResolvedClusterArgs.model_construct(self.model_fields_set, **dict(self))


class ResolvedClusterArgs(NeuronServingClusterArgs):
    """Validated cluster args with every derived default filled in (accelerator, TP degree,
    batch size, image), frozen. Build with ``NeuronServingClusterArgs.model_validate(...)
    .resolved()``; a NeuronServingCluster exposes its own as ``cluster.args``."""

    model_config: ClassVar[ConfigDict] = ConfigDict(frozen=True)

    accelerator: Accelerator
    """Derived from instance_type (or as given, which matched it)."""
    tensor_parallel_size: int
    """NeuronCores per model replica (1 on CPU)."""
    max_num_seqs: int
    """Max concurrent sequences per node."""
    image: str
    """vLLM container image."""

    @model_validator(mode="after")
    def _validate(self) -> ResolvedClusterArgs:
        raise TypeError(
            "ResolvedClusterArgs is built by NeuronServingClusterArgs.model_validate(...)"
            ".resolved(), which checks the args once"
        )


def default_max_num_seqs(args: NeuronServingClusterArgs) -> int:
    """The largest batch up to vLLM's default of 256 that fits; 256 when nothing can be sized yet
    (the rules then say what is wrong, e.g. that even the weights do not fit)."""
    spec = catalog.instance_spec(args.instance_type)
    if spec is None or (args.model.params_billion is None and args.model.info is None):
        return DEFAULT_MAX_SEQS
    try:
        fit = cluster_memory_fit(args.model_copy(update={"max_num_seqs": DEFAULT_MAX_SEQS}), spec)
    except (ValueError, KeyError):
        return DEFAULT_MAX_SEQS
    batch = largest_batch_that_fits(fit, DEFAULT_MAX_SEQS)
    return min(batch, DEFAULT_MAX_SEQS) if batch >= 1 else DEFAULT_MAX_SEQS
