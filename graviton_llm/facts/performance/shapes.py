"""Transformer shapes the performance model reads: layer, head, width and vocabulary sizes.

Values are the fields of each model's Hugging Face ``config.json`` (hidden_size,
num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim or hidden/heads,
intermediate_size, vocab_size, tie_word_embeddings), at https://huggingface.co/<id>/blob/main/
config.json. They were read from copies quoted in public repositories (for Llama 1/2/3 and Code
Llama also tinygrad ``examples/llama.py`` MODEL_PARAMS), not fetched live; ``params`` is computed
from them and checked against the model cards' counts in the tests.

Deployable models take their shape from their row in facts/models.py (one definition of each
model); the models of the published measurements we calibrate on, which we do not deploy, are
listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import KNOWN_MODELS, ModelInfo, model_key, resolve_model


@dataclass(frozen=True)
class ModelShape:
    id: str
    hidden_size: int
    layers: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    intermediate_size: int  # gated MLP (SwiGLU): gate, up and down projections
    vocab_size: int
    tied_embeddings: bool

    @property
    def layer_params(self) -> int:
        """Weights of one decoder layer (projections; norms are negligible)."""
        attention = (
            self.hidden_size * self.head_dim * (2 * self.attention_heads + 2 * self.kv_heads)
        )
        return attention + 3 * self.hidden_size * self.intermediate_size

    @property
    def embedding_params(self) -> int:
        return self.vocab_size * self.hidden_size

    @property
    def params(self) -> int:
        heads = 1 if self.tied_embeddings else 2
        return self.layers * self.layer_params + heads * self.embedding_params


def shape_of(info: ModelInfo) -> ModelShape | None:
    """A deployable model's shape, from its row in facts/models.py (None without one)."""
    arch = info.architecture
    if arch is None:
        return None
    return ModelShape(
        info.id, arch.hidden_size, info.layers, arch.attention_heads, info.kv_heads,
        info.head_dim, arch.intermediate_size, arch.vocab_size, arch.tied_embeddings,
    )  # fmt: skip


def _shape(
    id_: str, hidden: int, layers: int, heads: int, kv: int, intermediate: int, vocab: int,
    *, head_dim: int | None = None, tied: bool = False,
) -> ModelShape:  # fmt: skip
    return ModelShape(id_, hidden, layers, heads, kv, head_dim or hidden // heads, intermediate,
                      vocab, tied)  # fmt: skip


# Models we calibrate on but do not deploy (facts/performance/data/performance_measurements.csv).
MEASURED_ONLY: dict[str, ModelShape] = {
    s.id: s
    for s in [
        _shape("meta-llama/Llama-2-7b-hf", 4096, 32, 32, 32, 11008, 32000),
        _shape("meta-llama/Llama-2-13b-hf", 5120, 40, 40, 40, 13824, 32000),
        _shape("meta-llama/Llama-2-70b-hf", 8192, 80, 64, 8, 28672, 32000),
        _shape("codellama/CodeLlama-13b-hf", 5120, 40, 40, 40, 13824, 32016),
        _shape("mistralai/Mistral-7B-Instruct-v0.2", 4096, 32, 32, 8, 14336, 32000),
        _shape("Qwen/Qwen3-32B", 5120, 64, 64, 8, 25600, 151936, head_dim=128),
        # DeepSeek-R1-Distill-Llama-8B is Llama-3.1-8B's architecture (its config.json).
        _shape("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", 4096, 32, 32, 8, 14336, 128256),
        # DeepSeek-R1-Distill-Llama-70B is Llama-3.3-70B's architecture (its config.json).
        _shape("deepseek-ai/DeepSeek-R1-Distill-Llama-70B", 8192, 80, 64, 8, 28672, 128256),
        # Qwen2.5-7B-Instruct config.json: 28 layers, 28 heads, 4 KV heads, untied embeddings.
        _shape("Qwen/Qwen2.5-7B-Instruct", 3584, 28, 28, 4, 18944, 152064),
    ]
}

MODEL_SHAPES: dict[str, ModelShape] = {
    **{info.id: shape for info in KNOWN_MODELS.values() if (shape := shape_of(info)) is not None},
    **MEASURED_ONLY,
}
_MEASURED_BY_KEY = {model_key(s.id): s for s in MEASURED_ONLY.values()}


def model_shape(model_id: str) -> ModelShape | None:
    """The shape of a model id, with or without org prefix and -Instruct/-hf suffix."""
    info = resolve_model(model_id)
    if info is not None:
        return MODEL_SHAPES.get(info.id)
    return _MEASURED_BY_KEY.get(model_key(model_id))
