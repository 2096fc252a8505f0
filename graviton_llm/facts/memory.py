"""Does a model fit: weights plus KV cache against the memory a replica lives in.

One rule for every caller: the args refuse a cluster that does not fit, and the cost comparison
offers only alternatives that would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import catalog
from .catalog import InstanceSpec
from .models import DTYPE_BYTES, ModelInfo, weights_gib
from .units import GIB

# Our margin, not a hardware figure: the Neuron runtime's scratchpad and compiled graphs, or the
# OS and vLLM process on the CPU path, need memory beyond weights and KV cache.
HEADROOM_FRACTION = 0.10


def fits(required_gib: float, available_gib: float) -> bool:
    """Weights + KV cache fit when they leave the headroom free."""
    return required_gib <= available_gib * (1 - HEADROOM_FRACTION)


def effective_kv_heads(kv_heads: int, tensor_parallel_size: int) -> int:
    """KV heads held across the TP group. NxD Inference's default GQA sharding,
    REPLICATE_TO_TP_DEGREE, replicates KV heads up to the TP degree when TP exceeds them (TP=24
    with 8 KV heads stores 24), and pads them to a multiple of TP otherwise
    (neuronx-distributed-inference, modules/attention/gqa.py, determine_sharding_strategy).
    Every supported degree divides or is a multiple of the model table's KV head counts, so for
    those only the replication changes anything."""
    if tensor_parallel_size > kv_heads:
        return kv_heads * math.ceil(tensor_parallel_size / kv_heads)
    return math.ceil(kv_heads / tensor_parallel_size) * tensor_parallel_size


def kv_cache_gib(
    model: ModelInfo,
    dtype: str,
    max_model_len: int,
    max_num_seqs: int,
    kv_heads: int | None = None,
) -> float:
    """KV cache for max_num_seqs sequences of max_model_len tokens each."""
    per_token = model.kv_bytes_per_token(DTYPE_BYTES[dtype], kv_heads)
    return per_token * max_model_len * max_num_seqs / GIB


def model_memory_gib(
    params_billion: float,
    dtype: str,
    model: ModelInfo | None,
    max_model_len: int,
    max_num_seqs: int,
) -> float:
    """Weights plus KV cache at the model's own KV heads: what any accelerator (or host RAM) must
    hold for these shapes; NxD Inference's KV replication at high TP comes on top."""
    kv = 0.0 if model is None else kv_cache_gib(model, dtype, max_model_len, max_num_seqs)
    return weights_gib(params_billion, dtype) + kv


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
        return fits(self.weights_gib + self.kv_cache_gib, self.available_gib)


def memory_fit(
    *,
    spec: InstanceSpec,
    params_billion: float,
    dtype: str,
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
    kv_gib = 0.0
    if model is not None:
        heads = model.kv_heads
        if spec.accelerator == "neuron":
            heads = effective_kv_heads(model.kv_heads, tensor_parallel_size)
        kv_gib = kv_cache_gib(model, dtype, max_model_len, max_num_seqs, heads)
    available = catalog.serving_memory_gib(spec, tensor_parallel_size)
    return MemoryFit(
        weights_gib(params_billion, dtype), kv_gib, available * HEADROOM_FRACTION, available
    )


def largest_batch_that_fits(fit: MemoryFit, max_num_seqs: int) -> int:
    """The max_num_seqs that would fit with everything else unchanged (0: weights alone don't)."""
    if fit.kv_cache_gib == 0:
        return max_num_seqs if fit.fits else 0
    per_seq = fit.kv_cache_gib / max_num_seqs
    spare = fit.available_gib - fit.headroom_gib - fit.weights_gib
    return max(0, math.floor(spare / per_seq))
