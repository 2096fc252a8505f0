"""How the mock server behaves: one dataclass, every field a ``graviton-llm mock-server`` option."""

from __future__ import annotations

from dataclasses import dataclass

FAULT_KINDS = ("http_error", "reset", "malformed", "stall")


@dataclass
class MockConfig:
    """How the mock behaves. Every field is a ``graviton-llm mock-server`` option."""

    model: str = "mock-llm"
    """Model id served on ``/v1/models`` and echoed in responses."""
    ttft_s: float = 0.05
    """Time from admission (a free sequence slot) to the first token."""
    itl_s: float = 0.01
    """Time between consecutive tokens; 0 sends the whole answer at once."""
    output_len: int | None = None
    """Tokens per answer; None honours the request's ``max_tokens``."""
    default_max_tokens: int = 16
    """Tokens per answer when the request sets no ``max_tokens``."""
    max_num_seqs: int = 256
    """Sequences generated at once, like vLLM's ``--max-num-seqs``; the rest wait in a queue."""
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

    def validate(self) -> None:
        problems = []
        if self.ttft_s < 0:
            problems.append(f"ttft_s={self.ttft_s}: must be >= 0")
        if self.itl_s < 0:
            problems.append(f"itl_s={self.itl_s}: must be >= 0")
        if self.output_len is not None and self.output_len < 1:
            problems.append(f"output_len={self.output_len}: must be >= 1")
        if self.max_num_seqs < 1:
            problems.append(f"max_num_seqs={self.max_num_seqs}: must be >= 1")
        if not 400 <= self.error_status <= 599:
            problems.append(f"error_status={self.error_status}: must be a 4xx or 5xx code")
        rates = {
            "error_rate": self.error_rate,
            "reset_rate": self.reset_rate,
            "malformed_rate": self.malformed_rate,
            "stall_rate": self.stall_rate,
        }
        for name, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                problems.append(f"{name}={rate}: must be within [0, 1]")
        if sum(rates.values()) > 1.0 + 1e-9:
            problems.append(f"fault rates add up to {sum(rates.values())}: must be <= 1")
        if problems:
            raise ValueError("invalid mock server config: " + "; ".join(problems))
