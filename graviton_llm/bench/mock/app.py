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
import json
import random
import socket
import struct
import time
from dataclasses import asdict
from typing import Any

from aiohttp import web

from .chunks import ChunkEncoder, answer_text, full_response
from .config import MockConfig
from .state import MockState, ServerTiming

STATE: web.AppKey[MockState] = web.AppKey("mock_state")


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
    encoders = {False: ChunkEncoder(config.model, False), True: ChunkEncoder(config.model, True)}

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
        card = {"id": config.model, "object": "model", "created": 0, "owned_by": "mock"}
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
        state: MockState,
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
                    state.account(timing)
                    return web.json_response(full_response(chat, answer_text(n), prompt_tokens, n))

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
                    state.account(timing)
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
