"""Predicted TTFT, TPOT and output tokens/s of a vLLM replica, from the roofline plus a few
parameters fitted to published measurements (docs/performance-model.md).

One decode step (every running sequence gains one token) costs, per tensor-parallel rank::

    step = t0 + L * (c_layer + c_tp * log2(TP))                     fixed and collective cost
         + max(weight_bytes / (BW * eta_bw), decode_matmul_flops / (F * eta_mm))
         + max(kv_bytes / (BW * eta_bw), decode_attention_flops / (F * eta_att))

and one prefill of a prompt of I tokens, on the device::

    prefill(I) = p0 + L * (c_layer + c_tp * log2(TP)) + weight_bytes / (BW * eta_bw)
               + matmul_flops(I) / (F * eta_mm) + causal_attention_flops(I) / (F * eta_pa)

with BW and F the rank's memory bandwidth and dense BF16 peak (hardware_performance.py), bytes
and FLOPs counted from the model's shape (model_shapes.py), query heads padded to a multiple of
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
``performance_fit.fit`` and stored below as constants; nothing is fitted at import time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Literal

import numpy as np

from graviton_llm import catalog  # the one import of the catalog (moving to facts/catalog.py)

from .hardware_performance import NEURON_RANKS, Generation, RankRoofline, graviton4_rank
from .model_shapes import ModelShape, model_shape

WEIGHT_BYTES: dict[str, float] = {"bf16": 2, "fp16": 2, "int8": 1, "fp8": 1}
KV_BYTES = 2  # the KV cache stays in bf16/fp16 here
# Weight formats vLLM serves on each generation. NxD Inference quantizes weights to int8 or
# fp8 (NxDI feature guide, "Model Weight Quantization"); the FP8 tutorials and the faster FP8
# rate are Trn2's, so we offer fp8 there only. vLLM's CPU backend on Arm runs BF16/FP16/FP32
# and int8 w8a8 (vLLM PR #33901 measures w8a8 on Neoverse).
WEIGHT_DTYPES: dict[str, tuple[str, ...]] = {
    "neuron-v2": ("bf16", "fp16", "int8"),
    "neuron-v3": ("bf16", "fp16", "int8", "fp8"),
    "graviton4": ("bf16", "fp16", "int8"),
}
# Same margin as the args validation (validation.HEADROOM_FRACTION): runtime scratch, compiled
# graphs, the OS.
MEMORY_HEADROOM_FRACTION = 0.10
NEURON_BUCKET_MIN = 128


class PerformanceInputError(ValueError):
    """An input the model cannot price; the message names the argument and what would work."""


@dataclass(frozen=True)
class GenerationParams:
    """Fitted efficiencies and overheads of one hardware generation (see the module docstring)."""

    bandwidth_efficiency: float  # eta_bw
    decode_attention_efficiency: float  # eta_att, as a fraction of the dense BF16 peak
    matmul_efficiency: float  # eta_mm, prefill (and batched decode) projections, MFU
    prefill_attention_efficiency: float  # eta_pa
    step_overhead_ms: float  # t0
    layer_overhead_ms: float  # c_layer
    layer_overhead_per_log2_tp_ms: float  # c_tp
    prefill_overhead_ms: float  # p0
    serving_overhead_ms: float  # s, vLLM's per-request time off the device (HTTP, tokenizer)
    calibrated: bool
    provenance: str

    def as_vector(self) -> np.ndarray:
        return np.array([getattr(self, name) for name in PARAMETER_NAMES], dtype=float)


PARAMETER_NAMES = (
    "bandwidth_efficiency",
    "decode_attention_efficiency",
    "matmul_efficiency",
    "prefill_attention_efficiency",
    "step_overhead_ms",
    "layer_overhead_ms",
    "layer_overhead_per_log2_tp_ms",
    "prefill_overhead_ms",
    "serving_overhead_ms",
)

# Fitted by benchmarks/bench_performance_model.py on 2026-11-30 (performance_fit.fit on the
# "fit" rows of facts/data/performance_measurements.csv). Refit and paste the printed values
# when the data change; tests/test_performance_model.py checks that the fit reproduces them.
FITTED: dict[str, GenerationParams] = {
    # Inf2, Trn1, Trn1n (NeuronCore-v2): all nine fitted on 159 rows.
    "neuron-v2": GenerationParams(
        bandwidth_efficiency=0.5763,
        decode_attention_efficiency=0.003072,
        matmul_efficiency=0.248,
        prefill_attention_efficiency=0.01539,
        step_overhead_ms=2.521,
        layer_overhead_ms=1e-05,
        layer_overhead_per_log2_tp_ms=0.01462,
        prefill_overhead_ms=13.58,
        serving_overhead_ms=62.38,
        calibrated=True,
        provenance="fit on 159 rows: all nine parameters",
    ),
    # Trn2 (NeuronCore-v3, LNC=2): three fitted on 15 rows, decode attention left to the KV
    # reads, prefill attention at the matmul efficiency, overheads from NeuronCore-v2.
    "neuron-v3": GenerationParams(
        bandwidth_efficiency=0.4112,
        decode_attention_efficiency=1.0,
        matmul_efficiency=0.2948,
        prefill_attention_efficiency=0.2948,
        step_overhead_ms=2.521,
        layer_overhead_ms=1e-05,
        layer_overhead_per_log2_tp_ms=0.01462,
        prefill_overhead_ms=13.58,
        serving_overhead_ms=11.69,
        calibrated=True,
        provenance="fit on 15 rows: bandwidth_efficiency, matmul_efficiency, "
        "serving_overhead_ms; the others fixed, linked or from neuron-v2",
    ),
}

# No published vLLM-CPU measurement on Graviton gives instance, model, lengths and concurrency
# (docs/performance-model.md lists what was found), so nothing is fitted there: the roofline
# itself, every efficiency 1 and no overhead. These predictions are upper bounds, not estimates.
ROOFLINE_ONLY = GenerationParams(
    1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, False, "roofline bound"
)


def generation_params(generation: str) -> GenerationParams:
    return FITTED.get(generation, ROOFLINE_ONLY)


# ---------------------------------------------------------------------------------------------
# Hardware and shapes
# ---------------------------------------------------------------------------------------------


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
            family.device_memory_per_core_gib * catalog.GIB,
            degrees,
        )
    if spec.architecture == "arm64":
        return Hardware(
            spec.name,
            "graviton4",
            graviton4_rank(spec.vcpus),
            1,
            spec.memory_gib * catalog.GIB,
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
            "needs the fields of its config.json (add it to facts/model_shapes.py)"
        )
    return shape


def effective_kv_heads(kv_heads: int, tensor_parallel_size: int) -> int:
    """KV heads held across the TP group: NxD Inference replicates them up to the TP degree
    (REPLICATE_TO_TP_DEGREE, neuronx-distributed-inference gqa.py) and pads them to a multiple
    of it otherwise. Same rule as validation.effective_kv_heads for the degrees Neuron allows
    (that module imports pydantic; at the layer merge both use facts/memory.py)."""
    if tensor_parallel_size > kv_heads:
        return kv_heads * math.ceil(tensor_parallel_size / kv_heads)
    return math.ceil(kv_heads / tensor_parallel_size) * tensor_parallel_size


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
    """A workload's physical costs per rank, in seconds at 100 % of the rank's peak."""

    layers: float
    log2_tp: float
    weights_s: float  # weight bytes / bandwidth
    kv_s: float  # KV bytes one decode step reads / bandwidth
    decode_matmul_s: float  # projection FLOPs of one decode step / peak
    decode_attention_s: float  # attention FLOPs of one decode step / peak
    prefill_matmul_s: float  # projection FLOPs of one prompt's prefill / peak
    prefill_attention_s: float  # causal attention FLOPs of one prompt's prefill / peak


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


# ---------------------------------------------------------------------------------------------
# The equations (scalar or numpy arrays alike: the fit evaluates them over all rows at once)
# ---------------------------------------------------------------------------------------------


def _layer_overhead_s(p, f):
    return f.layers * (p[5] + p[6] * f.log2_tp) / 1e3


def step_seconds(p, f):
    """One decode step on the device. ``p`` is GenerationParams.as_vector()."""
    weights = np.maximum(f.weights_s / p[0], f.decode_matmul_s / p[2])
    attention = np.maximum(f.kv_s / p[0], f.decode_attention_s / p[1])
    return p[4] / 1e3 + _layer_overhead_s(p, f) + weights + attention


def prefill_seconds(p, f, sequences=1.0):
    """Device time to prefill ``sequences`` prompts in one pass (static batching), or one."""
    compute = f.prefill_matmul_s / p[2] + f.prefill_attention_s / p[3]
    return p[7] / 1e3 + _layer_overhead_s(p, f) + sequences * compute + f.weights_s / p[0]


def serving_seconds(p):
    """vLLM's time per request off the device: in TTFT, not in other requests' steps."""
    return p[8] / 1e3


@dataclass(frozen=True)
class Timeline:
    """Seconds and tokens/s of continuous batching with ``batch`` requests always running."""

    ttft: object
    inter_token: object  # with the other requests' prefills in between
    cycle: object  # a request's life: serving, B prefills, O - 1 steps
    aggregate: object
    per_request: object


def continuous_batching(step, prefill, serving, batch, output_len) -> Timeline:
    """The closed-loop equations of the module docstring (scalars or numpy arrays)."""
    cycle = serving + batch * prefill + (output_len - 1) * step
    return Timeline(
        ttft=serving + prefill,
        inter_token=step + (batch - 1) * prefill / np.maximum(output_len - 1, 1),
        cycle=cycle,
        aggregate=batch * output_len / cycle,
        per_request=output_len / cycle,
    )


# ---------------------------------------------------------------------------------------------
# Public prediction
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    """A vLLM replica with ``batch`` requests always running (continuous batching)."""

    ttft_ms: float  # vLLM's own time plus one prefill, no queue
    tpot_ms: float  # one decode step at this batch, no prefill in between
    itl_under_load_ms: float  # inter-token latency with the other requests' prefills
    e2e_ms: float  # a request's life under load: prefill + O - 1 steps + others' prefills
    per_request_tokens_per_s: float
    output_tokens_per_s: float  # aggregate over the replica
    generation: str
    calibrated: bool  # False: roofline bound only (no measurement to fit on)
    decode_bound: Literal["memory", "compute"]

    def as_dict(self) -> dict[str, float | str | bool]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def predict(
    model: str | ModelShape,
    instance_type: str,
    *,
    tensor_parallel_size: int,
    batch: int,
    input_len: int,
    output_len: int,
    weight_dtype: str = "bf16",
    max_num_seqs: int | None = None,
    params: GenerationParams | None = None,
) -> Prediction:
    """TTFT, TPOT and output tokens/s of one replica of ``model`` on ``instance_type``.

    ``batch`` is the number of requests running at once; ``max_num_seqs`` (default: ``batch``)
    the compiled batch, which a Neuron decode step always pays for in full. Raises
    PerformanceInputError when the inputs cannot be served (see ``check``).
    """
    shape = resolve_shape(model)
    hw = hardware(instance_type)
    seqs = max_num_seqs if max_num_seqs is not None else batch
    problems = check(
        shape,
        hw,
        tensor_parallel_size=tensor_parallel_size,
        batch=batch,
        input_len=input_len,
        output_len=output_len,
        weight_dtype=weight_dtype,
        max_num_seqs=seqs,
    )
    if problems:
        raise PerformanceInputError("; ".join(problems))
    p_obj = params or generation_params(hw.generation)
    p = p_obj.as_vector()
    slots = max(batch, seqs) if hw.neuron else batch
    f = features(
        shape,
        hw,
        tensor_parallel_size=tensor_parallel_size,
        slots=slots,
        input_len=input_len,
        output_len=output_len,
        weight_dtype=weight_dtype,
    )
    step = float(step_seconds(p, f))
    t = continuous_batching(
        step, float(prefill_seconds(p, f)), float(serving_seconds(p)), batch, output_len
    )
    compute = bool(f.decode_matmul_s / p[2] > f.weights_s / p[0])
    return Prediction(
        ttft_ms=float(t.ttft) * 1e3,
        tpot_ms=step * 1e3,
        itl_under_load_ms=float(t.inter_token) * 1e3,
        e2e_ms=float(t.cycle) * 1e3,
        per_request_tokens_per_s=float(t.per_request),
        output_tokens_per_s=float(t.aggregate),
        generation=hw.generation,
        calibrated=p_obj.calibrated,
        decode_bound="compute" if compute else "memory",
    )


# ---------------------------------------------------------------------------------------------
# Feasibility
# ---------------------------------------------------------------------------------------------


def memory_required_bytes(
    shape: ModelShape,
    hw: Hardware,
    *,
    tensor_parallel_size: int,
    max_num_seqs: int,
    max_model_len: int,
    weight_dtype: str = "bf16",
) -> float:
    """Weights plus the KV cache for max_num_seqs x max_model_len tokens (vLLM on Neuron
    reserves it all up front), before headroom."""
    kv = shape.kv_heads
    if hw.neuron:
        kv = effective_kv_heads(kv, tensor_parallel_size)
    weights = shape.params * WEIGHT_BYTES[weight_dtype]
    kv_cache = max_num_seqs * max_model_len * shape.layers * 2 * kv * shape.head_dim * KV_BYTES
    return weights + kv_cache


def check(
    shape: ModelShape,
    hw: Hardware,
    *,
    tensor_parallel_size: int,
    batch: int,
    input_len: int,
    output_len: int,
    weight_dtype: str,
    max_num_seqs: int,
    max_model_len: int | None = None,
) -> list[str]:
    """Every reason these inputs cannot run, each naming its argument (empty: feasible)."""
    problems = []
    for name, value in (
        ("batch", batch),
        ("input_len", input_len),
        ("output_len", output_len),
        ("max_num_seqs", max_num_seqs),
    ):
        if value < 1:
            problems.append(f"{name} must be at least 1, got {value}")
    if weight_dtype not in WEIGHT_DTYPES[hw.generation]:
        problems.append(
            f"weight_dtype {weight_dtype!r} is not served on {hw.instance_type}; use one of "
            f"{', '.join(WEIGHT_DTYPES[hw.generation])}"
        )
    if tensor_parallel_size not in hw.tensor_parallel_degrees:
        problems.append(
            f"tensor_parallel_size {tensor_parallel_size} is not supported on "
            f"{hw.instance_type}; supported: {', '.join(map(str, hw.tensor_parallel_degrees))}"
        )
    if hw.neuron and batch > max_num_seqs:
        problems.append(
            f"batch {batch} exceeds max_num_seqs {max_num_seqs}: vLLM runs at most max_num_seqs "
            "requests at once, the rest wait"
        )
    if problems:
        return problems
    length = max_model_len or input_len + output_len
    needed = memory_required_bytes(
        shape,
        hw,
        tensor_parallel_size=tensor_parallel_size,
        max_num_seqs=max(max_num_seqs, batch),
        max_model_len=length,
        weight_dtype=weight_dtype,
    )
    available = hw.memory_bytes_per_rank * (tensor_parallel_size if hw.neuron else 1)
    if needed > available * (1 - MEMORY_HEADROOM_FRACTION):
        problems.append(
            f"does not fit: {shape.id} needs {needed / catalog.GIB:.1f} GiB (weights + KV cache "
            f"for {max(max_num_seqs, batch)} x {length} tokens) plus "
            f"{MEMORY_HEADROOM_FRACTION:.0%} headroom, {hw.instance_type} at "
            f"tensor_parallel_size {tensor_parallel_size} has {available / catalog.GIB:.0f} GiB"
        )
    return problems


@dataclass(frozen=True)
class DegreeOption:
    tensor_parallel_size: int
    feasible: bool
    reasons: tuple[str, ...]


def tensor_parallel_options(
    model: str | ModelShape,
    instance_type: str,
    *,
    max_num_seqs: int,
    max_model_len: int,
    weight_dtype: str = "bf16",
) -> list[DegreeOption]:
    """Every TP degree the Neuron runtime supports on the instance (1 on CPU), with why each
    infeasible one is dropped."""
    shape = resolve_shape(model)
    hw = hardware(instance_type)
    options = []
    for tp in hw.tensor_parallel_degrees:
        reasons = check(
            shape,
            hw,
            tensor_parallel_size=tp,
            batch=max_num_seqs,
            input_len=1,
            output_len=1,
            weight_dtype=weight_dtype,
            max_num_seqs=max_num_seqs,
            max_model_len=max_model_len,
        )
        options.append(DegreeOption(tp, not reasons, tuple(reasons)))
    return options


def feasible_tensor_parallel_degrees(
    model: str | ModelShape,
    instance_type: str,
    *,
    max_num_seqs: int,
    max_model_len: int,
    weight_dtype: str = "bf16",
) -> list[int]:
    return [
        o.tensor_parallel_size
        for o in tensor_parallel_options(
            model,
            instance_type,
            max_num_seqs=max_num_seqs,
            max_model_len=max_model_len,
            weight_dtype=weight_dtype,
        )
        if o.feasible
    ]
