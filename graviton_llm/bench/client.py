"""The load generator: sends requests to an OpenAI-compatible server and records each one.

Measurement rules, because each one, broken, skews the numbers:

- one ``aiohttp.ClientSession`` for the run, its connection pool sized to the concurrency
  (aiohttp's default pool of 100 would silently cap a higher concurrency);
- the send time is taken after the request's concurrency slot is acquired, right before the
  write, and the request body is encoded before that;
- token counts come from the server's ``usage`` (``stream_options.include_usage``);
- nothing is logged per request: failures are recorded and counted; the progress callback runs
  on a timer, not per request;
- a per-request timeout bounds every request, so a server that never answers ends the run.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiohttp

from .records import ErrorKind, RequestRecord
from .workload import LengthSpec, PromptSource, load_dataset, poisson_arrivals

Endpoint = Literal["completions", "chat"]
ProgressCallback = Callable[[int, int | None, float], None]
"""Called a few times a second with (measured requests finished, total or None, seconds)."""

_PROGRESS_PERIOD_S = 0.25
_ERROR_TEXT_LIMIT = 200


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
    """Poisson arrivals at this many requests/s (``inf``: all at once)."""
    num_requests: int | None = None
    """Measured requests to send (warm-up excluded)."""
    duration_s: float | None = None
    """Stop sending new requests after this many seconds (in-flight requests finish)."""
    warmup_requests: int = 0
    """Requests sent first, at the same concurrency, and left out of every metric."""
    input_len: LengthSpec = field(default_factory=lambda: LengthSpec(128, 128))
    output_len: LengthSpec = field(default_factory=lambda: LengthSpec(128, 128))
    dataset: Path | None = None
    """JSONL prompts (``{"prompt": ..., "max_tokens": ...}``); overrides ``input_len``."""
    seed: int = 0
    timeout_s: float = 300.0
    """Per-request limit, from send to the end of the stream."""
    ignore_eos: bool = True
    """Ask vLLM to generate exactly ``max_tokens`` (vLLM's ``ignore_eos`` extension)."""
    api_key: str | None = None

    def problems(self) -> list[str]:
        found = []
        if self.concurrency is not None and self.concurrency < 1:
            found.append(f"concurrency={self.concurrency}: must be >= 1")
        if self.request_rate is not None and not self.request_rate > 0:
            found.append(f"request_rate={self.request_rate}: must be > 0 (or inf)")
        if self.num_requests is None and self.duration_s is None:
            found.append("num_requests / duration_s: give at least one, or the run never ends")
        if self.num_requests is not None and self.num_requests < 1:
            found.append(f"num_requests={self.num_requests}: must be >= 1")
        if self.duration_s is not None and not self.duration_s > 0:
            found.append(f"duration_s={self.duration_s}: must be > 0")
        if (
            self.request_rate is not None
            and math.isinf(self.request_rate)
            and self.num_requests is None
        ):
            found.append("request_rate=inf needs num_requests (all are sent at once)")
        if self.warmup_requests < 0:
            found.append(f"warmup_requests={self.warmup_requests}: must be >= 0")
        if not self.timeout_s > 0:
            found.append(f"timeout_s={self.timeout_s}: must be > 0")
        if self.endpoint not in ("completions", "chat"):
            found.append(f"endpoint={self.endpoint!r}: must be 'completions' or 'chat'")
        if self.dataset is not None and not self.dataset.is_file():
            found.append(f"dataset={self.dataset}: no such file")
        return found

    def validate(self) -> None:
        if problems := self.problems():
            raise ValueError("invalid benchmark config: " + "; ".join(problems))

    @property
    def mode(self) -> str:
        if self.request_rate is None:
            return f"concurrency {self.concurrency or 1}"
        cap = f", cap {self.concurrency}" if self.concurrency else ""
        return f"poisson {self.request_rate:g} req/s{cap}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "model": self.model,
            "endpoint": self.endpoint,
            "concurrency": self.concurrency,
            "request_rate": self.request_rate,
            "num_requests": self.num_requests,
            "duration_s": self.duration_s,
            "warmup_requests": self.warmup_requests,
            "input_len": str(self.input_len),
            "output_len": str(self.output_len),
            "dataset": str(self.dataset) if self.dataset else None,
            "seed": self.seed,
            "timeout_s": self.timeout_s,
            "ignore_eos": self.ignore_eos,
            "mode": self.mode,
        }


@dataclass
class BenchResult:
    config: BenchConfig
    model: str
    records: list[RequestRecord]
    started_at: float
    """Wall-clock (epoch seconds) at the start of the measured phase."""
    client_cpu_s: float
    """CPU seconds the client process used during the measured phase."""
    wall_s: float
    """Wall-clock seconds of the measured phase, including waiting for the last request."""


def base_url(url: str) -> str:
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


class _MalformedStreamError(Exception):
    pass


