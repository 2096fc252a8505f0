"""What the mock knows about the requests it served: counters, its own timing of each request,
and the vLLM Prometheus metrics built from them."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from .config import FAULT_KINDS, MockConfig


@dataclass(slots=True)
class ServerTiming:
    """The server's own account of one request (its monotonic clock, seconds)."""

    arrival: float
    """Handler entered: the request line, headers and body were read."""
    admitted: float | None = None
    """A sequence slot was free (``max_num_seqs``)."""
    first_token: float | None = None
    """Stamped just before the first token went to the socket, so no client reads it earlier."""
    first_answer: float | None = None
    """The first answer (not reasoning) token was handed to the socket."""
    last_token: float | None = None
    output_tokens: int = 0
    reasoning_tokens: int = 0
    prompt_tokens: int = 0
    fault: str | None = None

    @property
    def ttft(self) -> float | None:
        return None if self.first_token is None else self.first_token - self.arrival


class Histogram:
    """A Prometheus histogram in text exposition, enough for dashboards to plot."""

    def __init__(self, name: str, buckets: tuple[float, ...]) -> None:
        self.name = name
        self.buckets = buckets
        self.counts = [0] * len(buckets)
        self.total = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.total += 1
        self.sum += value
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1

    def render(self, labels: str) -> list[str]:
        lines = [f"# TYPE {self.name} histogram"]
        for bound, count in zip(self.buckets, self.counts, strict=True):
            lines.append(f'{self.name}_bucket{{{labels},le="{bound}"}} {count}')
        lines.append(f'{self.name}_bucket{{{labels},le="+Inf"}} {self.total}')
        lines.append(f"{self.name}_count{{{labels}}} {self.total}")
        lines.append(f"{self.name}_sum{{{labels}}} {self.sum}")
        return lines


_LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _histogram(name: str) -> Histogram:
    return Histogram(name, _LATENCY_BUCKETS)


@dataclass
class MockState:
    config: MockConfig
    rng: random.Random
    semaphore: asyncio.Semaphore
    running: int = 0
    waiting: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    peak_running: int = 0
    requests: int = 0
    injected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAULT_KINDS, 0))
    timings: list[ServerTiming] = field(default_factory=list)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once ``hold_until_in_flight`` requests were in flight together (then stays set)."""
    prompt_tokens_total: int = 0
    generation_tokens_total: int = 0
    success_total: int = 0
    ttft_hist: Histogram = field(
        default_factory=lambda: _histogram("vllm:time_to_first_token_seconds")
    )
    tpot_hist: Histogram = field(
        default_factory=lambda: _histogram("vllm:time_per_output_token_seconds")
    )
    e2e_hist: Histogram = field(
        default_factory=lambda: _histogram("vllm:e2e_request_latency_seconds")
    )
    queue_hist: Histogram = field(
        default_factory=lambda: _histogram("vllm:request_queue_time_seconds")
    )

    def pick_fault(self) -> str | None:
        c = self.config
        u = self.rng.random()
        for kind, rate in (
            ("http_error", c.error_rate),
            ("reset", c.reset_rate),
            ("malformed", c.malformed_rate),
            ("stall", c.stall_rate),
        ):
            if u < rate:
                return kind
            u -= rate
        return None

    def reset(self) -> None:
        """Forget the requests served so far (the Prometheus counters keep counting)."""
        self.requests = self.peak_in_flight = self.peak_running = 0
        self.injected = dict.fromkeys(FAULT_KINDS, 0)
        self.timings = []
        self.rng = random.Random(self.config.seed)

    def account(self, timing: ServerTiming) -> None:
        """Count a request that was answered in full."""
        self.success_total += 1
        self.prompt_tokens_total += timing.prompt_tokens
        self.generation_tokens_total += timing.output_tokens
        assert timing.first_token is not None and timing.last_token is not None
        self.ttft_hist.observe(timing.first_token - timing.arrival)
        self.e2e_hist.observe(timing.last_token - timing.arrival)
        if timing.admitted is not None:
            self.queue_hist.observe(timing.admitted - timing.arrival)
        if timing.output_tokens > 1:
            tpot = (timing.last_token - timing.first_token) / (timing.output_tokens - 1)
            self.tpot_hist.observe(tpot)

    def prometheus(self) -> str:
        """``GET /metrics``: the vLLM metric names a dashboard or autoscaler reads."""
        labels = f'model_name="{self.config.model}"'
        lines = [
            "# TYPE vllm:num_requests_running gauge",
            f"vllm:num_requests_running{{{labels}}} {self.running}",
            "# TYPE vllm:num_requests_waiting gauge",
            f"vllm:num_requests_waiting{{{labels}}} {self.waiting}",
            "# TYPE vllm:prompt_tokens_total counter",
            f"vllm:prompt_tokens_total{{{labels}}} {self.prompt_tokens_total}",
            "# TYPE vllm:generation_tokens_total counter",
            f"vllm:generation_tokens_total{{{labels}}} {self.generation_tokens_total}",
            "# TYPE vllm:request_success_total counter",
            f'vllm:request_success_total{{{labels},finished_reason="length"}} {self.success_total}',
        ]
        for hist in (self.ttft_hist, self.tpot_hist, self.e2e_hist, self.queue_hist):
            lines.extend(hist.render(labels))
        return "\n".join(lines) + "\n"
