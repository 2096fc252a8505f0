"""The equations: TTFT, TPOT and output tokens/s of a vLLM replica, from the roofline plus a few
parameters fitted to published measurements (docs/performance-model.md).

One decode step (every running sequence gains one token) costs, per tensor-parallel rank::

    step = t0 + L * (c_layer + c_tp * log2(TP))                     fixed and collective cost
         + max(weight_bytes / (BW * eta_bw), decode_matmul_flops / (F * eta_mm))
         + max(kv_bytes / (BW * eta_bw), decode_attention_flops / (F * eta_att))

and one prefill of a prompt of I tokens, on the device::

    prefill(I) = p0 + L * (c_layer + c_tp * log2(TP)) + weight_bytes / (BW * eta_bw)
               + matmul_flops(I) / (F * eta_mm) + causal_attention_flops(I) / (F * eta_pa)

with BW and F the rank's memory bandwidth and dense BF16 peak (hardware.py), bytes
and FLOPs counted from the model's shape (shapes.py), query heads padded to a multiple of
TP and KV heads replicated up to TP as NxD Inference does. On Neuron the compiled decode graph
always runs ``max_num_seqs`` slots and pads prompts and contexts to power-of-two buckets (NxD
Inference feature guide, "Automatic Bucketing": "Powers of two between 128 and the max context
length"), so a lone request pays for the whole compiled batch.

vLLM serves B concurrent requests by continuous batching: each request needs one prefill (on
Neuron at batch size 1, between decode steps: vllm-neuron docs "optimizing-vlm-models", "B is
the number of requests — always 1 on Neuron"), O - 1 steps, and s of vLLM's own time off the
device (HTTP, tokenizer, scheduler). With B requests always running (a closed loop)::

    cycle                          = s + B * prefill(I) + (O - 1) * step
    TTFT (no queue)                = s + prefill(I)
    output tokens/s (aggregate)    = B * O / cycle
    per-request tokens/s           = O / cycle
    inter-token latency under load = step + (B - 1) * prefill(I) / (O - 1)

The nine parameters (eta_*, t0, c_*, p0, s) are fitted per hardware generation by
``performance.fit.fit`` and stored below as constants; nothing is fitted at import time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import catalog
from ..memory import effective_kv_heads
from ..units import GIB
from .hardware import NEURON_RANKS, Generation, RankRoofline, graviton4_rank
from .parameters import (
    KV_BYTES,
    NEURON_BUCKET_MIN,
    WEIGHT_BYTES,
    PerformanceInputError,
)
from .shapes import ModelShape, model_shape

# A float, or a numpy array of floats: the same equations predict one scenario or fit many rows.
Numeric = Any
# GenerationParams.as_vector(): the parameters in PARAMETER_NAMES order.
Params = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Hardware:
    """What one replica on an instance type runs on."""

    instance_type: str
    generation: Generation
    rank: RankRoofline
    ranks_available: int  # NeuronCores (logical at LNC=2), 1 on CPU
    memory_bytes_per_rank: float
    tensor_parallel_degrees: tuple[int, ...]

    @property
    def neuron(self) -> bool:
        return self.generation != "graviton4"


def hardware(instance_type: str) -> Hardware:
    """The compute of an instance type, from the catalog and the roofline figures."""
    spec = catalog.instance_spec(instance_type)
    if spec is None:
        known = ", ".join(sorted(catalog.INSTANCE_TYPES))
        raise PerformanceInputError(
            f"instance_type {instance_type!r} is not in the catalog; known types: {known}"
        )
    family = spec.neuron_family
    if family is not None:
        rank = NEURON_RANKS[family.name]
        degrees = tuple(d for d in family.tensor_parallel_degrees if d <= spec.neuron_cores)
        return Hardware(
            spec.name,
            rank.generation,
            rank,
            spec.neuron_cores,
            family.device_memory_per_core_gib * GIB,
            degrees,
        )
    if spec.architecture == "arm64":
        return Hardware(
            spec.name,
            "graviton4",
            graviton4_rank(spec.vcpus),
            1,
            spec.memory_gib * GIB,
            (1,),
        )
    raise PerformanceInputError(f"instance_type {instance_type!r}: no performance figures")


def resolve_shape(model: str | ModelShape) -> ModelShape:
    if isinstance(model, ModelShape):
        return model
    shape = model_shape(model)
    if shape is None:
        raise PerformanceInputError(
            f"model {model!r}: no layer/head/width shape is known for it; the performance model "
            "needs the fields of its config.json (add its architecture to facts/models.py, or to "
            "facts/performance/shapes.py for a model we only measure)"
        )
    return shape


def bucket(tokens: float, max_model_len: int | None = None) -> float:
    """The power-of-two bucket (at least 128) a length is padded to; the last bucket is the
    maximum length itself."""
    padded = max(NEURON_BUCKET_MIN, 2 ** math.ceil(math.log2(max(tokens, 1))))
    return float(min(padded, max_model_len) if max_model_len else padded)


def mean_decode_context(
    input_len: int, output_len: int, bucketed: bool, max_model_len: int | None = None
) -> float:
    """Context the attention reads, averaged over the O - 1 decode steps (bucketed on Neuron)."""
    steps = max(output_len - 1, 1)
    if not bucketed:
        return input_len + (steps + 1) / 2
    # Sum of bucket(input_len + k) for k = 1..steps, one constant run per bucket.
    total, k = 0.0, 1
    while k <= steps:
        padded = bucket(input_len + k, max_model_len)
        last = min(steps, max(int(padded) - input_len, k))
        total += padded * (last - k + 1)
        k = last + 1
    return total / steps


@dataclass(frozen=True)
class Features:
    """A workload's physical costs per rank, in seconds at 100 % of the rank's peak (each a
    float, or an array of them when the fit evaluates many rows at once)."""

    layers: Numeric
    log2_tp: Numeric
    weights_s: Numeric  # weight bytes / bandwidth
    kv_s: Numeric  # KV bytes one decode step reads / bandwidth
    decode_matmul_s: Numeric  # projection FLOPs of one decode step / peak
    decode_attention_s: Numeric  # attention FLOPs of one decode step / peak
    prefill_matmul_s: Numeric  # projection FLOPs of one prompt's prefill / peak
    prefill_attention_s: Numeric  # causal attention FLOPs of one prompt's prefill / peak


def features(
    shape: ModelShape,
    hw: Hardware,
    *,
    tensor_parallel_size: int,
    slots: int,
    input_len: int,
    output_len: int,
    weight_dtype: str = "bf16",
    max_model_len: int | None = None,
    prefill_bucket: int | None = None,
    decode_bucket: int | None = None,
) -> Features:
    """``prefill_bucket``/``decode_bucket``: the padded lengths when buckets were configured by
    hand (default: NxD Inference's automatic powers of two up to ``max_model_len`` on Neuron,
    none on CPU)."""
    tp = tensor_parallel_size
    heads = shape.attention_heads
    kv = shape.kv_heads
    if hw.neuron:
        heads = math.ceil(heads / tp) * tp
        kv = effective_kv_heads(kv, tp)
    h, d, layers = shape.hidden_size, shape.head_dim, shape.layers
    layer_params = h * d * (2 * heads + 2 * kv) + 3 * h * shape.intermediate_size
    # The LM head is read whole every step (tied embeddings included); embedding lookups are
    # a row per token and negligible.
    params_per_rank = (layers * layer_params + shape.embedding_params) / tp
    bandwidth, peak = hw.rank.bandwidth_bytes_per_s, hw.rank.bf16_flops
    context = decode_bucket or mean_decode_context(
        input_len, output_len, bucketed=hw.neuron, max_model_len=max_model_len
    )
    prompt = prefill_bucket or (bucket(input_len, max_model_len) if hw.neuron else input_len)
    kv_per_token = layers * 2 * kv * d * KV_BYTES / tp
    return Features(
        layers=float(layers),
        log2_tp=math.log2(tp),
        weights_s=params_per_rank * WEIGHT_BYTES[weight_dtype] / bandwidth,
        kv_s=slots * context * kv_per_token / bandwidth,
        decode_matmul_s=2 * slots * params_per_rank / peak,
        decode_attention_s=4 * slots * context * layers * heads * d / tp / peak,
        # Projections for every prompt token and the LM head for the last one only; causal
        # attention computes half the I x I scores (QK^T and PV: 2 x 2 FLOPs per score and dim).
        prefill_matmul_s=(2 * prompt * layers * layer_params + 2 * shape.embedding_params)
        / tp
        / peak,
        prefill_attention_s=2 * prompt * prompt * layers * heads * d / tp / peak,
    )


def _layer_overhead_s(p: Params, f: Features) -> Numeric:
    return f.layers * (p[5] + p[6] * f.log2_tp) / 1e3


def step_seconds(p: Params, f: Features) -> Numeric:
    """One decode step on the device. ``p`` is GenerationParams.as_vector()."""
    weights = np.maximum(f.weights_s / p[0], f.decode_matmul_s / p[2])
    attention = np.maximum(f.kv_s / p[0], f.decode_attention_s / p[1])
    return p[4] / 1e3 + _layer_overhead_s(p, f) + weights + attention


def prefill_seconds(p: Params, f: Features, sequences: Numeric = 1.0) -> Numeric:
    """Device time to prefill ``sequences`` prompts in one pass (static batching), or one."""
    compute = f.prefill_matmul_s / p[2] + f.prefill_attention_s / p[3]
    return p[7] / 1e3 + _layer_overhead_s(p, f) + sequences * compute + f.weights_s / p[0]


def serving_seconds(p: Params) -> Numeric:
    """vLLM's time per request off the device: in TTFT, not in other requests' steps."""
    return p[8] / 1e3


@dataclass(frozen=True)
class Timeline:
    """Seconds and tokens/s of continuous batching with ``batch`` requests always running."""

    ttft: Numeric
    inter_token: Numeric  # with the other requests' prefills in between
    cycle: Numeric  # a request's life: serving, B prefills, O - 1 steps
    aggregate: Numeric
    per_request: Numeric


def continuous_batching(
    step: Numeric, prefill: Numeric, serving: Numeric, batch: Numeric, output_len: Numeric
) -> Timeline:
    """The closed-loop equations of the module docstring (scalars or numpy arrays)."""
    cycle = serving + batch * prefill + (output_len - 1) * step
    return Timeline(
        ttft=serving + prefill,
        inter_token=step + (batch - 1) * prefill / np.maximum(output_len - 1, 1),
        cycle=cycle,
        aggregate=batch * output_len / cycle,
        per_request=output_len / cycle,
    )