class _StreamErrorEvent(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Runner:
    def __init__(self, config: BenchConfig, session: aiohttp.ClientSession, model: str) -> None:
        self.config = config
        self.session = session
        self.model = model
        dataset = load_dataset(config.dataset) if config.dataset else None
        self.source = PromptSource(config.input_len, config.output_len, config.seed, dataset)
        self.chat = config.endpoint == "chat"
        path = "/v1/chat/completions" if self.chat else "/v1/completions"
        self.url = base_url(config.url) + path
        self.headers = {"Content-Type": "application/json"}
        if config.api_key:
            self.headers["Authorization"] = f"Bearer {config.api_key}"
        self.records: list[RequestRecord] = []
        self.measured_done = 0

    def body(self, index: int) -> bytes:
        prompt = self.source.prompt(index)
        payload: dict[str, Any] = {
            "model": self.model,
            "max_tokens": prompt.max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": 0.0,
        }
        if self.config.ignore_eos:
            payload["ignore_eos"] = True
        if self.chat:
            payload["messages"] = [{"role": "user", "content": prompt.text}]
        else:
            payload["prompt"] = prompt.text
        return json.dumps(payload).encode()

    async def send(self, index: int, warmup: bool) -> RequestRecord:
        body = self.body(index)
        send = time.perf_counter()
        record = RequestRecord(index=index, send_time=send, end_time=send, warmup=warmup)
        try:
            async with asyncio.timeout(self.config.timeout_s):
                async with self.session.post(
                    self.url, data=body, headers=self.headers, trace_request_ctx=record
                ) as resp:
                    record.status = resp.status
                    if resp.status >= 400:
                        text = await resp.read()
                        record.error_kind = ErrorKind.HTTP_STATUS
                        record.error = text[:_ERROR_TEXT_LIMIT].decode(errors="replace")
                    else:
                        await self._read_stream(resp, record)
        except TimeoutError:
            record.error_kind = ErrorKind.TIMEOUT
            record.error = f"no complete answer within {self.config.timeout_s:g} s"
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as error:
            record.error_kind = ErrorKind.CONNECTION
            record.error = f"{type(error).__name__}: {error}"[:_ERROR_TEXT_LIMIT]
        except (_MalformedStreamError, aiohttp.ClientResponseError) as error:
            record.error_kind = ErrorKind.MALFORMED_STREAM
            record.error = str(error)[:_ERROR_TEXT_LIMIT]
        except _StreamErrorEvent as error:
            record.error_kind = ErrorKind.HTTP_STATUS
            record.status = error.status
            record.error = str(error)[:_ERROR_TEXT_LIMIT]
        record.end_time = time.perf_counter()
        if not warmup:
            self.measured_done += 1
        return record

    async def _read_stream(self, resp: aiohttp.ClientResponse, record: RequestRecord) -> None:
        """Read the SSE stream, stamping each event with the time its bytes were read.

        While the stream runs the loop only splits bytes into events and keeps (time, event)
        pairs; JSON is parsed after the last byte. With many streams ticking together, parsing
        inline would hold up the reads, and so the stamps, of the streams queued behind it.
        """
        content = resp.content
        stamped: list[tuple[float, bytes]] = []
        pending = b""
        while True:
            data = await content.readany()
            if not data:
                break
            now = time.perf_counter()
            if pending:
                data = pending + data
            if b"\r" in data:
                data = data.replace(b"\r\n", b"\n")
            events = data.split(b"\n\n")
            pending = events.pop()
            stamped.extend((now, event) for event in events)
        if pending.strip():
            raise _MalformedStreamError("stream ended inside an event")
        self._parse_events(stamped, record)

    def _parse_events(self, stamped: list[tuple[float, bytes]], record: RequestRecord) -> None:
        chat = self.chat
        itl = record.itl
        first = last = None
        chunks = 0
        done = False
        for now, event in stamped:
            if event.startswith(b"data: ") and b"\n" not in event:
                payload = event[6:]
            else:
                payload = _data_field(event)
                if payload is None:
                    continue  # comment or non-data event (SSE keep-alive)
            if payload == b"[DONE]":
                done = True
                continue
            try:
                obj = json.loads(payload)
            except ValueError:
                raise _MalformedStreamError(
                    f"chunk is not JSON: {payload[:80].decode(errors='replace')!r}"
                ) from None
            if not isinstance(obj, dict):
                raise _MalformedStreamError(f"chunk is not a JSON object: {obj!r:.80}")
            choices = obj.get("choices")
            if choices:
                choice = choices[0]
                text = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
                if text:
                    if first is None:
                        first = now
                    else:
                        itl.append(now - last)
                    last = now
                    chunks += 1
            usage = obj.get("usage")
            if usage:
                record.prompt_tokens = usage.get("prompt_tokens")
                record.output_tokens = usage.get("completion_tokens")
                record.usage_reported = True
            elif "error" in obj and not choices:
                error = obj["error"] if isinstance(obj["error"], dict) else {}
                status = error.get("code") if isinstance(error.get("code"), int) else 500
                raise _StreamErrorEvent(status, f"error event in stream: {obj['error']!r}")
        if not done:
            raise _MalformedStreamError("stream ended without data: [DONE]")
        record.first_token_time = first
        record.last_token_time = last
        if not record.usage_reported:
            record.output_tokens = chunks


def _data_field(event: bytes) -> bytes | None:
    """The ``data`` of a general SSE event (several lines joined), None if it has none."""
    lines = [line[5:].lstrip(b" ") for line in event.split(b"\n") if line.startswith(b"data:")]
    return b"\n".join(lines) if lines else None


async def _closed_loop(
    runner: _Runner,
    concurrency: int,
    first_index: int,
    count: int | None,
    deadline: float | None,
    warmup: bool,
) -> None:
    """Fixed concurrency: ``concurrency`` workers, each sends its next request when one ends."""
    end = first_index + count if count is not None else math.inf
    next_index = first_index

    async def worker() -> None:
        nonlocal next_index
        while next_index < end and (deadline is None or time.perf_counter() < deadline):
            index = next_index
            next_index += 1
            runner.records.append(await runner.send(index, warmup))

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _open_loop(
    runner: _Runner,
    rate: float,
    cap: int | None,
    first_index: int,
    count: int | None,
    deadline: float | None,
) -> None:
    """Poisson arrivals; with a cap, an arrival waits for a slot and its send time is then."""
    slots = asyncio.Semaphore(cap) if cap else None
    tasks: list[asyncio.Task[None]] = []

    async def one(index: int) -> None:
        if slots is None:
            runner.records.append(await runner.send(index, False))
            return
        async with slots:
            runner.records.append(await runner.send(index, False))

    start = time.perf_counter()
    offsets = poisson_arrivals(rate, runner.config.seed) if not math.isinf(rate) else None
    k = 0
    while count is None or k < count:
        target = start + (next(offsets) if offsets is not None else 0.0)
        if deadline is not None and target >= deadline:
            break
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(first_index + k)))
        k += 1
    await asyncio.gather(*tasks)


