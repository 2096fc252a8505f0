"""The performance model's fitted parameters per hardware generation, and the weight formats vLLM
serves on each (docs/performance-model.md). Fitted by ``fit.fit`` and stored here as constants;
nothing is fitted at import time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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

# Fitted by benchmarks/bench_performance_model.py on 2026-12-07 (fit.fit on the "fit" rows of
# data/performance_measurements.csv). Refit and paste the printed values when the data change;
# tests/facts/test_performance_model.py checks that the fit reproduces them.
FITTED: dict[str, GenerationParams] = {
    # Inf2, Trn1, Trn1n (NeuronCore-v2): all nine fitted on 159 rows.
    "neuron-v2": GenerationParams(
        bandwidth_efficiency=0.5325,
        decode_attention_efficiency=0.003075,
        matmul_efficiency=0.2402,
        prefill_attention_efficiency=0.0144,
        step_overhead_ms=3.213,
        layer_overhead_ms=1e-05,
        layer_overhead_per_log2_tp_ms=0.008427,
        prefill_overhead_ms=13.78,
        serving_overhead_ms=49.19,
        calibrated=True,
        provenance="fit on 196 rows: all nine parameters",
    ),
    # Trn2 (NeuronCore-v3, LNC=2): three fitted on 15 rows, decode attention left to the KV
    # reads, prefill attention at the matmul efficiency, overheads from NeuronCore-v2.
    "neuron-v3": GenerationParams(
        bandwidth_efficiency=0.3799,
        decode_attention_efficiency=1.0,
        matmul_efficiency=0.2985,
        prefill_attention_efficiency=0.2985,
        step_overhead_ms=3.213,
        layer_overhead_ms=1e-05,
        layer_overhead_per_log2_tp_ms=0.008427,
        prefill_overhead_ms=13.78,
        serving_overhead_ms=11.86,
        calibrated=True,
        provenance="fit on 15 rows: bandwidth_efficiency, matmul_efficiency, "
        "serving_overhead_ms; the others fixed, linked or from neuron-v2",
    ),
}

# The load model's cohort fraction (load.py): an arrival under a closed loop waits for this
# fraction of the other running requests' prefills. Fitted by loaded.fit_cohort on the fit set's
# loaded TTFTs with the constants above.
COHORT = 0.3

# No published vLLM-CPU measurement on Graviton gives instance, model, lengths and concurrency
# (docs/performance-model.md lists what was found), so nothing is fitted there: the roofline
# itself, every efficiency 1 and no overhead. These predictions are upper bounds, not estimates.
ROOFLINE_ONLY = GenerationParams(
    1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, False, "roofline bound"
)


def generation_params(generation: str) -> GenerationParams:
    return FITTED.get(generation, ROOFLINE_ONLY)
