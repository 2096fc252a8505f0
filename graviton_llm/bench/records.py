"""Per-request records: what the load generator observed, one row per request.

Times are seconds on the client's monotonic clock (``time.perf_counter``); only differences
between them mean anything. Everything the metrics need is here, so the metric math runs on
records alone (synthetic ones in the tests, real ones from a run, or ones reloaded from JSON).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

TokenSource = Literal["usage", "tokenizer", "estimate"]


class ErrorKind(StrEnum):
    """Why a request failed. One request has at most one kind; docs/bench.md has the rules."""

    HTTP_STATUS = "http_status"
    """The server answered with a status other than 200: an error, or a redirect, which is
    not followed (the code is in ``RequestRecord.status``)."""
    TIMEOUT = "timeout"
    """No complete answer within the per-request timeout (includes a stalled stream)."""
    CONNECTION = "connection"
    """Connection refused, reset or closed before the stream ended."""
    MALFORMED_STREAM = "malformed_stream"
    """The server answered 200 but a chunk was not OpenAI streaming JSON of the right shape."""
    ERROR_EVENT = "error_event"
    """The server reported an error inside the stream (``{"error": ...}``)."""
    INCOMPLETE_STREAM = "incomplete_stream"
    """The stream ended without ``data: [DONE]``."""
    NO_OUTPUT = "no_output"
    """The stream completed without one chunk of generated output."""
    ABORTED = "aborted"
    """The server ended the answer with ``finish_reason`` ``abort`` or ``error``."""
    INVALID_USAGE = "invalid_usage"
    """``usage`` was not valid counts, or contradicted the stream or the request."""
    CLIENT_ERROR = "client_error"
    """An error in this client while handling the answer: a bug to report, kept per request
    so the run still ends with its results."""


@dataclass(slots=True)
class RequestRecord:
    """One request, from the moment it was sent to the moment its stream ended or failed."""

    index: int
    """Position in the issue order (warm-up requests first)."""
    send_time: float
    """When the request's last byte went to the socket (aiohttp's on_request_chunk_sent), after
    its concurrency slot was acquired; a request that never got that far keeps the moment it
    was issued."""
    end_time: float
    """When the stream ended (``[DONE]`` or the connection closed) or the error was seen."""
    first_token_time: float | None = None
    """Arrival of the first chunk that carried generated output of any kind (answer text,
    reasoning or a tool call)."""
    last_token_time: float | None = None
    """Arrival of the last chunk that carried generated output."""
    first_answer_time: float | None = None
    """Arrival of the first chunk that carried answer output (content or a tool call); later
    than ``first_token_time`` when the model reasoned first."""
    itl: list[float] = field(default_factory=list)
    """Every gap between consecutive output-carrying chunks (seconds), as vLLM's ITL."""
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    """Generated tokens, reasoning included (as ``usage.completion_tokens``)."""
    reasoning_tokens: int = 0
    """Of ``output_tokens``, those generated as reasoning."""
    prompt_token_source: TokenSource | None = None
    token_source: TokenSource | None = None
    """Where ``output_tokens`` came from: the server's ``usage``, the ``--tokenizer``, or an
    ``estimate`` (neither was available)."""
    reasoning_source: TokenSource | None = None
    status: int | None = None
    """HTTP status, None when no response arrived."""
    error_kind: ErrorKind | None = None
    error: str | None = None
    """Short description of the failure, for the JSON/CSV record only."""
    warmup: bool = False
    """Warm-up requests are recorded but left out of every metric."""

    @property
    def ok(self) -> bool:
        return self.error_kind is None

    @property
    def ttft(self) -> float | None:
        if self.first_token_time is None:
            return None
        return self.first_token_time - self.send_time

    @property
    def time_to_first_answer(self) -> float | None:
        if self.first_answer_time is None:
            return None
        return self.first_answer_time - self.send_time

    @property
    def answer_tokens(self) -> int | None:
        return None if self.output_tokens is None else self.output_tokens - self.reasoning_tokens

    @property
    def e2e(self) -> float:
        """End-to-end latency as ``vllm bench serve`` defines it: send to last generated token.

        vLLM ``benchmarks/serve.py`` / ``backend_request_func.py`` set ``latency`` to the time of
        the most recent text chunk. A request that produced no token falls back to its end time.
        """
        end = self.last_token_time if self.last_token_time is not None else self.end_time
        return end - self.send_time

    @property
    def tpot(self) -> float | None:
        """TPOT = (E2E - TTFT) / (output tokens - 1), undefined for fewer than two tokens."""
        ttft = self.ttft
        if ttft is None or self.output_tokens is None or self.output_tokens < 2:
            return None
        return (self.e2e - ttft) / (self.output_tokens - 1)

    def token_times(self) -> list[float]:
        """Arrival time of every text chunk, rebuilt from the first token and the gaps."""
        if self.first_token_time is None:
            return []
        times = [self.first_token_time]
        for gap in self.itl:
            times.append(times[-1] + gap)
        return times

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_kind"] = self.error_kind.value if self.error_kind else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RequestRecord:
        data = dict(data)
        kind = data.get("error_kind")
        data["error_kind"] = ErrorKind(kind) if kind else None
        return cls(**data)

    def error_label(self) -> str | None:
        """Breakdown key: ``http_503`` for a status error, otherwise the kind's name."""
        if self.error_kind is None:
            return None
        if self.error_kind is ErrorKind.HTTP_STATUS:
            return f"http_{self.status}"
        return self.error_kind.value


CSV_COLUMNS = (
    "index",
    "warmup",
    "send_time",
    "end_time",
    "ttft_ms",
    "tpot_ms",
    "e2e_ms",
    "itl_mean_ms",
    "itl_max_ms",
    "prompt_tokens",
    "output_tokens",
    "reasoning_tokens",
    "prompt_token_source",
    "token_source",
    "status",
    "error_kind",
    "error",
)


def csv_row(record: RequestRecord, origin: float) -> dict[str, Any]:
    """One CSV row; times relative to ``origin`` (the run's first send) to stay readable."""

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000.0, 4)

    return {
        "index": record.index,
        "warmup": record.warmup,
        "send_time": round(record.send_time - origin, 6),
        "end_time": round(record.end_time - origin, 6),
        "ttft_ms": ms(record.ttft),
        "tpot_ms": ms(record.tpot),
        "e2e_ms": ms(record.e2e),
        "itl_mean_ms": ms(sum(record.itl) / len(record.itl)) if record.itl else None,
        "itl_max_ms": ms(max(record.itl)) if record.itl else None,
        "prompt_tokens": record.prompt_tokens,
        "output_tokens": record.output_tokens,
        "reasoning_tokens": record.reasoning_tokens,
        "prompt_token_source": record.prompt_token_source,
        "token_source": record.token_source,
        "status": record.status,
        "error_kind": record.error_label(),
        "error": record.error,
    }


@dataclass(frozen=True)
class Prompt:
    """One request's prompt, as the workload made it (the token counts read it too)."""

    text: str
    max_tokens: int
    tokens: int | None = None
    """Its length by the run's tokenizer; None without one."""
