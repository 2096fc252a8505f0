"""How each serving stack runs vLLM: the container's env and vLLM's flags (the node agent
assembles the `docker run` line from them). One function per stack (vLLM on the
NxD-Inference-based Neuron plugin, on the newer Neuron plugin, vLLM's CPU backend on Graviton),
chosen by an exhaustive match."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import assert_never

from ..args import ResolvedClusterArgs
from ..facts import images
from ..facts.memory import kv_cache_gib
from ..node_agent.paths import ACTIVE_ARTIFACTS, ARTIFACTS_MOUNT, MODEL_MOUNT

# vllm-neuron (NxDI-based) recommends a paged-attention block of 32 or 16 (Neuron docs, "vLLM
# User Guide for NxD Inference", prefix caching row).
NEURON_BLOCK_SIZE = 32


@dataclass(frozen=True)
class ServeCommand:
    """How one serving stack runs vLLM: the container's env and the `vllm` arguments (the
    node agent gives the container its devices: node_agent/container.py)."""

    env: dict[str, str]
    vllm_args: list[str]


def num_gpu_blocks_override(args: ResolvedClusterArgs) -> int:
    """KV blocks NxDI compiles in; the scheduler must use the same count (vllm-neuron known issue).

    With prefix caching (block KV layout): ceil(max_model_len / block_size) x max_num_seqs.
    Without it (contiguous layout, block_size forced to max_model_len): exactly max_num_seqs.
    """
    if args.enable_prefix_caching:
        return math.ceil(args.max_model_len / NEURON_BLOCK_SIZE) * args.max_num_seqs
    return args.max_num_seqs


def _common_vllm_args(args: ResolvedClusterArgs) -> list[str]:
    return [
        "serve",
        MODEL_MOUNT,
        "--served-model-name",
        args.model.id,
        "--dtype",
        args.model.dtype,
        "--tensor-parallel-size",
        str(args.tensor_parallel_size),
        "--max-model-len",
        str(args.max_model_len),
        "--max-num-seqs",
        str(args.max_num_seqs),
        "--max-num-batched-tokens",
        str(args.max_num_batched_tokens),
        "--port",
        str(args.port),
        "--enable-prefix-caching" if args.enable_prefix_caching else "--no-enable-prefix-caching",
    ]


def compact_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


# The container sees this node's artifact directory here (a symlink to the key's directory, set
# before each start by `model-store prepare`): the command line is the same whatever the key.
ACTIVE_ARTIFACTS_MOUNT = f"{ARTIFACTS_MOUNT}/{ACTIVE_ARTIFACTS}"


def _neuron_nxdi(args: ResolvedClusterArgs) -> ServeCommand:
    """inf2/trn1/trn1n: SDK 2.28 image, vllm-neuron 0.4.x on NxD Inference."""
    blocks = num_gpu_blocks_override(args)
    vllm_args = [
        *_common_vllm_args(args),
        "--block-size",
        str(NEURON_BLOCK_SIZE),
        "--num-gpu-blocks-override",
        str(blocks),
    ]
    if args.enable_prefix_caching:
        # Both flags enable automatic prefix caching in NxDI; pa_num_blocks must equal
        # num_gpu_blocks_override (Neuron docs, "vLLM User Guide for NxD Inference").
        override = {
            "is_prefix_caching": True,
            "is_block_kv_layout": True,
            "pa_block_size": NEURON_BLOCK_SIZE,
            "pa_num_blocks": blocks,
        }
        vllm_args += ["--additional-config", compact_json({"override_neuron_config": override})]
    return ServeCommand(
        env={
            "VLLM_NEURON_FRAMEWORK": "neuronx-distributed-inference",
            "NEURON_COMPILED_ARTIFACTS": ACTIVE_ARTIFACTS_MOUNT,
        },
        vllm_args=vllm_args,
    )


def _neuron_plugin(args: ResolvedClusterArgs) -> ServeCommand:
    """trn2: the newer vllm-neuron plugin (0.21+); no --num-gpu-blocks-override/--block-size,
    shapes go in --additional-config neuron_config buckets whose largest values must equal
    max_num_batched_tokens and max_num_seqs (vllm-neuron reference-configuration)."""
    neuron_config = {
        "num_batched_tokens_buckets": [args.max_num_batched_tokens],
        "num_seqs_buckets": [args.max_num_seqs],
    }
    return ServeCommand(
        env={
            "NEURON_COMPILED_ARTIFACTS": ACTIVE_ARTIFACTS_MOUNT,
            # The newer plugin keeps its compiled graphs under $VLLM_CACHE_ROOT/neuron/
            # compile_cache/ (aws-neuron-sdk vllm-neuron/docs/design/compilation/
            # compilation_cache.md), by default in the container's home, which --rm discards:
            # in the artifact directory they survive restarts and travel with the cache.
            "VLLM_CACHE_ROOT": f"{ACTIVE_ARTIFACTS_MOUNT}/vllm-cache",
            # The nodes have no EFA interface (single-node serving); without this the server
            # fails to start (Neuron DLC quickstart for the 0.2x images).
            "NEURON_SKIP_EFA_AFFINITY": "1",
        },
        vllm_args=[
            *_common_vllm_args(args),
            "--additional-config",
            compact_json({"neuron_config": neuron_config}),
        ],
    )


def cpu_kv_cache_gib(args: ResolvedClusterArgs) -> int:
    """VLLM_CPU_KVCACHE_SPACE: the KV cache for max_num_seqs x max_model_len (at least 4 GiB,
    vLLM's own default)."""
    info = args.model.info
    if info is None:
        return 4
    kv = kv_cache_gib(info, args.model.dtype, args.max_model_len, args.max_num_seqs)
    return max(4, math.ceil(kv))


def _cpu(args: ResolvedClusterArgs) -> ServeCommand:
    """Graviton4: vLLM's CPU backend image for arm64."""
    return ServeCommand(
        env={
            "VLLM_CPU_KVCACHE_SPACE": str(cpu_kv_cache_gib(args)),
            "VLLM_CPU_OMP_THREADS_BIND": "auto",
        },
        vllm_args=_common_vllm_args(args),
    )


def serve_command(args: ResolvedClusterArgs) -> ServeCommand:
    stack = images.serving_stack(args.spec)
    match stack:
        case "neuron-nxdi":
            return _neuron_nxdi(args)
        case "neuron-plugin":
            return _neuron_plugin(args)
        case "cpu":
            return _cpu(args)
        case _:
            assert_never(stack)
