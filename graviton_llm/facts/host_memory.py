"""Whether an instance's host RAM can stage a model's checkpoint.

vLLM on Neuron loads the Hugging Face checkpoint into host memory and shards it onto the
NeuronCores at load time (NxD Inference weights sharding guide, "shard on load"; docs/sources.md),
so the whole checkpoint must fit in host RAM beside the OS, the container and vLLM itself, even
when the device memory holds it easily: inf2.xlarge has 32 GiB of device memory but 16 GiB of
host RAM, and a bf16 8B checkpoint is 15 GiB. On the CPU path the weights live in host RAM
anyway (the device-memory check covers it).
"""

from __future__ import annotations

from .catalog import InstanceSpec
from .units import GIB

# Host RAM kept for the OS, the container runtime, vLLM's process and the tokenizer while the
# checkpoint is staged. Our assumption (no published figure): a loaded vLLM server process is a
# few GiB before weights.
HOST_RESERVE_GIB = 4.0


def host_memory_problem(spec: InstanceSpec, checkpoint_bytes: float) -> str | None:
    """Why ``spec`` cannot stage a checkpoint of ``checkpoint_bytes`` (None: it can)."""
    if spec.accelerator != "neuron":
        return None
    needed = checkpoint_bytes / GIB + HOST_RESERVE_GIB
    if needed <= spec.memory_gib:
        return None
    return (
        f"host RAM {spec.memory_gib} GiB cannot stage the {checkpoint_bytes / GIB:.1f} GiB "
        f"checkpoint plus {HOST_RESERVE_GIB:g} GiB for the OS and vLLM (vLLM on Neuron loads the "
        "checkpoint into host memory to shard it)"
    )
