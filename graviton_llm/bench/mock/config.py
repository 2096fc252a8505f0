"""How the mock server behaves: one dataclass, every field a ``graviton-llm mock-server`` option."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FAULT_KINDS = ("http_error", "reset", "malformed", "stall")
MAX_TOKENS = 1 << 24  # ours: past any model's context
REASONING_FIELDS = ("reasoning", "reasoning_content")


@dataclass
class MockConfig:
    """How the mock behaves. Every field is a ``graviton-llm mock-server`` option."""

    model: str = "mock-llm"
    """Model id served on ``/v1/models``; a request naming another model gets a 404, as vLLM."""
    ttft_s: float = 0.05
    """Time from admission (a free sequence slot) to the first token."""
    itl_s: float = 0.01
    """Time between consecutive tokens; 0 sends the whole answer at once."""
    output_len: int | None = None
    """Tokens per answer; None honours the request's ``max_tokens``."""
    default_max_tokens: int = 16
    """Tokens per answer when the request sets no ``max_tokens``."""
    max_model_len: int = 8192
    """Context length: prompt + ``max_tokens`` above it is refused with vLLM's 400."""
    max_num_seqs: int = 256
    """Sequences generated at once, like vLLM's ``--max-num-seqs``; the rest wait in a queue."""
    tokens_per_chunk: int = 1
    """Tokens per streamed chunk. vLLM sends several when it batches output (under load, or
    ``--stream-interval``); a client that counts chunks as tokens is then wrong."""
    reasoning_tokens: int = 0
    """Chat only: the first this-many tokens of each answer stream as reasoning deltas, as a
    reasoning model served with ``--reasoning-parser`` does."""
    reasoning_field: str = "reasoning"
    """Delta field of reasoning text: ``reasoning`` (vLLM now) or ``reasoning_content``
    (vLLM before the rename, and DeepSeek's API)."""
    tool_call: bool = False
    """Chat only: the answer streams as one tool call's arguments instead of content."""
    send_usage: bool = True
    """False: never send ``usage``, even when asked, as some OpenAI-compatible servers do."""
    tokenizer: Path | None = None
    """A ``tokenizer.json`` to count prompt tokens with; without one, words are counted."""
    error_rate: float = 0.0
    """Fraction of requests answered with ``error_status`` instead of a stream."""
    error_status: int = 500
    reset_rate: float = 0.0
    """Fraction of streams whose TCP connection is reset halfway through the answer."""
    malformed_rate: float = 0.0
    """Fraction of streams that send a chunk that is not JSON halfway through the answer."""
    stall_rate: float = 0.0
    """Fraction of streams that stop sending after the first token for ``stall_s``."""
    stall_s: float = 3600.0
    seed: int = 0
    """Seeds fault selection, so a run's faults are reproducible."""
    hold_until_in_flight: int = 0
    """Hold every request before admission until this many are in flight at once (0: never).
    Proves a client's concurrency by a count rather than a clock: a client that never reaches
    it gets no answer before its timeout."""

    def problems(self) -> list[str]:
        found = []
        # NaN fails every comparison and inf (or 1e300) sleeps forever: all would hang streams.
        for name, top in (("ttft_s", 3600.0), ("itl_s", 3600.0), ("stall_s", 86_400.0)):
            value = getattr(self, name)
            if not 0 <= value <= top:
                found.append(f"{name}={value}: must be a finite number within [0, {top:g}] s")
        for name in ("max_model_len", "default_max_tokens", "tokens_per_chunk", "reasoning_tokens"):
            if getattr(self, name) > MAX_TOKENS:
                found.append(f"{name}={getattr(self, name)}: at most {MAX_TOKENS:,}")
        for name in ("max_num_seqs", "hold_until_in_flight"):
            if getattr(self, name) > 65_535:
                found.append(f"{name}={getattr(self, name)}: at most 65,535")
        if not self.model or len(self.model) > 256 or not self.model.isprintable():
            found.append(f"model={self.model!r}: 1-256 printable characters")
        if self.max_model_len < 2:
            found.append(f"max_model_len={self.max_model_len}: must be >= 2")
        if self.output_len is not None and not 1 <= self.output_len < self.max_model_len:
            found.append(f"output_len={self.output_len}: must be within [1, max_model_len)")
        if self.default_max_tokens < 1:
            found.append(f"default_max_tokens={self.default_max_tokens}: must be >= 1")
        if self.max_num_seqs < 1:
            found.append(f"max_num_seqs={self.max_num_seqs}: must be >= 1")
        if self.hold_until_in_flight < 0:
            found.append(f"hold_until_in_flight={self.hold_until_in_flight}: must be >= 0")
        if self.tokens_per_chunk < 1:
            found.append(f"tokens_per_chunk={self.tokens_per_chunk}: must be >= 1")
        if self.reasoning_tokens < 0:
            found.append(f"reasoning_tokens={self.reasoning_tokens}: must be >= 0")
        if self.reasoning_field not in REASONING_FIELDS:
            found.append(f"reasoning_field={self.reasoning_field!r}: one of {REASONING_FIELDS}")
        if self.tokenizer is not None and not self.tokenizer.exists():
            found.append(f"tokenizer={self.tokenizer}: no such file or directory")
        if not 400 <= self.error_status <= 599:
            found.append(f"error_status={self.error_status}: must be a 4xx or 5xx code")
        rates = {
            "error_rate": self.error_rate,
            "reset_rate": self.reset_rate,
            "malformed_rate": self.malformed_rate,
            "stall_rate": self.stall_rate,
        }
        for name, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                found.append(f"{name}={rate}: must be within [0, 1]")
        if sum(rates.values()) > 1.0 + 1e-9:
            found.append(f"fault rates add up to {sum(rates.values())}: must be <= 1")
        return found

    def validate(self) -> None:
        if problems := self.problems():
            raise ValueError("invalid mock server config: " + "; ".join(problems))
