"""Failures: each injected fault is counted once, in its kind, and the run always ends."""

from __future__ import annotations

import asyncio
import socket
import time
import tracemalloc

import aiohttp
import pytest
from conftest import run

from graviton_llm.bench.config import MAX_CONCURRENCY, BenchConfig
from graviton_llm.bench.load_generator import BenchResult, run_benchmark
from graviton_llm.bench.metrics import compute_metrics
from graviton_llm.bench.workload import LengthSpec


def config(url: str, **overrides) -> BenchConfig:
    base = {
        "url": url,
        "input_len": LengthSpec(8, 8),
        "output_len": LengthSpec(6, 6),
        "timeout_s": 10.0,
    }
    return BenchConfig(**(base | overrides))


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", ["completions", "chat"])
def test_each_injected_fault_is_counted_once_in_its_kind(mock_server, endpoint):
    mock = mock_server(
        ttft_s=0.002,
        itl_s=0.001,
        error_rate=0.15,
        error_status=503,
        reset_rate=0.15,
        malformed_rate=0.15,
        seed=11,
    )
    result = run(config(mock.url, endpoint=endpoint, concurrency=6, num_requests=80))
    metrics = compute_metrics(result.records)
    injected = mock.injected()

    assert min(injected["http_error"], injected["reset"], injected["malformed"]) > 0
    expected = {
        "http_503": injected["http_error"],
        "connection": injected["reset"],
        "malformed_stream": injected["malformed"],
    }
    assert metrics.errors == expected
    assert metrics.failed == sum(expected.values())
    assert metrics.completed == 80 - metrics.failed
    # Output tokens come only from answers that completed.
    assert metrics.total_output_tokens == 6 * metrics.completed


@pytest.mark.slow
def test_a_stalled_stream_ends_at_the_timeout_as_a_timeout(mock_server):
    mock = mock_server(ttft_s=0.001, itl_s=0.001, stall_rate=1.0)
    # The mock stalls for an hour: ending at all (within the hang guard) is the timeout working.
    start = time.perf_counter()
    result = run(config(mock.url, concurrency=4, num_requests=4, timeout_s=0.3))
    elapsed = time.perf_counter() - start
    metrics = compute_metrics(result.records)
    assert metrics.errors == {"timeout": 4}
    assert mock.injected()["stall"] == 4
    assert elapsed >= 0.3


@pytest.mark.slow
def test_a_server_that_never_answers_ends_the_run_at_the_timeout():
    # The kernel completes the TCP handshake on a listening socket; nothing ever replies.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        start = time.perf_counter()
        result = run(config(url, model="m", concurrency=3, num_requests=3, timeout_s=0.3))
        elapsed = time.perf_counter() - start
    assert compute_metrics(result.records).errors == {"timeout": 3}
    assert elapsed >= 0.3


def test_model_lookup_on_a_silent_server_fails_with_a_hint_not_a_hang():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(ConnectionError, match="--model"):
            run(config(url, concurrency=1, num_requests=1, timeout_s=0.2))


@pytest.mark.slow
def test_refused_connections_are_connection_errors():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(config(f"http://127.0.0.1:{port}", model="m", concurrency=2, num_requests=4))
    assert compute_metrics(result.records).errors == {"connection": 4}


def test_impossible_configs_are_refused_with_every_problem_named():
    with pytest.raises(ValueError) as error:
        run(BenchConfig(url="http://127.0.0.1:1", concurrency=0, timeout_s=0))
    message = str(error.value)
    for field in ("concurrency=0", "num_requests / duration_s", "timeout_s=0"):
        assert field in message


