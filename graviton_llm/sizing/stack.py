"""`size --write-stack FILE`: a stack config (the shape of stacks/Pulumi.dev.yaml)
for a sized option, validated by the args model before a byte is written.

What sizing cannot know (the VPC, its subnets, the weights' S3 prefix) comes from flags, or is a
placeholder that validates (all-zero ids, a replace-me bucket) and is listed in the file's header.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..args import NeuronServingClusterArgs
from ..args.cluster_rules import deploy_region_problems
from ..args.problems import raise_if_problems
from .search import DTYPE, Option
from .workload import ModelChoice

# Well-formed ids no real resource has (ids are random hex), so the args accept the file.
PLACEHOLDER_VPC = "vpc-00000000000000000"
PLACEHOLDER_SUBNETS = ("subnet-0000000000000000a", "subnet-0000000000000000b")
PLACEHOLDER_CAPACITY_BLOCK = "cr-00000000000000000"


def placeholder_weights_uri(model_id: str) -> str:
    """An S3 URI that passes the args' bucket rule and says what it is."""
    name = re.sub(r"[^a-z0-9.-]+", "-", model_id.rsplit("/", 1)[-1].lower()).strip("-.")
    return f"s3://replace-me-model-weights/{name or 'model'}/"


@dataclass(frozen=True)
class Placement:
    """Where the cluster goes: flags, or None for a placeholder."""

    region: str
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    weights_uri: str | None = None


def cluster_config(
    option: Option, model: ModelChoice, max_model_len: int, where: Placement
) -> tuple[dict[str, Any], list[str]]:
    """(the `graviton-llm:cluster` map, the placeholders used)."""
    placeholders: list[str] = []
    if where.vpc_id is None:
        placeholders.append("vpc_id")
    if not where.subnet_ids:
        placeholders.append("subnet_ids")
    if where.weights_uri is None:
        placeholders.append("model.weights_uri")
    model_map: dict[str, Any] = {
        "id": model.id,
        "weights_uri": where.weights_uri or placeholder_weights_uri(model.id),
    }
    if model.info is None:  # the args size memory and disk from it for unknown models
        model_map["params_billion"] = model.params_billion
    if DTYPE != "bfloat16":
        model_map["dtype"] = DTYPE
    cluster: dict[str, Any] = {
        "vpc_id": where.vpc_id or PLACEHOLDER_VPC,
        "subnet_ids": list(where.subnet_ids or PLACEHOLDER_SUBNETS),
        "instance_type": option.instance_type,
        "model": model_map,
        "tensor_parallel_size": option.tensor_parallel_size,
        "max_model_len": max_model_len,
        "max_num_seqs": option.max_num_seqs,
        # vLLM needs a step budget >= max_num_seqs; the NxDI plugin, without chunked prefill,
        # >= max_model_len (args/cluster_rules.py).
        "max_num_batched_tokens": max(max_model_len, option.max_num_seqs),
        "min_size": option.nodes,
        "max_size": option.nodes,
        "desired_capacity": option.nodes,
    }
    if option.purchase_option == "capacity-block":
        # Priced at a Capacity Block rate: the nodes launch only into a block bought ahead
        # (ReservedCapacityArgs.capacity_block_id; nothing here buys one).
        cluster["capacity_mode"] = "reserved"
        cluster["capacity"] = {"capacity_block_id": PLACEHOLDER_CAPACITY_BLOCK}
        placeholders.append("capacity.capacity_block_id")
    return cluster, placeholders


def validated(cluster: dict[str, Any], region: str) -> NeuronServingClusterArgs:
    """The args model's verdict, and the region check `pulumi up` would make; raises the
    args' ValidationError listing every problem."""
    args = NeuronServingClusterArgs.model_validate(cluster)
    raise_if_problems(type(args).__name__, deploy_region_problems(args, region))
    return args


def stack_text(
    option: Option, cluster: dict[str, Any], placeholders: list[str], region: str, project: str
) -> str:
    header = [
        f"# Written by `graviton-llm size`: {option.nodes} x {option.instance_type}, "
        f"TP {option.tensor_parallel_size}, max_num_seqs {option.max_num_seqs}.",
        f"# Predicted TTFT p50/p99 {option.ttft_p50_ms:,.0f}/{option.ttft_p99_ms:,.0f} ms, TPOT "
        f"{option.tpot_ms:,.1f} ms under load; validated by NeuronServingClusterArgs.",
    ]
    if option.purchase_option == "capacity-block":
        header.append(
            "# Priced at the EC2 Capacity Block rate (no On-Demand price is sourced): the nodes "
            "run only in a Capacity Block you buy ahead; set capacity.capacity_block_id to it."
        )
    if placeholders:
        header.append(
            f"# PLACEHOLDERS to replace before `pulumi up`: {', '.join(placeholders)} "
            "(the all-zero ids and the replace-me bucket)."
        )
    document = {"config": {"aws:region": region, f"{project}:cluster": cluster}}
    return "\n".join(header) + "\n" + yaml.safe_dump(document, sort_keys=False)


def write_stack(
    path: Path, option: Option, model: ModelChoice, max_model_len: int, where: Placement,
    *, project: str, force: bool = False,
) -> list[str]:  # fmt: skip
    """Validate, then write ``path`` atomically (a temporary file renamed over it): a refusal
    or an error leaves no file. ``project`` is the Pulumi project whose config namespace holds
    the cluster. Returns the placeholders used."""
    if not option.deployable:
        raise ValueError(
            f"--write-stack: the best option runs {option.replicas_per_node} vLLM replicas per "
            "node, which NeuronServingCluster cannot deploy yet (one server per node); size "
            "without --replicas-per-node to write a stack"
        )
    if path.suffix not in (".yaml", ".yml"):
        raise ValueError(f"--write-stack {path}: a stack file ends in .yaml (Pulumi.<name>.yaml)")
    if path.is_dir():
        raise ValueError(f"--write-stack {path}: is a directory")
    if path.exists() and not force:
        raise ValueError(f"--write-stack {path}: exists; pass --force to overwrite it")
    if not path.parent.is_dir():
        raise ValueError(f"--write-stack {path}: no directory {path.parent}")
    cluster, placeholders = cluster_config(option, model, max_model_len, where)
    validated(cluster, where.region)
    text = stack_text(option, cluster, placeholders, where.region, project)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return placeholders
