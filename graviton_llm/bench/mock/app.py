"""The mock's HTTP application: an OpenAI-compatible (vLLM-flavoured) server with a known
token schedule.

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
import random
import socket
import struct
import time
from dataclasses import asdict

from aiohttp import web

from ..tokens import Tokenizer
from .chunks import DONE, MALFORMED, ChunkEncoder, full_response
from .config import MockConfig
from .state import MockState, ServerTiming
from .validation import Generation, RequestError, read_request

STATE: web.AppKey[MockState] = web.AppKey("mock_state")


def _word_count(text: str) -> int:
    """Words stand in for tokens without a tokenizer: what a word-level tokenizer gives."""
    return len(text.split())


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
    encoders = {False: ChunkEncoder(config, False), True: ChunkEncoder(config, True)}
    count_tokens = Tokenizer(config.tokenizer).count if config.tokenizer else _word_count

    async def on_startup(app: web.Application) -> None:
        app[STATE] = MockState(
            config=config,
            rng=random.Random(config.seed),
            semaphore=asyncio.Semaphore(config.max_num_seqs),
        )

    app.on_startup.append(on_startup)

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="")

    async def models(request: web.Request) -> web.Response:
        card = {
            "id": config.model,
            "object": "model",
            "created": 0,
            "owned_by": "mock",
            "root": config.model,
            "max_model_len": config.max_model_len,
        }
        return web.json_response({"object": "list", "data": [card]})

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(text=app[STATE].prometheus(), content_type="text/plain")

    async def stats(request: web.Request) -> web.Response:
        state: MockState = app[STATE]
        body = {
            "requests": state.requests,
            "injected": state.injected,
            "peak_in_flight": state.peak_in_flight,
            "peak_running": state.peak_running,
            "timings": [asdict(t) for t in state.timings],
        }
        return web.json_response(body)

    async def reset_stats(request: web.Request) -> web.Response:
        app[STATE].reset()
        return web.json_response({"reset": True})

    async def generate(request: web.Request, chat: bool) -> web.StreamResponse:
        arrival = time.perf_counter()
        state: MockState = app[STATE]
        try:
            payload = await request.json()
        except (ValueError, UnicodeDecodeError, RecursionError):
            error = RequestError("the request body is not valid JSON")
            return web.json_response(error.body(), status=error.status)
        try:
            generation = read_request(payload, chat, config, count_tokens)
        except RequestError as error:
            return web.json_response(error.body(), status=error.status)
        timing = ServerTiming(arrival=arrival)
        state.timings.append(timing)
        state.requests += 1
        state.in_flight += 1
        state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
        try:
            if state.in_flight >= config.hold_until_in_flight:
                state.released.set()
            await state.released.wait()
            return await _generate(request, generation, chat, timing, state)
        except ConnectionResetError:
            # The client went away (its timeout, or a fault it gave up on): nothing to send.
            return web.Response(status=499)
        finally:
            state.in_flight -= 1

    async def _generate(
        request: web.Request,
        generation: Generation,
        chat: bool,
        timing: ServerTiming,
        state: MockState,
    ) -> web.StreamResponse:
        fault = state.pick_fault()
        timing.fault = fault
        if fault is not None:
            state.injected[fault] += 1
        if fault == "http_error":
            error = RequestError("injected fault", config.error_status, "InternalServerError")
            return web.json_response(error.body(), status=config.error_status)

        n = config.output_len or generation.max_tokens
        enc = encoders[chat]
        timing.prompt_tokens = generation.prompt_tokens
        timing.reasoning_tokens = enc.reasoning_len(n)
        loop = asyncio.get_running_loop()

        state.waiting += 1
        async with state.semaphore:
            state.waiting -= 1
            state.running += 1
            state.peak_running = max(state.peak_running, state.running)
            try:
                admitted = loop.time()
                timing.admitted = time.perf_counter()
                if not generation.stream:
                    await _sleep_until(loop, admitted + config.ttft_s + (n - 1) * config.itl_s)
                    timing.first_token = timing.last_token = time.perf_counter()
                    timing.output_tokens = n
                    state.account(timing)
                    body = full_response(
                        config, chat, n, timing.reasoning_tokens, generation.prompt_tokens
                    )
                    return web.json_response(body)
                response = web.StreamResponse(
                    headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
                )
                await response.prepare(request)
                if not await _stream(request, response, enc, n, fault, timing, admitted):
                    return response
                if generation.include_usage and config.send_usage:
                    await response.write(enc.usage(generation.prompt_tokens, n))
                await response.write(DONE)
                await response.write_eof()
                if fault is None:
                    state.account(timing)
                return response
            finally:
                state.running -= 1

    async def _stream(
        request: web.Request,
        response: web.StreamResponse,
        enc: ChunkEncoder,
        n: int,
        fault: str | None,
        timing: ServerTiming,
        admitted: float,
    ) -> bool:
        """Write the answer's chunks on schedule; False when a fault cut the stream."""
        loop = asyncio.get_running_loop()
        chunks = enc.chunks(n)
        first_at = admitted + config.ttft_s
        thinking = timing.reasoning_tokens
        if config.itl_s == 0 and fault is None:
            await _sleep_until(loop, first_at)
            timing.first_token = timing.last_token = time.perf_counter()
            await response.write(enc.role + b"".join(c.data for c in chunks))
            timing.first_answer = timing.first_token if thinking < n else None
            timing.output_tokens = n
            return True
        fault_at = max(1, len(chunks) // 2)
        for i, chunk in enumerate(chunks):
            await _sleep_until(loop, first_at + chunk.last_token * config.itl_s)
            if fault is not None and i == fault_at:
                if fault == "reset":
                    _reset_connection(request)
                    return False
                if fault == "malformed":
                    await response.write(MALFORMED)
                    await response.write_eof()
                    return False
            # Stamped before the write, so no client can read a token before its stamp.
            now = time.perf_counter()
            # vLLM emits the role chunk with the engine's first output, not before it.
            await response.write(enc.role + chunk.data if i == 0 else chunk.data)
            if i == 0:
                timing.first_token = now
            if timing.first_answer is None and chunk.last_token >= thinking:
                timing.first_answer = now
            timing.last_token = now
            timing.output_tokens = chunk.last_token + 1
            if i == 0 and fault == "stall":
                await asyncio.sleep(config.stall_s)
        return True

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
