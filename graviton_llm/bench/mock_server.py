"""A mock OpenAI-compatible (vLLM-flavoured) server with a known token schedule.

It streams tokens on a fixed schedule (time to first token, then one token every ``itl_s``),
reports ``usage`` when asked (``stream_options.include_usage``), limits concurrent sequences like
vLLM's ``--max-num-seqs`` (the rest queue, and their queue time counts in their TTFT, as on vLLM),
injects faults at given rates, and records its own timing of every request so a client's
figures can be checked against the server's truth (``GET /mock/stats``).

It is kept cheap on purpose (pre-encoded chunks, no logging per request) so that a benchmark
of the client measures the client. With ``itl_s == 0`` a whole answer goes out in one write.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

# Token texts cycle through these pieces. Seven of the ten start a word, so 10 tokens read as
# 7 words: a client that counts words as tokens (the blog's script) is off by ~1.43x, inside the
# 1.3-1.6x usually quoted for English text with Llama-style tokenizers.
TOKEN_PIECES: tuple[str, ...] = (
    " The", " quantum", " comput", "er", " solves", " hard", " problem", "s", " quickly", ".",
)  # fmt: skip

FAULT_KINDS = ("http_error", "reset", "malformed", "stall")
STATE: web.AppKey[_State] = web.AppKey("mock_state")


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


@dataclass(slots=True)
class ServerTiming:
    """The server's own account of one request (its monotonic clock, seconds)."""

    arrival: float
    """Handler entered: the request line, headers and body were read."""
    admitted: float | None = None
    """A sequence slot was free (``max_num_seqs``)."""
    first_token: float | None = None
    """The first token was handed to the socket."""
    last_token: float | None = None
    output_tokens: int = 0
    prompt_tokens: int = 0
    fault: str | None = None

    @property
    def ttft(self) -> float | None:
        return None if self.first_token is None else self.first_token - self.arrival


class _Histogram:
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


