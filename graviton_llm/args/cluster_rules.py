"""Every rule that refuses a cluster's args, over the whole model: hardware, sizes, memory fit,
capacity, tags, region. All problems are collected at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..facts import catalog, images
from ..facts.catalog import InstanceSpec
from ..facts.memory import MemoryFit, largest_batch_that_fits, memory_fit
from .components import OUR_TAGS, security_problems
from .fields import instance_problems, region_problems
from .identifiers import (
    device_name_problems,
    ec2_id_problems,
    email_problems,
    image_problems,
    kms_key_arn_problems,
    region_name_problems,
    ssm_parameter_problems,
    tag_problems,
    tag_value_problems,
)
from .model import model_problems
from .operations_rules import operations_problems
from .problems import Problem

if TYPE_CHECKING:  # the cluster model imports these rules; only its type is needed here
    from .cluster import NeuronServingClusterArgs

MAX_SUBNETS = 16  # ours
DEFAULT_MAX_SEQS = 256  # vLLM's SchedulerConfig default


def batch(args: NeuronServingClusterArgs) -> int:
    """The batch the rules judge: max_num_seqs, which the model fills in before they run."""
    return DEFAULT_MAX_SEQS if args.max_num_seqs is None else args.max_num_seqs


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


def _size_problems(args: NeuronServingClusterArgs) -> list[Problem]:
    problems = []
    # vLLM's SchedulerConfig refuses a step budget smaller than the batch.
    if args.max_num_batched_tokens < batch(args):
        problems.append(
            Problem(
                "max_num_batched_tokens",
                args.max_num_batched_tokens,
                f"must be >= max_num_seqs ({args.max_num_seqs}), as vLLM requires",
            )
        )
    problems += subnet_count_problems(args.subnet_ids)
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
    if args.api_key_kms_key_arn is not None and args.api_key_ssm_parameter is None:
        problems.append(
            Problem(
                "api_key_kms_key_arn",
                args.api_key_kms_key_arn,
                "only used with api_key_ssm_parameter (the SecureString it decrypts)",
            )
        )
    return problems


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


def _identifier_problems(args: NeuronServingClusterArgs) -> list[Problem]:
    """Every id, name and ARN the user gave, against the rules AWS applies (identifiers.py).
    An Output is judged the same way once it resolves (deferred.py)."""
    problems = []
    if isinstance(args.vpc_id, str):
        problems += ec2_id_problems("vpc_id", args.vpc_id, "vpc")
    subnets = args.subnet_ids if isinstance(args.subnet_ids, list) else []
    strings = [s for s in subnets if isinstance(s, str)]
    for i, subnet in enumerate(subnets):
        if isinstance(subnet, str):
            problems += ec2_id_problems(f"subnet_ids.{i}", subnet, "subnet")
    if len(set(strings)) < len(strings):
        problems.append(Problem("subnet_ids", strings, "lists a subnet twice; give each once"))
    if isinstance(args.ami_id, str):
        problems += ec2_id_problems("ami_id", args.ami_id, "ami")
    for field in ("weights_kms_key_arn", "api_key_kms_key_arn"):
        value = getattr(args, field)
        if isinstance(value, str):
            problems += kms_key_arn_problems(field, value)
    if args.region is not None:
        problems += region_name_problems("region", args.region)
    if args.image is not None:
        problems += image_problems("image", args.image)
    if args.root_device_name is not None:
        problems += device_name_problems("root_device_name", args.root_device_name)
    if isinstance(args.api_key_ssm_parameter, str):
        problems += ssm_parameter_problems("api_key_ssm_parameter", args.api_key_ssm_parameter)
    for field in ("environment", "owner"):
        value = getattr(args, field)
        if value is not None:
            problems += tag_value_problems(field, value)
    problems += tag_problems(
        "tags",
        args.tags,
        # + Environment, Owner; + the group's graviton-llm:project and :stack (tagging.py)
        ours=OUR_TAGS + 4,
        instance_metadata=True,
    )
    for i, email in enumerate(args.monitoring.alarm_emails):
        problems += email_problems(f"monitoring.alarm_emails.{i}", email)
    return problems


def cluster_memory_fit(args: NeuronServingClusterArgs, spec: InstanceSpec) -> MemoryFit:
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


def cluster_problems(args: NeuronServingClusterArgs) -> list[Problem]:
    """Every reason this cluster could not serve, found without touching AWS."""
    spec, problems = instance_problems("instance_type", args.instance_type)
    problems += security_problems(args)
    problems += _size_problems(args)
    problems += _identifier_problems(args)
    problems += model_problems(args.model, args.accelerator or (spec.accelerator if spec else None))
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


def deploy_region_problems(args: NeuronServingClusterArgs, region: str | None) -> list[Problem]:
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