@pytest.mark.slow
def test_workers_are_capped_by_the_number_of_requests(mock_server):
    # --concurrency far above --num-requests used to start one worker per slot (ten million
    # of them ran out of memory; 65,535 of them take 64 MB at their peak, 3 take 0.4 MB).
    mock = mock_server(ttft_s=0.01, itl_s=0.0)
    cfg = config(mock.url, concurrency=MAX_CONCURRENCY, num_requests=3, output_len=LengthSpec(1, 1))
    tracemalloc.start()
    try:
        result = run(cfg)
        peak_bytes = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert compute_metrics(result.records).completed == 3
    assert peak_bytes < 16 * 2**20
    # The issue's --concurrency 10000000 --num-requests 20 is 20 workers; without a request
    # count it would be ten million, which no client can hold in flight.
    assert BenchConfig(url=mock.url, concurrency=10_000_000, num_requests=20).workers == 20
    with pytest.raises(ValueError, match="concurrency=10000000"):
        BenchConfig(url=mock.url, concurrency=10_000_000, duration_s=5.0).validate()


@pytest.mark.slow
def test_a_cancel_swallowed_below_the_sender_still_stops_the_run(mock_server, monkeypatch):
    # Ctrl-C cancels the run. If the cancel lands where it is turned into an ordinary failure
    # (aiohttp, or asyncio.timeout when the request's own timeout fires at the same moment), the
    # request is only recorded as failed and its worker sent the next one: a run of 100,000
    # requests then ignored Ctrl-C. Here the first cancel is turned into a payload error.
    from graviton_llm.bench import request_sender

    real_read = request_sender._read_events
    swallowed = []

    async def read_swallowing_one_cancel(resp, *rest):
        try:
            return await real_read(resp, *rest)
        except asyncio.CancelledError:
            if swallowed:
                raise
            swallowed.append(True)
            raise aiohttp.ClientPayloadError("cancel seen as a broken stream") from None

    monkeypatch.setattr(request_sender, "_read_events", read_swallowing_one_cancel)
    mock = mock_server(ttft_s=0.5, itl_s=0.0, hold_until_in_flight=2)
    cfg = config(mock.url, concurrency=2, num_requests=100_000)
    result = BenchResult(cfg)

    async def cancel_once_two_are_in_flight():
        task = asyncio.create_task(run_benchmark(cfg, result=result))
        while mock.state().peak_in_flight < 2:
            await asyncio.sleep(0.005)
        task.cancel()
        await asyncio.wait_for(task, 60)

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(cancel_once_two_are_in_flight())
    assert swallowed
    # The two requests in flight at the cancel, nothing after: the worker whose cancel was
    # swallowed used to go on and record every remaining request as a failure.
    assert len(result.records) <= 2
    assert mock.state().requests == 2


@pytest.mark.slow
def test_a_cancel_lost_below_the_sender_still_stops_the_run(mock_server, monkeypatch):
    # Worse than turned into a failure: taken back (a timeout helper that believes the cancel
    # is its own uncancels the task), so the worker cannot tell it was ever cancelled. The run
    # itself still is, and its workers send nothing more.
    from graviton_llm.bench import request_sender

    real_read = request_sender._read_events
    lost = []

    async def read_losing_one_cancel(resp, *rest):
        try:
            return await real_read(resp, *rest)
        except asyncio.CancelledError:
            if lost:
                raise
            lost.append(asyncio.current_task().uncancel())
            raise aiohttp.ClientPayloadError("cancel taken back") from None

    monkeypatch.setattr(request_sender, "_read_events", read_losing_one_cancel)
    mock = mock_server(ttft_s=0.5, itl_s=0.0, hold_until_in_flight=2)
    cfg = config(mock.url, concurrency=2, num_requests=100_000)
    result = BenchResult(cfg)

    async def cancel_once_two_are_in_flight():
        task = asyncio.create_task(run_benchmark(cfg, result=result))
        while mock.state().peak_in_flight < 2:
            await asyncio.sleep(0.005)
        task.cancel()
        await asyncio.wait_for(task, 60)

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(cancel_once_two_are_in_flight())
    assert lost == [0]  # the worker's own cancel count was back to none
    assert len(result.records) <= 2
    assert mock.state().requests == 2