@dataclass
class _State:
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
    prompt_tokens_total: int = 0
    generation_tokens_total: int = 0
    success_total: int = 0
    ttft_hist: _Histogram = field(
        default_factory=lambda: _Histogram("vllm:time_to_first_token_seconds", _LATENCY_BUCKETS)
    )
    tpot_hist: _Histogram = field(
        default_factory=lambda: _Histogram("vllm:time_per_output_token_seconds", _LATENCY_BUCKETS)
    )
    e2e_hist: _Histogram = field(
        default_factory=lambda: _Histogram("vllm:e2e_request_latency_seconds", _LATENCY_BUCKETS)
    )
    queue_hist: _Histogram = field(
        default_factory=lambda: _Histogram("vllm:request_queue_time_seconds", _LATENCY_BUCKETS)
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


class _Encoder:
    """Pre-encoded SSE chunks for one endpoint flavour (completions or chat)."""

    def __init__(self, model: str, chat: bool) -> None:
        self.chat = chat
        kind = "chat.completion.chunk" if chat else "text_completion"
        head = {"id": "cmpl-mock", "object": kind, "created": 0, "model": model}
        self._head = head

        def event(obj: dict[str, Any]) -> bytes:
            return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"

        def choice(text: str, finish: str | None) -> dict[str, Any]:
            if chat:
                return {"index": 0, "delta": {"content": text}, "finish_reason": finish}
            return {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}

        self._event = event
        self.tokens = [event({**head, "choices": [choice(p, None)]}) for p in TOKEN_PIECES]
        self.last_tokens = [event({**head, "choices": [choice(p, "length")]}) for p in TOKEN_PIECES]
        # vLLM's chat stream opens with an empty assistant delta before any token.
        self.role = event(
            {**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
        )
        self.done = b"data: [DONE]\n\n"
        self.malformed = b'data: {"id": "cmpl-mock", "choices": [{"text": \n\n'

    def token(self, i: int, n: int) -> bytes:
        pieces = self.last_tokens if i == n - 1 else self.tokens
        return pieces[i % len(TOKEN_PIECES)]

    def usage(self, prompt_tokens: int, output_tokens: int) -> bytes:
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": prompt_tokens + output_tokens,
        }
        return self._event({**self._head, "choices": [], "usage": usage})


def answer_text(output_tokens: int) -> str:
    """The text the mock generates for ``output_tokens`` tokens (it never varies)."""
    return "".join(TOKEN_PIECES[i % len(TOKEN_PIECES)] for i in range(output_tokens))


def _count_prompt_tokens(payload: dict[str, Any]) -> int:
    """Words stand in for tokens: the same count a word-level tokenizer gives peers."""
    if "messages" in payload:
        total = 0
        for message in payload.get("messages") or []:
            content = message.get("content")
            if isinstance(content, str):
                total += len(content.split())
            elif isinstance(content, list):
                total += sum(len(str(part.get("text", "")).split()) for part in content)
        return total
    prompt = payload.get("prompt", "")
    if isinstance(prompt, list):
        if prompt and isinstance(prompt[0], int):
            return len(prompt)
        return sum(len(str(p).split()) for p in prompt)
    return len(str(prompt).split())


def _reset_connection(request: web.Request) -> None:
    """Abort with a TCP RST (SO_LINGER 0), as a crashed server or a proxy timeout would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _sleep_until(loop: asyncio.AbstractEventLoop, deadline: float) -> None:
    delay = deadline - loop.time()
    if delay > 0:
        await asyncio.sleep(delay)


def build_app(config: MockConfig) -> web.Application:
    """The aiohttp application; ``app[STATE]`` holds counters and timings."""
    config.validate()
    app = web.Application()
    encoders = {False: _Encoder(config.model, False), True: _Encoder(config.model, True)}

    async def on_startup(app: web.Application) -> None:
        app[STATE] = _State(
            config=config,
            rng=random.Random(config.seed),
            semaphore=asyncio.Semaphore(config.max_num_seqs),
        )

    app.on_startup.append(on_startup)

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="")

    async def models(request: web.Request) -> web.Response:
        card = {"id": config.model, "object": "model", "created": 0, "owned_by": "mock"}
        return web.json_response({"object": "list", "data": [card]})

    async def metrics(request: web.Request) -> web.Response:
        state: _State = app[STATE]
        labels = f'model_name="{config.model}"'
        lines = [
            "# TYPE vllm:num_requests_running gauge",
            f"vllm:num_requests_running{{{labels}}} {state.running}",
            "# TYPE vllm:num_requests_waiting gauge",
            f"vllm:num_requests_waiting{{{labels}}} {state.waiting}",
            "# TYPE vllm:prompt_tokens_total counter",
            f"vllm:prompt_tokens_total{{{labels}}} {state.prompt_tokens_total}",
            "# TYPE vllm:generation_tokens_total counter",
            f"vllm:generation_tokens_total{{{labels}}} {state.generation_tokens_total}",
            "# TYPE vllm:request_success_total counter",
            f'vllm:request_success_total{{{labels},finished_reason="length"}} '
            f"{state.success_total}",
        ]
        for hist in (state.ttft_hist, state.tpot_hist, state.e2e_hist, state.queue_hist):
            lines.extend(hist.render(labels))
        return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")

    async def stats(request: web.Request) -> web.Response:
        state: _State = app[STATE]
        body = {
            "requests": state.requests,
            "injected": state.injected,
            "peak_in_flight": state.peak_in_flight,
            "peak_running": state.peak_running,
            "timings": [asdict(t) for t in state.timings],
        }
        return web.json_response(body)

    async def reset_stats(request: web.Request) -> web.Response:
        state: _State = app[STATE]
        state.requests = state.peak_in_flight = state.peak_running = 0
        state.injected = dict.fromkeys(FAULT_KINDS, 0)
        state.timings = []
        state.rng = random.Random(config.seed)
        return web.json_response({"reset": True})

    async def generate(request: web.Request, chat: bool) -> web.StreamResponse:
        arrival = time.perf_counter()
        state: _State = app[STATE]
        try:
            payload = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"error": {"message": "body is not JSON"}}, status=400)
        timing = ServerTiming(arrival=arrival)
        state.timings.append(timing)
        state.requests += 1
        state.in_flight += 1
        state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
        try:
            return await _generate(request, payload, chat, timing, state)
        except ConnectionResetError:
            # The client went away (its timeout, or a fault it gave up on): nothing to send.
            return web.Response(status=499)
        finally:
            state.in_flight -= 1

    async def _generate(
        request: web.Request,
        payload: dict[str, Any],
        chat: bool,
        timing: ServerTiming,
        state: _State,
    ) -> web.StreamResponse:
        fault = state.pick_fault()
        timing.fault = fault
        if fault is not None:
            state.injected[fault] += 1
        if fault == "http_error":
            message = {"error": {"message": "injected fault", "code": config.error_status}}
            return web.json_response(message, status=config.error_status)

        requested = payload.get("max_completion_tokens") or payload.get("max_tokens")
        n = config.output_len or int(requested or config.default_max_tokens)
        n = max(n, 1)
        prompt_tokens = _count_prompt_tokens(payload)
        timing.prompt_tokens = prompt_tokens
        stream = bool(payload.get("stream"))
        include_usage = bool((payload.get("stream_options") or {}).get("include_usage"))
        enc = encoders[chat]
        loop = asyncio.get_running_loop()

        state.waiting += 1
        async with state.semaphore:
            state.waiting -= 1
            state.running += 1
            state.peak_running = max(state.peak_running, state.running)
            try:
                admitted = loop.time()
                timing.admitted = time.perf_counter()
                if not stream:
                    await _sleep_until(loop, admitted + config.ttft_s + (n - 1) * config.itl_s)
                    timing.first_token = timing.last_token = time.perf_counter()
                    timing.output_tokens = n
                    _account(state, timing)
                    return web.json_response(_full_response(chat, answer_text(n), prompt_tokens, n))

                response = web.StreamResponse(
                    headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
                )
                await response.prepare(request)
                if chat:
                    await response.write(enc.role)
                first_at = admitted + config.ttft_s
                await _sleep_until(loop, first_at)
                if config.itl_s == 0 and fault is None:
                    body = b"".join(enc.token(i, n) for i in range(n))
                    await response.write(body)
                    timing.first_token = timing.last_token = time.perf_counter()
                    timing.output_tokens = n
                else:
                    fault_at = max(1, n // 2)
                    for i in range(n):
                        if i:
                            await _sleep_until(loop, first_at + i * config.itl_s)
                        if fault is not None and i == fault_at:
                            if fault == "reset":
                                _reset_connection(request)
                                return response
                            if fault == "malformed":
                                await response.write(enc.malformed)
                                await response.write_eof()
                                return response
                        await response.write(enc.token(i, n))
                        now = time.perf_counter()
                        if i == 0:
                            timing.first_token = now
                            if fault == "stall":
                                await asyncio.sleep(config.stall_s)
                        timing.last_token = now
                        timing.output_tokens = i + 1
                if include_usage:
                    await response.write(enc.usage(prompt_tokens, n))
                await response.write(enc.done)
                await response.write_eof()
                if fault is None:
                    _account(state, timing)
                return response
            finally:
                state.running -= 1

    async def completions(request: web.Request) -> web.StreamResponse:
        return await generate(request, chat=False)

    async def chat_completions(request: web.Request) -> web.StreamResponse:
        return await generate(request, chat=True)

    app.router.add_get("/health", health)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/mock/stats", stats)
    app.router.add_post("/mock/reset", reset_stats)
    app.router.add_post("/v1/completions", completions)
    app.router.add_post("/v1/chat/completions", chat_completions)
    return app


def _account(state: _State, timing: ServerTiming) -> None:
    state.success_total += 1
    state.prompt_tokens_total += timing.prompt_tokens
    state.generation_tokens_total += timing.output_tokens
    assert timing.first_token is not None and timing.last_token is not None
    state.ttft_hist.observe(timing.first_token - timing.arrival)
    state.e2e_hist.observe(timing.last_token - timing.arrival)
    if timing.admitted is not None:
        state.queue_hist.observe(timing.admitted - timing.arrival)
    if timing.output_tokens > 1:
        tpot = (timing.last_token - timing.first_token) / (timing.output_tokens - 1)
        state.tpot_hist.observe(tpot)


def _full_response(chat: bool, text: str, prompt_tokens: int, n: int) -> dict[str, Any]:
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": n,
        "total_tokens": prompt_tokens + n,
    }
    if chat:
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "length",
        }
        kind = "chat.completion"
    else:
        choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": "length"}
        kind = "text_completion"
    return {"id": "cmpl-mock", "object": kind, "created": 0, "choices": [choice], "usage": usage}


async def start(config: MockConfig, host: str = "127.0.0.1", port: int = 0) -> web.AppRunner:
    """Start serving; returns the runner (``runner.addresses`` has the bound port)."""
    runner = web.AppRunner(build_app(config), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=4096)
    await site.start()
    return runner


async def serve_forever(config: MockConfig, host: str, port: int) -> None:
    runner = await start(config, host, port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def _stop(runner: web.AppRunner) -> None:
    """Stop serving and cancel handlers still running (stalled streams), quietly."""
    await runner.cleanup()
    current = asyncio.current_task()
    leftovers = [task for task in asyncio.all_tasks() if task is not current]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


@dataclass
class RunningMock:
    """A mock server running on its own event loop in a background thread."""

    url: str
    loop: asyncio.AbstractEventLoop
    runner: web.AppRunner

    def state(self) -> _State:
        return self.runner.app[STATE]

    def timings(self) -> list[ServerTiming]:
        return list(self.state().timings)

    def injected(self) -> dict[str, int]:
        return dict(self.state().injected)


@contextmanager
def mock_in_thread(config: MockConfig, host: str = "127.0.0.1") -> Iterator[RunningMock]:
    """Run the mock on an ephemeral port in a daemon thread; stopped on exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="mock-server", daemon=True)
    thread.start()
    try:
        runner = asyncio.run_coroutine_threadsafe(start(config, host, 0), loop).result(10)
        port = runner.addresses[0][1]
        yield RunningMock(url=f"http://{host}:{port}", loop=loop, runner=runner)
        asyncio.run_coroutine_threadsafe(_stop(runner), loop).result(10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
