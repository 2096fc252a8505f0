"""Every rule that refuses a cluster's args, over the whole model: hardware, sizes, memory fit,
capacity, tags, region. Declared in ``CLUSTER_RULES`` (then ``OPERATIONS_RULES``) and run by one
loop (``rule_table.judge``): all problems are collected at once, in table order."""

from __future__ import annotations

from ..facts import catalog, images
from ..facts.catalog import InstanceSpec
from ..facts.memory import MemoryFit, largest_batch_that_fits, memory_fit
from .components import security_problems
from .fields import instance_problems, region_problems
from .identifier_rules import IDENTIFIER_RULES
from .model import model_problems
from .operations_rules import OPERATIONS_RULES
from .problems import Problem
from .rule_table import ArgsRule, judge
from .views import ClusterView

MAX_SUBNETS = 16  # ours
DEFAULT_MAX_SEQS = 256  # vLLM's SchedulerConfig default


def batch(args: ClusterView) -> int:
    """The batch the rules judge: max_num_seqs, which the model fills in before they run."""
    return DEFAULT_MAX_SEQS if args.max_num_seqs is None else args.max_num_seqs


def _accelerator_problems(args: ClusterView) -> list[Problem]:
    spec = args.spec
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


def _tensor_parallel_problems(args: ClusterView) -> list[Problem]:
    spec = args.spec
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


def _chunked_prefill_problems(args: ClusterView) -> list[Problem]:
    """The NxDI-based plugin has no chunked prefill ("Chunked prefill is not supported on Neuron",
    vLLM User Guide for NxD Inference), and without it vLLM requires a step budget of at least
    max_model_len, or a full-length prompt could never be scheduled."""
    spec = args.spec
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


def _step_budget_problems(args: ClusterView) -> list[Problem]:
    # vLLM's SchedulerConfig refuses a step budget smaller than the batch.
    if args.max_num_batched_tokens >= batch(args):
        return []
    return [
        Problem(
            "max_num_batched_tokens",
            args.max_num_batched_tokens,
            f"must be >= max_num_seqs ({args.max_num_seqs}), as vLLM requires",
        )
    ]


def _group_size_problems(args: ClusterView) -> list[Problem]:
    if args.min_size > args.max_size:
        return [Problem("min_size", args.min_size, f"is above max_size ({args.max_size})")]
    if not args.min_size <= args.desired_capacity <= args.max_size:
        return [
            Problem(
                "desired_capacity",
                args.desired_capacity,
                f"must lie within min_size..max_size ({args.min_size}..{args.max_size})",
            )
        ]
    return []


def _api_key_kms_problems(args: ClusterView) -> list[Problem]:
    if args.api_key_kms_key_arn is None or args.api_key_ssm_parameter is not None:
        return []
    return [
        Problem(
            "api_key_kms_key_arn",
            args.api_key_kms_key_arn,
            "only used with api_key_ssm_parameter (the SecureString it decrypts)",
        )
    ]


def subnet_count_problems(subnet_ids: object) -> list[Problem]:
    """At least one subnet, at most MAX_SUBNETS; an Output of the list is judged once known."""
    if not isinstance(subnet_ids, list):
        return []
    if not subnet_ids:
        return [Problem("subnet_ids", [], "give at least one private subnet (one per AZ is best)")]
    if len(subnet_ids) > MAX_SUBNETS:
        return [
            Problem("subnet_ids", f"{len(subnet_ids)} subnets", f"give at most {MAX_SUBNETS} "
                    "subnets (one per AZ is enough)")
        ]  # fmt: skip
    return []


def cluster_memory_fit(args: ClusterView, spec: InstanceSpec) -> MemoryFit:
    """Weights and KV cache of this cluster's model and shapes on its cores (default TP when
    none is given yet)."""
    return memory_fit(
        spec=spec,
        params_billion=args.model.resolved_params_billion,
        dtype=args.model.dtype,
        tensor_parallel_size=(
            args.tensor_parallel_size or catalog.default_tensor_parallel_size(spec)
        ),
        max_model_len=args.max_model_len,
        max_num_seqs=batch(args),
        model=args.model.info,
    )


def _fit_problems(args: ClusterView) -> list[Problem]:
    spec = args.spec
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
    if min(args.max_model_len, batch(args)) <= 0:
        return []
    fit = cluster_memory_fit(args, spec)
    if fit.fits:
        return []
    tp = args.tensor_parallel_size or catalog.default_tensor_parallel_size(spec)
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
    fitting = largest_batch_that_fits(fit, batch(args))
    if fitting >= 1:
        message += f"; max_num_seqs <= {fitting} or a shorter max_model_len would fit"
    else:
        message += "; use a larger instance, a higher tensor_parallel_size, or a smaller model"
    return [Problem("model", model.id, message)]


def _capacity_problems(args: ClusterView) -> list[Problem]:
    capacity, spec = args.capacity, args.spec
    if capacity is None:
        return []
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