async def discover_model(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(base_url(url) + "/v1/models") as resp:
        resp.raise_for_status()
        data = await resp.json()
    models = data.get("data") or []
    if not models:
        raise ValueError(f"{url}/v1/models lists no model: pass --model")
    return str(models[0]["id"])


def _pool_limit(config: BenchConfig) -> int:
    """Connections the pool may open: the concurrency; 0 (no limit) for uncapped arrivals."""
    if config.request_rate is None:
        return config.concurrency or 1
    return config.concurrency or 0


async def _stamp_sent(session, context, params) -> None:
    """The request's last body byte went to the socket: that is when it was sent."""
    context.trace_request_ctx.send_time = time.perf_counter()


def _trace() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    trace.on_request_chunk_sent.append(_stamp_sent)
    return trace


async def run_benchmark(
    config: BenchConfig, progress: ProgressCallback | None = None
) -> BenchResult:
    """Run warm-up then the measured phase; returns every record (warm-up ones flagged)."""
    config.validate()
    connector = aiohttp.TCPConnector(limit=_pool_limit(config), limit_per_host=0)
    timeout = aiohttp.ClientTimeout(total=None)  # each request has its own asyncio.timeout
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, auto_decompress=False, trace_configs=[_trace()]
    ) as session:
        try:
            async with asyncio.timeout(config.timeout_s):
                model = config.model or await discover_model(session, config.url)
        except (TimeoutError, aiohttp.ClientError) as error:
            raise ConnectionError(
                f"cannot list models at {config.url}/v1/models ({error!r}): "
                "is the server up? pass --model to skip the lookup"
            ) from None
        runner = _Runner(config, session, model)
        concurrency = config.concurrency or 1

        if config.warmup_requests:
            await _closed_loop(runner, concurrency, 0, config.warmup_requests, None, True)

        ticker = None
        if progress is not None:
            ticker = asyncio.create_task(_report_progress(runner, config, progress))
        # A full collection over many live records can pause the loop for milliseconds and
        # shift timestamps; freeze what exists and collect young objects less often.
        gc.collect()
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], 50_000), *thresholds[1:])
        started_at = time.time()
        cpu0 = time.process_time()
        start = time.perf_counter()
        deadline = start + config.duration_s if config.duration_s else None
        try:
            first = config.warmup_requests
            if config.request_rate is None:
                await _closed_loop(runner, concurrency, first, config.num_requests, deadline, False)
            else:
                await _open_loop(
                    runner,
                    config.request_rate,
                    config.concurrency,
                    first,
                    config.num_requests,
                    deadline,
                )
        finally:
            wall = time.perf_counter() - start
            cpu = time.process_time() - cpu0
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            if ticker is not None:
                ticker.cancel()
        if progress is not None:
            progress(runner.measured_done, config.num_requests, wall)
    records = sorted(runner.records, key=lambda r: r.index)
    return BenchResult(config, model, records, started_at, cpu, wall)


async def _report_progress(
    runner: _Runner, config: BenchConfig, progress: ProgressCallback
) -> None:
    start = time.perf_counter()
    while True:
        await asyncio.sleep(_PROGRESS_PERIOD_S)
        progress(runner.measured_done, config.num_requests, time.perf_counter() - start)
