"""Transformer shapes the performance model reads: layer, head, width and vocabulary sizes.

Values are the fields of each model's Hugging Face ``config.json`` (hidden_size,
num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim or hidden/heads,
intermediate_size, vocab_size, tie_word_embeddings), at https://huggingface.co/<id>/blob/main/
config.json. They were read from copies quoted in public repositories (for Llama 1/2/3 and Code
Llama also tinygrad ``examples/llama.py`` MODEL_PARAMS), not fetched live; ``params`` is computed
from them and checked against the model cards' counts in the tests.

The catalog (``graviton_llm.catalog.ModelInfo``) keeps what the deployment needs (parameters,
layers, KV heads, context); this table adds what the arithmetic of a forward pass needs, for the
catalog's text models and for the models of the published measurements we calibrate on.
"""

from __future__ import annotations

from dataclasses import dataclass


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


def _shape(id_, hidden, layers, heads, kv, intermediate, vocab, *, head_dim=None, tied=False):
    return ModelShape(id_, hidden, layers, heads, kv, head_dim or hidden // heads, intermediate,
                      vocab, tied)  # fmt: skip


MODEL_SHAPES: dict[str, ModelShape] = {
    s.id: s
    for s in [
        # Catalog models (graviton_llm.catalog.KNOWN_MODELS), text only.
        _shape("meta-llama/Llama-3.2-1B", 2048, 16, 32, 8, 8192, 128256, head_dim=64, tied=True),
        _shape("meta-llama/Llama-3.2-3B", 3072, 28, 24, 8, 8192, 128256, head_dim=128, tied=True),
        _shape("meta-llama/Llama-3.1-8B", 4096, 32, 32, 8, 14336, 128256),
        _shape("meta-llama/Llama-3.1-70B", 8192, 80, 64, 8, 28672, 128256),
        _shape("meta-llama/Llama-3.1-405B", 16384, 126, 128, 8, 53248, 128256),
        _shape("meta-llama/Llama-3.3-70B", 8192, 80, 64, 8, 28672, 128256),
        _shape("meta-llama/Meta-Llama-3-8B", 4096, 32, 32, 8, 14336, 128256),
        _shape("meta-llama/Meta-Llama-3-70B", 8192, 80, 64, 8, 28672, 128256),
        _shape("mistralai/Mistral-7B-v0.3", 4096, 32, 32, 8, 14336, 32768),
        _shape("Qwen/Qwen2.5-7B", 3584, 28, 28, 4, 18944, 152064),
        # Models of published measurements (facts/data/performance_measurements.csv).
        _shape("meta-llama/Llama-2-7b-hf", 4096, 32, 32, 32, 11008, 32000),
        _shape("meta-llama/Llama-2-13b-hf", 5120, 40, 40, 40, 13824, 32000),
        _shape("meta-llama/Llama-2-70b-hf", 8192, 80, 64, 8, 28672, 32000),
        _shape("codellama/CodeLlama-13b-hf", 5120, 40, 40, 40, 13824, 32016),
        _shape("mistralai/Mistral-7B-Instruct-v0.2", 4096, 32, 32, 8, 14336, 32000),
        _shape("Qwen/Qwen3-32B", 5120, 64, 64, 8, 25600, 151936, head_dim=128),
        # DeepSeek-R1-Distill-Llama-8B is Llama-3.1-8B's architecture (its config.json).
        _shape("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", 4096, 32, 32, 8, 14336, 128256),
    ]
}


def _key(model_id: str) -> str:
    name = model_id.rsplit("/", 1)[-1].lower()
    for suffix in ("-instruct", "-hf", "-chat"):
        name = name.removesuffix(suffix)
    return name


_BY_KEY: dict[str, ModelShape] = {}
for _s in MODEL_SHAPES.values():
    _BY_KEY.setdefault(_key(_s.id), _s)
# Hugging Face renamed "Meta-Llama-3.1-8B" to "Llama-3.1-8B"; accept both spellings.
for _name in ("Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B"):
    _BY_KEY[_key("Meta-" + _name)] = MODEL_SHAPES["meta-llama/" + _name]


def model_shape(model_id: str) -> ModelShape | None:
    """The shape of a model id, with or without org prefix and -Instruct/-hf suffix."""
    return _BY_KEY.get(_key(model_id))