def _instance_type(args: ClusterView) -> list[Problem]:
    return instance_problems("instance_type", args.instance_type)[1]


def _model(args: ClusterView) -> list[Problem]:
    spec = catalog.instance_spec(args.instance_type)
    return model_problems(args.model, args.accelerator or (spec.accelerator if spec else None))


def _region_offers_type(args: ClusterView) -> list[Problem]:
    return [] if args.region is None else region_problems("region", args.region, args.spec)


CLUSTER_RULES: tuple[ArgsRule, ...] = (
    ArgsRule("instance-type", ("instance_type",), "an instance type in the catalog",
             _instance_type),
    ArgsRule("network", ("port", "metrics_port", "allowed_cidrs", "metrics_cidrs", "ssh_cidrs"),
             "valid, distinct ports (not the latency exporter's); private CIDRs within the "
             "security group's rule count", security_problems),
    ArgsRule("step-budget", ("max_num_batched_tokens", "max_num_seqs"),
             "max_num_batched_tokens >= max_num_seqs (vLLM)", _step_budget_problems),
    ArgsRule("subnet-count", ("subnet_ids",), f"1 to {MAX_SUBNETS} subnets",
             lambda args: subnet_count_problems(args.subnet_ids)),
    ArgsRule("group-sizes", ("min_size", "max_size", "desired_capacity"),
             "min_size <= desired_capacity <= max_size", _group_size_problems),
    ArgsRule("api-key-kms-key", ("api_key_kms_key_arn", "api_key_ssm_parameter"),
             "api_key_kms_key_arn only with api_key_ssm_parameter", _api_key_kms_problems),
    *IDENTIFIER_RULES,
    ArgsRule("model", ("model", "accelerator", "instance_type"), "a model the catalog knows (or "
             "its size), its weights location, dtype and serving stack", _model),
    ArgsRule("accelerator-matches", ("accelerator", "instance_type"),
             "accelerator, when given, the instance's", _accelerator_problems,
             needs_instance_type=True),
    ArgsRule("tensor-parallel-degree", ("tensor_parallel_size", "instance_type"),
             "a degree the Neuron runtime supports within the instance's cores (1 on CPU)",
             _tensor_parallel_problems, needs_instance_type=True),
    ArgsRule("chunked-prefill", ("max_num_batched_tokens", "max_model_len", "instance_type"),
             "on the NxDI plugin, max_num_batched_tokens >= max_model_len",
             _chunked_prefill_problems, needs_instance_type=True),
    ArgsRule("region-offers-type", ("region", "instance_type"),
             "the region, when given, offers the instance type", _region_offers_type,
             needs_instance_type=True),
    ArgsRule("memory-fit", ("model", "max_model_len", "max_num_seqs", "tensor_parallel_size",
             "instance_type"), "max_model_len within the model's context; weights and KV cache "
             "fit the cores (or host RAM)", _fit_problems, needs_instance_type=True,
             unless_refused=("tensor_parallel_size", "accelerator")),
    ArgsRule("capacity-matches", ("capacity.instance_type", "capacity.availability_zones",
             "instance_type", "region"), "reservations of the cluster's instance type, in "
             "zones of its region", _capacity_problems, needs_instance_type=True),
    *OPERATIONS_RULES,
)  # fmt: skip


def cluster_problems(args: ClusterView) -> list[Problem]:
    """Every reason this cluster could not serve, found without touching AWS."""
    return judge(CLUSTER_RULES, args)


def deploy_region_problems(args: ClusterView, region: str | None) -> list[Problem]:
    """The region the stack deploys to must be known and offer the instance type."""
    if region is None:
        return [
            Problem(
                "region",
                None,
                "not set: set args.region or `pulumi config set aws:region <region>`",
            )
        ]
    return region_problems("region", region, args.spec)


def deploy_region_or_problems(
    args: ClusterView, provider_region: str | None, *, explicit_provider: bool = False
) -> tuple[str | None, list[Problem]]:
    """args.region, else ``provider_region`` (the region the stack's default AWS provider
    deploys to, which the component layer reads from aws:region or the environment); with the
    problems when none is set or the instance type is not offered there, and, for a cluster on
    the default AWS provider, when args.region is not the region that provider deploys to:
    ARNs, prices and the catalog check would name one region while every resource is created in
    the other (an explicit provider's region is checked by the component against that
    provider, components/rollout.py)."""
    region = args.region or provider_region
    problems = deploy_region_problems(args, region)
    if not explicit_provider and args.region and provider_region and args.region != provider_region:
        problems.append(
            Problem(
                "region",
                args.region,
                f"the stack's AWS provider deploys to {provider_region} (aws:region): set "
                f"`pulumi config set aws:region {args.region}`, drop `region`, or give the "
                "cluster an explicit aws.Provider in that region",
            )
        )
    return region, problems
