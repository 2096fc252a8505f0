"""Models as data: the architectures we size memory and disk for, and which real model an id
names (or why an id that looks real names none, like the blog's "Llama 3.2 70B")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .units import GIB

# Source: Meta model cards and Hugging Face config.json of each model (parameters,
# num_hidden_layers, num_key_value_heads, head_dim = hidden_size / num_attention_heads,
# max_position_embeddings); Mistral/Qwen rows: their Hugging Face config.json (docs/sources.md).


@dataclass(frozen=True)
class ModelInfo:
    id: str  # canonical Hugging Face id, without the -Instruct suffix
    params_billion: float
    layers: int
    kv_heads: int
    head_dim: int
    max_context: int
    vision: bool = False
    # The rest of config.json the performance model's arithmetic reads (None: not modelled).
    architecture: Architecture | None = None

    def kv_bytes_per_token(self, dtype_bytes: int, kv_heads: int | None = None) -> int:
        """K and V for every layer: 2 x layers x kv_heads x head_dim x bytes. ``kv_heads``
        overrides the model's count where the runtime stores more (Neuron's GQA replication)."""
        heads = self.kv_heads if kv_heads is None else kv_heads
        return 2 * self.layers * heads * self.head_dim * dtype_bytes


@dataclass(frozen=True)
class Architecture:
    """config.json's hidden_size, num_attention_heads, intermediate_size (gated MLP), vocab_size
    and tie_word_embeddings."""

    hidden_size: int
    attention_heads: int
    intermediate_size: int
    vocab_size: int
    tied_embeddings: bool = False


_LLAMA_31_VOCAB = 128256
KNOWN_MODELS: dict[str, ModelInfo] = {
    m.id: m
    for m in [
        ModelInfo("meta-llama/Llama-3.2-1B", 1.24, 16, 8, 64, 131072,
                  architecture=Architecture(2048, 32, 8192, _LLAMA_31_VOCAB, tied_embeddings=True)),
        ModelInfo("meta-llama/Llama-3.2-3B", 3.21, 28, 8, 128, 131072,
                  architecture=Architecture(3072, 24, 8192, _LLAMA_31_VOCAB, tied_embeddings=True)),
        ModelInfo("meta-llama/Llama-3.2-11B-Vision", 10.6, 40, 8, 128, 131072, vision=True),
        ModelInfo("meta-llama/Llama-3.2-90B-Vision", 88.8, 100, 8, 128, 131072, vision=True),
        ModelInfo("meta-llama/Llama-3.1-8B", 8.03, 32, 8, 128, 131072,
                  architecture=Architecture(4096, 32, 14336, _LLAMA_31_VOCAB)),
        ModelInfo("meta-llama/Llama-3.1-70B", 70.6, 80, 8, 128, 131072,
                  architecture=Architecture(8192, 64, 28672, _LLAMA_31_VOCAB)),
        ModelInfo("meta-llama/Llama-3.1-405B", 405.9, 126, 8, 128, 131072,
                  architecture=Architecture(16384, 128, 53248, _LLAMA_31_VOCAB)),
        ModelInfo("meta-llama/Llama-3.3-70B", 70.6, 80, 8, 128, 131072,
                  architecture=Architecture(8192, 64, 28672, _LLAMA_31_VOCAB)),
        ModelInfo("meta-llama/Meta-Llama-3-8B", 8.03, 32, 8, 128, 8192,
                  architecture=Architecture(4096, 32, 14336, _LLAMA_31_VOCAB)),
        ModelInfo("meta-llama/Meta-Llama-3-70B", 70.6, 80, 8, 128, 8192,
                  architecture=Architecture(8192, 64, 28672, _LLAMA_31_VOCAB)),
        ModelInfo("mistralai/Mistral-7B-v0.3", 7.25, 32, 8, 128, 32768,
                  architecture=Architecture(4096, 32, 14336, 32768)),
        ModelInfo("Qwen/Qwen2.5-7B", 7.62, 28, 4, 128, 32768,
                  architecture=Architecture(3584, 28, 18944, 152064)),
    ]
}  # fmt: skip

DTYPE_BYTES: dict[str, int] = {"bfloat16": 2, "float16": 2, "float32": 4}


def weights_gib(params_billion: float, dtype: str) -> float:
    """Weight memory: parameters x bytes per parameter of the dtype."""
    return params_billion * 1e9 * DTYPE_BYTES[dtype] / GIB


_SUFFIXES = ("-instruct", "-hf", "-chat")


def model_key(model_id: str) -> str:
    """The spelling-free name of a model id: no org, no -Instruct/-hf/-chat, Meta- dropped."""
    name = model_id.rsplit("/", 1)[-1].lower()
    for suffix in _SUFFIXES:
        name = name.removesuffix(suffix)
    # Hugging Face renamed "Meta-Llama-3.1-8B" to "Llama-3.1-8B"; accept both spellings.
    if re.match(r"meta-llama-3\.[0-9]", name):
        name = name.removeprefix("meta-")
    return name


_BY_KEY: dict[str, ModelInfo] = {model_key(m.id): m for m in KNOWN_MODELS.values()}


def resolve_model(model_id: str) -> ModelInfo | None:
    """The known model an id names, with or without org prefix and -Instruct suffix."""
    key = model_key(model_id)
    # "Llama-3.2-11B" can only mean the vision model: there is no text-only 11B in 3.2.
    return _BY_KEY.get(key) or _BY_KEY.get(f"{key}-vision")


_LLAMA = re.compile(r"llama-([0-9](?:\.[0-9])?)-([0-9]+)b")


def _llama_generation(info: ModelInfo) -> tuple[str, str] | None:
    match = _LLAMA.search(model_key(info.id))
    return (match.group(1), match.group(2)) if match else None


def nonexistent_model_hint(model_id: str) -> str | None:
    """Why a Llama id that looks real names no released model, or None if it is not such an id.

    The blog's "Llama 3.2 70B" is the case in point: 3.2 shipped 1B/3B text and 11B/90B vision.
    """
    match = _LLAMA.search(model_key(model_id))
    if match is None or resolve_model(model_id) is not None:
        return None
    generation, size = match.groups()
    sizes: dict[str, list[str]] = {}
    for info in KNOWN_MODELS.values():
        parsed = _llama_generation(info)
        if parsed is None:
            continue
        gen, gen_size = parsed
        label = f"{gen_size}B" + ("-Vision" if info.vision else "")
        sizes.setdefault(gen, []).append(label)
    if generation not in sizes:
        return None
    same_size = [
        info.id.rsplit("/", 1)[-1]
        for info in KNOWN_MODELS.values()
        if (parsed := _llama_generation(info)) and parsed[1] == size and parsed[0] != generation
    ]
    hint = f"Llama {generation} has no {size}B model (it has {', '.join(sizes[generation])})"
    if same_size:
        hint += f"; a {size}B Llama is one of: {', '.join(same_size)}"
    return hint


def known_model_ids() -> list[str]:
    return sorted(KNOWN_MODELS)
