"""Point predictions and feasibility: what a replica of a model on an instance type, TP degree
and batch achieves (roofline.py), and which TP degrees can serve it at all."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

from ..memory import HEADROOM_FRACTION, effective_kv_heads, fits
from ..units import GIB
from .load import Engine
from .parameters import (
    COHORT,
    KV_BYTES,
    WEIGHT_BYTES,
    WEIGHT_DTYPES,
    GenerationParams,
    PerformanceInputError,
    generation_params,
)
from .roofline import (
    Hardware,
    continuous_batching,
    features,
    hardware,
    prefill_seconds,
    resolve_shape,
    serving_seconds,
    step_seconds,
)
from .shapes import ModelShape


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


@dataclass(frozen=True)
class Scales:
    """A deployment's own calibration (`size --calibrate`): multipliers on the fitted decode
    step and prefill, and vLLM's serving time in ms (None: the generation's)."""

    step: float = 1.0
    prefill: float = 1.0
    serving_ms: float | None = None


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
    scales: Scales | None = None,
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
    scales = scales or Scales()
    step = float(step_seconds(p, f)) * scales.step
    serving = serving_seconds(p) if scales.serving_ms is None else scales.serving_ms / 1e3
    t = continuous_batching(
        step, float(prefill_seconds(p, f)) * scales.prefill, float(serving), batch, output_len
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


def engine(
    model: str | ModelShape,
    instance_type: str,
    *,
    tensor_parallel_size: int,
    max_num_seqs: int,
    input_len: int,
    output_len: int,
    weight_dtype: str = "bf16",
    scales: Scales | None = None,
) -> Engine:
    """One replica's timings for the load model (load.py): its compiled ``max_num_seqs`` slots,
    one prefill of ``input_len``, the decode step and vLLM's own time. Raises
    PerformanceInputError like ``predict``."""
    shape = resolve_shape(model)
    hw = hardware(instance_type)
    problems = check(
        shape, hw, tensor_parallel_size=tensor_parallel_size, batch=max_num_seqs,
        input_len=input_len, output_len=output_len, weight_dtype=weight_dtype,
        max_num_seqs=max_num_seqs,
    )  # fmt: skip
    if problems:
        raise PerformanceInputError("; ".join(problems))
    p = generation_params(hw.generation).as_vector()
    f = features(
        shape, hw, tensor_parallel_size=tensor_parallel_size, slots=max_num_seqs,
        input_len=input_len, output_len=output_len, weight_dtype=weight_dtype,
    )  # fmt: skip
    scales = scales or Scales()
    serving = serving_seconds(p) if scales.serving_ms is None else scales.serving_ms / 1e3
    return Engine(
        slots=max_num_seqs,
        serving_s=float(serving),
        prefill_s=float(prefill_seconds(p, f)) * scales.prefill,
        step_s=float(step_seconds(p, f)) * scales.step,
        output_len=output_len,
        cohort=COHORT,
    )


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
    if not fits(needed, available):  # the args' rule (facts/memory.py), in bytes
        problems.append(
            f"does not fit: {shape.id} needs {needed / GIB:.1f} GiB (weights + KV cache "
            f"for {max(max_num_seqs, batch)} x {length} tokens) plus "
            f"{HEADROOM_FRACTION:.0%} headroom, {hw.instance_type} at "
            f"tensor_parallel_size {tensor_parallel_size} has {available / GIB:.0f} GiB"
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
