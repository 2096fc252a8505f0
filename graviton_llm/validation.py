"""Pure checks shared by the args models: each returns the problems it finds, never raises.

The models collect every problem and raise one pydantic ``ValidationError`` whose entries name
the field, the bad value and what would work, so a user fixes everything in one pass.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from . import catalog
from .catalog import InstanceSpec, ModelInfo


@dataclass(frozen=True)
class Problem:
    field: str
    value: Any
    message: str


def raise_if_problems(title: str, problems: list[Problem]) -> None:
    """One ValidationError (a ValueError) that lists every problem under its field name."""
    if not problems:
        return
    details = [
        InitErrorDetails(
            type=PydanticCustomError("graviton_llm", "{message}", {"message": p.message}),
            loc=tuple(p.field.split(".")),
            input=p.value,
        )
        for p in problems
    ]
    raise ValidationError.from_exception_data(title, details)


# Address space that stays inside a VPC: RFC 1918, the RFC 6598 shared space AWS allows as a
# secondary VPC CIDR, and IPv6 unique-local addresses.
_INTERNAL_NETWORKS = [
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
]


def cidr_problems(field: str, cidrs: list[str]) -> list[Problem]:
    problems = []
    for i, cidr in enumerate(cidrs):
        where = f"{field}.{i}"
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            hint = ""
            with contextlib.suppress(ValueError):
                hint = f" (did you mean {ipaddress.ip_network(cidr, strict=False)}?)"
            problems.append(
                Problem(where, cidr, f"'{cidr}' is not a valid CIDR block{hint}, e.g. 10.0.0.0/16")
            )
            continue
        internal = any(
            net.version == inside.version and net.subnet_of(inside) for inside in _INTERNAL_NETWORKS
        )
        if not internal:
            problems.append(
                Problem(
                    where,
                    cidr,
                    f"'{cidr}' reaches beyond the VPC: this service is VPC-internal, so allow only "
                    "private ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, "
                    "fc00::/7) such as your VPC's CIDR",
                )
            )
    return problems


def port_problems(field: str, port: int) -> list[Problem]:
    if not 1 <= port <= 65535:
        return [Problem(field, port, f"{port} is not a TCP port; use 1-65535, e.g. 8000")]
    if port == 22:
        return [Problem(field, port, "22 is SSH; serve on another port, e.g. 8000")]
    return []


# S3 bucket naming rules: 3-63 chars of lowercase letters, digits, dots and hyphens, starting and
# ending with a letter or digit (Amazon S3 User Guide, "General purpose bucket naming rules").
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def parse_s3_uri(uri: str) -> tuple[str, str] | None:
    """('bucket', 'prefix/') for s3://bucket/prefix/, or None when it is not that shape."""
    match = re.fullmatch(r"s3://([^/]+)/(.+)", uri)
    if match is None:
        return None
    bucket, prefix = match.groups()
    if not _BUCKET.match(bucket) or ".." in bucket or "*" in prefix:
        return None
    return bucket, prefix if prefix.endswith("/") else prefix + "/"


def s3_uri_problems(field: str, uri: str) -> list[Problem]:
    if parse_s3_uri(uri) is None:
        return [
            Problem(
                field,
                uri,
                f"'{uri}' is not s3://<bucket>/<prefix>/ with a valid bucket name (lowercase "
                "letters, digits, dots, hyphens) and a prefix, "
                "e.g. s3://my-weights/llama-3.1-8b-instruct/",
            )
        ]
    return []


def instance_problems(field: str, instance_type: str) -> tuple[InstanceSpec | None, list[Problem]]:
    spec = catalog.instance_spec(instance_type)
    if spec is not None:
        return spec, []
    neuron = sorted(n for n, s in catalog.INSTANCE_TYPES.items() if s.accelerator == "neuron")
    message = (
        f"'{instance_type}' is not a supported instance type; Neuron: {', '.join(neuron)}; "
        "Graviton4 CPU: r8g, m8g or c8g in sizes xlarge to 48xlarge (e.g. r8g.48xlarge)"
    )
    return None, [Problem(field, instance_type, message)]


def region_problems(field: str, region: str, spec: InstanceSpec) -> list[Problem]:
    if region in spec.regions:
        return []
    return [
        Problem(
            field,
            region,
            f"{spec.name} is not offered in {region}; it is offered in {', '.join(spec.regions)}",
        )
    ]


@dataclass(frozen=True)
class MemoryFit:
    """Memory a model needs on the cores in use, against what they have (all in GiB)."""

    weights_gib: float
    kv_cache_gib: float
    headroom_gib: float
    available_gib: float

    @property
    def required_gib(self) -> float:
        return self.weights_gib + self.kv_cache_gib + self.headroom_gib

    @property
    def fits(self) -> bool:
        return self.required_gib <= self.available_gib


# Our margin, not a hardware figure: the Neuron runtime's scratchpad and compiled graphs, or the
# OS and vLLM process on the CPU path, need memory beyond weights and KV cache.
HEADROOM_FRACTION = 0.10


def effective_kv_heads(kv_heads: int, tensor_parallel_size: int) -> int:
    """KV heads held across the TP group. NxD Inference's default GQA sharding,
    REPLICATE_TO_TP_DEGREE, replicates KV heads up to the TP degree when TP exceeds them, so
    TP=24 with 8 KV heads stores 24 (neuronx-distributed-inference, modules/attention/gqa.py,
    determine_sharding_strategy). Every supported degree above 8 is a multiple of 8 (and of 4),
    so the model table's KV head counts always divide it."""
    if tensor_parallel_size <= kv_heads:
        return kv_heads
    return kv_heads * math.ceil(tensor_parallel_size / kv_heads)


def memory_fit(
    *,
    spec: InstanceSpec,
    params_billion: float,
    dtype_bytes: int,
    tensor_parallel_size: int,
    max_model_len: int,
    max_num_seqs: int,
    model: ModelInfo | None,
) -> MemoryFit:
    """Weights plus the KV cache for max_num_seqs x max_model_len tokens.

    vLLM on Neuron allocates the whole KV cache up front (``--num-gpu-blocks-override`` covers
    max_num_seqs x max_model_len), so the reserve is the full product, not an average. Unknown
    architectures (no layer/head counts) are checked on weights alone.
    """
    weights_gib = params_billion * 1e9 * dtype_bytes / catalog.GIB
    kv_gib = 0.0
    if model is not None:
        heads = model.kv_heads
        if spec.accelerator == "neuron":
            heads = effective_kv_heads(model.kv_heads, tensor_parallel_size)
        per_token = model.kv_bytes_per_token(dtype_bytes, heads)
        kv_gib = per_token * max_model_len * max_num_seqs / catalog.GIB
    available = catalog.serving_memory_gib(spec, tensor_parallel_size)
    return MemoryFit(weights_gib, kv_gib, available * HEADROOM_FRACTION, available)


def largest_batch_that_fits(fit: MemoryFit, max_num_seqs: int) -> int:
    """The max_num_seqs that would fit with everything else unchanged (0: weights alone don't)."""
    if fit.kv_cache_gib == 0:
        return max_num_seqs if fit.fits else 0
    per_seq = fit.kv_cache_gib / max_num_seqs
    spare = fit.available_gib - fit.headroom_gib - fit.weights_gib
    return max(0, math.floor(spare / per_seq))
