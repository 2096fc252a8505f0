"""One benchmark run's settings: what ``graviton-llm bench`` was asked to do, checked at once."""

from __future__ import annotations

import math
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .workload import LengthSpec

Endpoint = Literal["completions", "chat"]

# Bounds on a run (ours): past them a run never ends, or its records alone fill the memory.
MIN_REQUEST_RATE, MAX_REQUEST_RATE = 1e-3, 1e6
MIN_BURSTINESS, MAX_BURSTINESS = 0.01, 1e6
MAX_REQUESTS = 1_000_000
MAX_SECONDS = 7 * 86_400.0

MAX_CONCURRENCY = 65_535
"""One client address holds at most this many connections to one server address and port
(the local port range); a higher concurrency cannot be in flight, only queued in memory."""


@dataclass(frozen=True)
class BenchConfig:
    """One benchmark run. Every field is a ``graviton-llm bench`` option."""

    url: str
    """Server base URL, e.g. ``http://host:8000`` (a trailing ``/v1`` is accepted)."""
    model: str | None = None
    """Model to request; None asks the server's ``/v1/models`` and takes the first."""
    endpoint: Endpoint = "completions"
    """``completions`` (``/v1/completions``) or ``chat`` (``/v1/chat/completions``)."""
    concurrency: int | None = None
    """Requests in flight. Without ``request_rate``: fixed concurrency (default 1).
    With ``request_rate``: an optional cap on requests in flight."""
    request_rate: float | None = None
    """Open loop: arrivals at this many requests/s (``inf``: all at once)."""
    burstiness: float = 1.0
    """Gamma shape of the arrival gaps, as vLLM's ``--burstiness``: 1 is Poisson, below 1
    burstier, above 1 more regular, ``inf`` a fixed interval. Only with ``request_rate``."""
    num_requests: int | None = None
    """Measured requests to send (warm-up excluded)."""
    duration_s: float | None = None
    """Stop sending new requests after this many seconds (in-flight requests finish)."""
    warmup_requests: int = 0
    """Requests sent first, at the same concurrency, and left out of every metric."""
    input_len: LengthSpec = field(default_factory=lambda: LengthSpec(128, 128))
    """Prompt length: tokens by ``tokenizer``, or words without one."""
    output_len: LengthSpec = field(default_factory=lambda: LengthSpec(128, 128))
    """``max_tokens`` of each request (``ignore_eos`` makes vLLM generate exactly that)."""
    tokenizer: Path | None = None
    """A local ``tokenizer.json`` (or its directory): builds prompts of exactly ``input_len``
    tokens and counts tokens when the server sends no ``usage``. Never fetched from a hub."""
    dataset: Path | None = None
    """JSONL prompts (``{"prompt": ..., "max_tokens": ...}``); overrides ``input_len``."""
    seed: int = 0
    timeout_s: float = 300.0
    """Per-request limit, from send to the end of the stream (``--request-timeout``); a
    request that reaches it fails as ``timeout`` and its tokens are not counted."""
    ignore_eos: bool = True
    """Ask vLLM to generate exactly ``max_tokens`` (vLLM's ``ignore_eos`` extension)."""
    api_key: str | None = None

    def problems(self) -> list[str]:
        found = _url_problems(self.url)
        if self.concurrency is not None and self.concurrency < 1:
            found.append(f"concurrency={self.concurrency}: must be >= 1")
        elif self.request_rate is None and self.workers > MAX_CONCURRENCY:
            found.append(
                f"concurrency={self.concurrency}: at most {MAX_CONCURRENCY} requests can be in "
                "flight (connections one client can hold to one server port)"
            )
        # A rate or shape too small never ends the run (1e-300 req/s) or underflows every
        # gamma gap to 0 (burstiness 1e-300 gave NaN arrivals): bounded from below (ours).
        if self.request_rate is not None and not (
            MIN_REQUEST_RATE <= self.request_rate <= MAX_REQUEST_RATE
            or self.request_rate == math.inf
        ):
            found.append(
                f"request_rate={self.request_rate}: must be within [{MIN_REQUEST_RATE:g}, "
                f"{MAX_REQUEST_RATE:g}] requests/s, or inf"
            )
        if not (MIN_BURSTINESS <= self.burstiness <= MAX_BURSTINESS or self.burstiness == math.inf):
            found.append(
                f"burstiness={self.burstiness}: must be within [{MIN_BURSTINESS:g}, "
                f"{MAX_BURSTINESS:g}], or inf"
            )
        if self.num_requests is None and self.duration_s is None:
            found.append("num_requests / duration_s: give at least one, or the run never ends")
        if self.num_requests is not None and not 1 <= self.num_requests <= MAX_REQUESTS:
            found.append(f"num_requests={self.num_requests}: must be within [1, {MAX_REQUESTS:,}]")
        if self.duration_s is not None and not 0 < self.duration_s <= MAX_SECONDS:
            found.append(f"duration_s={self.duration_s}: must be > 0 and <= {MAX_SECONDS:g}")
        if (
            self.request_rate is not None
            and math.isinf(self.request_rate)
            and self.num_requests is None
        ):
            found.append("request_rate=inf needs num_requests (all are sent at once)")
        if not 0 <= self.warmup_requests <= MAX_REQUESTS:
            found.append(
                f"warmup_requests={self.warmup_requests}: must be within [0, {MAX_REQUESTS:,}]"
            )
        if not 0 < self.timeout_s <= MAX_SECONDS:
            found.append(f"timeout_s={self.timeout_s}: must be > 0 and <= {MAX_SECONDS:g}")
        if not 0 <= self.seed < 2**63:
            found.append(f"seed={self.seed}: must be within [0, 2**63)")
        if self.endpoint not in ("completions", "chat"):
            found.append(f"endpoint={self.endpoint!r}: must be 'completions' or 'chat'")
        if self.dataset is not None and not self.dataset.is_file():
            found.append(f"dataset={self.dataset}: no such file")
        if self.tokenizer is not None and not self.tokenizer.exists():
            found.append(f"tokenizer={self.tokenizer}: no such file or directory")
        return found

    def validate(self) -> None:
        if problems := self.problems():
            raise ValueError("invalid benchmark config: " + "; ".join(problems))

    @property
    def workers(self) -> int:
        """Fixed-concurrency workers: the concurrency, never more than the requests to send."""
        concurrency = self.concurrency or 1
        return concurrency if self.num_requests is None else min(concurrency, self.num_requests)

    @property
    def mode(self) -> str:
        if self.request_rate is None:
            return f"concurrency {self.concurrency or 1}"
        cap = f", cap {self.concurrency}" if self.concurrency else ""
        process = "poisson" if self.burstiness == 1 else f"gamma (burstiness {self.burstiness:g})"
        return f"{process} {self.request_rate:g} req/s{cap}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "model": self.model,
            "endpoint": self.endpoint,
            "concurrency": self.concurrency,
            "request_rate": _json_number(self.request_rate),
            "burstiness": _json_number(self.burstiness),
            "num_requests": self.num_requests,
            "duration_s": self.duration_s,
            "warmup_requests": self.warmup_requests,
            "input_len": str(self.input_len),
            "output_len": str(self.output_len),
            "dataset": str(self.dataset) if self.dataset else None,
            "tokenizer": str(self.tokenizer) if self.tokenizer else None,
            "seed": self.seed,
            "timeout_s": self.timeout_s,
            "ignore_eos": self.ignore_eos,
            "mode": self.mode,
        }


def _url_problems(url: str) -> list[str]:
    """An http(s) URL with a host and nothing a request line cannot carry: found before the
    run, not as every request failing (a URL without a scheme did)."""
    if not url.isascii() or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return [f"url={url!r}: spaces, control or non-ASCII characters; give e.g. http://host:8000"]
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as error:
        return [f"url={url!r}: not a URL ({error}); give e.g. http://host:8000"]
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [f"url={url!r}: needs http:// or https:// and a host, e.g. http://127.0.0.1:8000"]
    if parts.query or parts.fragment:
        return [f"url={url!r}: a base URL has no ?query or #fragment"]
    return []


def _json_number(value: float | None) -> float | str | None:
    """JSON has no infinity; vLLM writes ``"inf"`` for an unlimited rate, and so do we."""
    return "inf" if value is not None and math.isinf(value) else value
