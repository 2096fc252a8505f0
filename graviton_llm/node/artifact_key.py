"""The artifact key: which compiled Neuron artifacts a node may reuse. Its rendered part is a
digest of everything the compile depends on that the renderer knows (the serve command but its
port, the container env but its paths, the image, the model and the instance family); the node
adds the weights' identity at boot (node_agent/node_files.key_inputs). The key's format is a
contract with the caches deployed stacks have filled (CHANGELOG.md).
"""

from __future__ import annotations

import hashlib

from ..args import ResolvedClusterArgs
from ..facts import images
from ..node_agent.node_files import PATH_ENV
from .serve_command import NEURON_BLOCK_SIZE, compact_json, serve_command

# Bump when what the key covers or how the cache stores a set changes: old sets are then unused.
ARTIFACT_KEY_FORMAT = 1


def artifact_key_inputs(args: ResolvedClusterArgs) -> dict[str, object]:
    """What the Neuron compile depends on, as far as the renderer knows it: vllm-neuron loads
    whatever NEURON_COMPILED_ARTIFACTS holds without checking it against the config
    (vllm-project/vllm-neuron worker/neuronx_distributed_model_loader.py,
    _get_compiled_model_path returns the variable verbatim; "any differing model
    configurations ... will not trigger re-compilation", NxD Inference vLLM user guide), so the
    key must change with anything that changes the compiled model. The whole serve command
    (but the port) and the container env (but paths) are in it, so a flag added later changes
    the key too. The weights' identity (their S3 listing) is added on the node at boot."""
    spec = args.spec
    family = spec.neuron_family
    command = serve_command(args)
    vllm = command.vllm_args
    if "--port" in vllm:
        at = vllm.index("--port")
        vllm = vllm[:at] + vllm[at + 2 :]
    return {
        "format": ARTIFACT_KEY_FORMAT,
        "image": args.image,
        "model_id": args.model.id,
        "dtype": args.model.dtype,
        "tensor_parallel_size": args.tensor_parallel_size,
        "max_model_len": args.max_model_len,
        "max_num_seqs": args.max_num_seqs,
        "max_num_batched_tokens": args.max_num_batched_tokens,
        "block_size": NEURON_BLOCK_SIZE if "--block-size" in vllm else None,
        "enable_prefix_caching": args.enable_prefix_caching,
        "serving_stack": images.serving_stack(spec),
        "instance_family": spec.family,
        "logical_nc_config": family.logical_nc_config if family else None,
        "vllm_args": vllm,
        "env": {k: v for k, v in sorted(command.env.items()) if k not in PATH_ENV},
    }


def artifact_cache_location(args: ResolvedClusterArgs) -> tuple[str, str] | None:
    """(bucket, prefix/) under which this cluster's nodes read and write compiled artifacts:
    the cache's root and the static key. Below it one entry per weights digest (computed at
    boot). None on CPU or with the cache off."""
    root = args.artifact_cache_root
    if root is None:
        return None
    bucket, prefix = root
    return bucket, f"{prefix}{static_artifact_key(args)}/"


def static_artifact_key(args: ResolvedClusterArgs) -> str:
    """The rendered part of the artifact key: a digest of artifact_key_inputs."""
    material = compact_json(artifact_key_inputs(args))
    return hashlib.sha256(material.encode()).hexdigest()[:16]
