"""What `graviton-llm size` is asked: the model (an id, or a Hugging Face config.json for its
shape), the traffic and the latency targets. Every check names the option that fixes it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..facts import performance as perf
from ..facts.models import ModelInfo, nonexistent_model_hint, resolve_model
from ..safeio.bounds import number_problem, require_number
from ..safeio.files import InputFileError, load_json

# Neuron compiles power-of-two context buckets from 128 up (facts/performance/roofline.py), so a
# max_model_len on a power of two wastes no bucket. Our choice, not a vLLM requirement.
MIN_MAX_MODEL_LEN = 128


@dataclass(frozen=True)
class ModelChoice:
    """The model to size: the id it is served as, its shape, and its known-models row if any."""

    id: str
    shape: perf.ModelShape
    info: ModelInfo | None
    max_context: int | None  # None: not known, not checked

    @property
    def params_billion(self) -> float:
        return self.info.params_billion if self.info else round(self.shape.params / 1e9, 3)


# config.json keys the performance model reads (Hugging Face transformers LlamaConfig names),
# with bounds far beyond any published model (ours): a negative width or zero heads is refused,
# not sized.
_CONFIG_KEYS = {
    "hidden_size": 1 << 20,
    "num_hidden_layers": 10_000,
    "num_attention_heads": 10_000,
    "intermediate_size": 1 << 24,
    "vocab_size": 1 << 27,
}
_OPTIONAL_KEYS = {
    "num_key_value_heads": 10_000,
    "head_dim": 1 << 16,
    "max_position_embeddings": 1 << 30,
}
MAX_CONFIG_BYTES = 4 * 2**20  # ours: a config.json is a few KB


def shape_from_config(model_id: str, path: Path) -> tuple[perf.ModelShape, int | None]:
    """A model's shape and context length from its Hugging Face ``config.json``."""
    where = f"--model-config {path}"
    try:
        config = load_json(path, limit=MAX_CONFIG_BYTES, what="a config.json")
    except InputFileError as error:
        raise ValueError(f"--model-config: cannot read a config.json ({error})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{where}: not a JSON object")
    missing = [key for key in _CONFIG_KEYS if not isinstance(config.get(key), int)]
    if missing:
        raise ValueError(
            f"{where}: needs integer {', '.join(missing)} (a decoder-only "
            "transformer's config.json; vision and mixture-of-experts models are not modelled)"
        )
    values = {
        key: require_number(
            config.get(key), f"{where}: {key}", minimum=1, maximum=top, integer=True
        )
        for key, top in _CONFIG_KEYS.items()
    }
    for key, top in _OPTIONAL_KEYS.items():
        if config.get(key) is not None:
            values[key] = require_number(
                config[key], f"{where}: {key}", minimum=1, maximum=top, integer=True
            )
    heads = values["num_attention_heads"]
    kv_heads = values.get("num_key_value_heads", heads)
    if heads % kv_heads:
        raise ValueError(
            f"{where}: num_attention_heads {heads} is not a multiple of num_key_value_heads "
            f"{kv_heads}"
        )
    shape = perf.ModelShape(
        id=model_id,
        hidden_size=values["hidden_size"],
        layers=values["num_hidden_layers"],
        attention_heads=heads,
        kv_heads=kv_heads,
        head_dim=values.get("head_dim", max(1, values["hidden_size"] // heads)),
        intermediate_size=values["intermediate_size"],
        vocab_size=values["vocab_size"],
        tied_embeddings=config.get("tie_word_embeddings", False) is True,
    )
    return shape, values.get("max_position_embeddings")


def choose_model(model_id: str, config_path: Path | None = None) -> ModelChoice:
    """The model named by ``--model``, shaped by ``--model-config`` when given."""
    info = resolve_model(model_id)
    if config_path is not None:
        shape, context = shape_from_config(model_id, config_path)
        return ModelChoice(model_id, shape, info, info.max_context if info else context)
    hint = nonexistent_model_hint(model_id)
    if hint is not None:
        raise ValueError(f"--model {model_id!r}: {hint}")
    table_shape = perf.model_shape(model_id)
    if table_shape is None:
        raise ValueError(
            f"--model {model_id!r}: no layer/head/width shape is known for it; pass its "
            "Hugging Face config.json with --model-config (vision models are not modelled)"
        )
    return ModelChoice(model_id, table_shape, info, info.max_context if info else None)


@dataclass(frozen=True)
class Traffic:
    """Requests per second (open loop, Poisson arrivals) or concurrent users (closed loop: each
    sends its next request ``think_time_s`` after the last one ends), and token lengths."""

    input_len: int  # mean prompt tokens
    output_len: int  # mean output tokens
    requests_per_s: float | None = None
    concurrent_users: int | None = None
    input_len_p50: int | None = None  # default: the mean
    input_len_p99: int | None = None  # default: the mean
    output_len_p99: int | None = None  # default: the mean; only sizes max_model_len
    think_time_s: float = 0.0  # closed loop: a user's pause between a reply and its next request

    def __post_init__(self) -> None:
        problems = []
        if (self.requests_per_s is None) == (self.concurrent_users is None):
            problems.append("give exactly one of --requests-per-s and --concurrent-users")
        if self.requests_per_s is not None and number_problem(
            self.requests_per_s, minimum=0, maximum=1e6, open_minimum=True
        ):
            problems.append(
                f"--requests-per-s must be > 0 and <= 1e6 (finite), got {self.requests_per_s}"
            )
        if self.concurrent_users is not None and self.concurrent_users < 1:
            problems.append(f"--concurrent-users must be >= 1, got {self.concurrent_users}")
        for option, value in (("--input-len", self.input_len), ("--output-len", self.output_len)):
            if value < 1:
                problems.append(f"{option} must be >= 1 token, got {value}")
        for option, p99, floor in (
            ("--input-len-p99", self.input_len_p99, self.input_len),
            ("--output-len-p99", self.output_len_p99, self.output_len),
            ("--input-len-p99", self.input_len_p99, self.input_len_p50),
        ):
            if p99 is not None and floor is not None and p99 < floor:
                problems.append(f"{option} ({p99}) must be >= {floor}")
        if not self.think_time_s >= 0:
            problems.append(f"--think-time-s must be >= 0 s, got {self.think_time_s}")
        if self.think_time_s and self.concurrent_users is None:
            problems.append("--think-time-s applies to --concurrent-users (a closed loop)")
        if self.input_len_p50 is not None and self.input_len_p50 < 1:
            problems.append(f"--input-len-p50 must be >= 1 token, got {self.input_len_p50}")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def closed_loop(self) -> bool:
        return self.concurrent_users is not None

    @property
    def prompt_p50(self) -> int:
        return self.input_len_p50 or self.input_len

    @property
    def prompt_p99(self) -> int:
        return self.input_len_p99 or self.input_len

    @property
    def longest_request(self) -> int:
        """Prompt plus output tokens a request may hold (the p99 lengths when given)."""
        return self.prompt_p99 + (self.output_len_p99 or self.output_len)


def default_max_model_len(traffic: Traffic, model: ModelChoice) -> int:
    """The smallest power of two (>= 128) holding the p99 prompt plus the p99 output, capped at
    the model's context; refused when even the context is too short."""
    longest = traffic.longest_request
    if model.max_context is not None and longest > model.max_context:
        raise ValueError(
            f"a request of {longest} tokens (p99 prompt + output) exceeds {model.id}'s context "
            f"of {model.max_context} tokens; shorten --input-len/--output-len"
        )
    length = max(MIN_MAX_MODEL_LEN, int(2 ** math.ceil(math.log2(longest))))
    return min(length, model.max_context) if model.max_context else length


def checked_max_model_len(given: int | None, traffic: Traffic, model: ModelChoice) -> int:
    if given is None:
        return default_max_model_len(traffic, model)
    if given < traffic.longest_request:
        raise ValueError(
            f"--max-model-len {given} cannot hold a request of {traffic.longest_request} tokens "
            "(p99 prompt + output)"
        )
    if model.max_context is not None and given > model.max_context:
        raise ValueError(
            f"--max-model-len {given} exceeds {model.id}'s context of {model.max_context} tokens"
        )
    return given


@dataclass(frozen=True)
class Targets:
    """Latency targets in ms; None is not checked. TPOT is the inter-token latency a client
    measures under load (what `graviton-llm bench` and `vllm bench serve` call TPOT)."""

    ttft_p50_ms: float | None = None
    ttft_p99_ms: float | None = None
    tpot_ms: float | None = None

    def __post_init__(self) -> None:
        bad = [
            f"{option} must be > 0 ms, got {value}"
            for option, value in (
                ("--ttft-p50-ms", self.ttft_p50_ms),
                ("--ttft-p99-ms", self.ttft_p99_ms),
                ("--tpot-ms", self.tpot_ms),
            )
            if value is not None and not value > 0
        ]
        if bad:
            raise ValueError("; ".join(bad))
