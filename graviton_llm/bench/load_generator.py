"""The load generator: sends requests to an OpenAI-compatible server on a schedule and keeps
every record.

Measurement rules, because each one, broken, skews the numbers:

- one ``aiohttp.ClientSession`` for the run, its connection pool sized to the concurrency
  (aiohttp's default pool of 100 would silently cap a higher concurrency);
- the progress callback runs on a timer, not per request;
- a per-request timeout bounds every request, so a server that never answers ends the run;
- never more workers than requests: ``--concurrency`` above ``--num-requests`` adds none;
- records land in the ``BenchResult`` as each request ends, so a run that is interrupted
  still has every finished request to write.
"""

from __future__ import annotations

import asyncio
import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from .arrivals import arrivals_for
from .config import BenchConfig
from .records import RequestRecord
from .request_sender import RequestSender, discover_model, send_time_trace
from .tokens import Tokenizer

ProgressCallback = Callable[[int, int | None, float], None]
"""Called a few times a second with (measured requests finished, total or None, seconds)."""

_PROGRESS_PERIOD_S = 0.25


@dataclass
class BenchResult:
    """A run's records and the facts around them; filled while the run goes, so an interrupted
    run's result holds what finished (``complete`` stays False)."""

    config: BenchConfig
    model: str | None = None
    records: list[RequestRecord] = field(default_factory=list)
    started_at: float | None = None
    """Wall-clock (epoch seconds) at the start of the measured phase."""
    client_cpu_s: float = 0.0
    """CPU seconds the client process used during the measured phase."""
    wall_s: float = 0.0
    """Wall-clock seconds of the measured phase, including waiting for the last request."""
    complete: bool = False
    """Every request was sent and ended."""


async def _closed_loop(
    sender: RequestSender,
    sink: list[RequestRecord],
    concurrency: int,
    first_index: int,
    count: int | None,
    deadline: float | None,
    warmup: bool,
) -> None:
    """Fixed concurrency: ``concurrency`` workers, each sends its next request when one ends."""
    end = first_index + count if count is not None else math.inf
    next_index = first_index
    # The run's own task: Ctrl-C cancels it. A worker's cancel can be lost below the sender (a
    # timeout helper that takes it for its own uncancels it), so a worker also stops when the
    # run is being cancelled, whatever reached the worker.
    run = asyncio.current_task()

    def go_on() -> bool:
        if run is not None and run.cancelling():
            return False
        return next_index < end and (deadline is None or time.perf_counter() < deadline)

    async def worker() -> None:
        nonlocal next_index
        while go_on():
            index = next_index
            next_index += 1
            sink.append(await sender.send(index, warmup))

    workers = concurrency if count is None else min(concurrency, count)
    await asyncio.gather(*(worker() for _ in range(workers)))


async def _open_loop(
    sender: RequestSender,
    sink: list[RequestRecord],
    offsets: list[float],
    cap: int | None,
    first_index: int,
    deadline: float | None,
) -> None:
    """Arrivals at the given offsets; with a cap, an arrival waits for a slot and its send time
    is then."""
    slots = asyncio.Semaphore(cap) if cap else None
    tasks: list[asyncio.Task[None]] = []

    async def one(index: int) -> None:
        if slots is None:
            sink.append(await sender.send(index, False))
            return
        async with slots:
            sink.append(await sender.send(index, False))

    start = time.perf_counter()
    for k, offset in enumerate(offsets):
        target = start + offset
        if deadline is not None and target >= deadline:
            break
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(first_index + k)))
    await asyncio.gather(*tasks)


def _pool_limit(config: BenchConfig) -> int:
    """Connections the pool may open: the concurrency; 0 (no limit) for uncapped arrivals."""
    if config.request_rate is None:
        return config.concurrency or 1
    return config.concurrency or 0


async def run_benchmark(
    config: BenchConfig,
    progress: ProgressCallback | None = None,
    result: BenchResult | None = None,
) -> BenchResult:
    """Run warm-up then the measured phase; every record (warm-up ones flagged) goes into
    ``result`` as its request ends. Pass your own ``result`` to keep what finished if the run
    is interrupted."""
    config.validate()
    result = result if result is not None else BenchResult(config)
    tokenizer = Tokenizer(config.tokenizer) if config.tokenizer else None
    offsets = None
    if config.request_rate is not None:
        offsets = arrivals_for(
            config.request_rate,
            config.burstiness,
            config.seed,
            config.num_requests,
            config.duration_s,
        )
    connector = aiohttp.TCPConnector(limit=_pool_limit(config), limit_per_host=0)
    timeout = aiohttp.ClientTimeout(total=None)  # each request has its own asyncio.timeout
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        auto_decompress=False,
        trace_configs=[send_time_trace()],
    ) as session:
        try:
            async with asyncio.timeout(config.timeout_s):
                model = config.model or await discover_model(session, config.url)
        except (TimeoutError, aiohttp.ClientError) as error:
            raise ConnectionError(
                f"cannot list models at {config.url}/v1/models ({error!r}): "
                "is the server up? pass --model to skip the lookup"
            ) from None
        result.model = model
        sender = RequestSender(config, session, model, tokenizer)
        sink = result.records
        concurrency = config.concurrency or 1

        if config.warmup_requests:
            await _closed_loop(sender, sink, concurrency, 0, config.warmup_requests, None, True)

        ticker = None
        if progress is not None:
            ticker = asyncio.create_task(_report_progress(sender, config, progress))
        # A full collection over many live records can pause the loop for milliseconds and
        # shift timestamps; freeze what exists and collect young objects less often.
        gc.collect()
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], 50_000), *thresholds[1:])
        result.started_at = time.time()
        cpu0 = time.process_time()
        start = time.perf_counter()
        deadline = start + config.duration_s if config.duration_s else None
        first = config.warmup_requests
        try:
            if offsets is None:
                await _closed_loop(
                    sender, sink, concurrency, first, config.num_requests, deadline, False
                )
            else:
                await _open_loop(sender, sink, offsets, config.concurrency, first, deadline)
            result.complete = True
        finally:
            result.wall_s = time.perf_counter() - start
            result.client_cpu_s = time.process_time() - cpu0
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            if ticker is not None:
                ticker.cancel()
            sink.sort(key=lambda r: r.index)
        if progress is not None:
            progress(sender.measured_done, config.num_requests, result.wall_s)
    return result


async def _report_progress(
    sender: RequestSender, config: BenchConfig, progress: ProgressCallback
) -> None:
    start = time.perf_counter()
    while True:
        await asyncio.sleep(_PROGRESS_PERIOD_S)
        progress(sender.measured_done, config.num_requests, time.perf_counter() - start)
