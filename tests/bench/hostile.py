"""A scripted HTTP server on 127.0.0.1: every request gets the raw bytes a test decides.

Real servers and proxies misbehave in ways a well-behaved mock never will (a 302, gzip the
client did not ask for, a usage object that is a number). This server writes exactly the bytes
it is given, so each test reproduces one such behaviour and nothing else. A response is a list
of parts: ``bytes`` are written and flushed, a ``float`` is a pause in seconds between writes.
The connection is closed after the last part (``Connection: close``), so a body without a
``Content-Length`` ends there.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

Part = bytes | float
Responder = Callable[[int, bytes], Sequence[Part]]
"""(request number from 0, raw request bytes) -> the parts of the raw response."""


@dataclass
class HostileServer:
    url: str
    requests: list[bytes] = field(default_factory=list)
    """Every raw request received (head and body), in arrival order."""


def response(
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    length: bool = True,
) -> bytes:
    """A raw HTTP/1.1 response; ``length=False`` leaves the body to end at the close."""
    reason = {200: "OK", 302: "Found", 400: "Bad Request", 500: "Internal Server Error"}
    lines = [f"HTTP/1.1 {status} {reason.get(status, 'Status')}", "Connection: close"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def event(obj: Any) -> bytes:
    """One SSE ``data:`` event holding ``obj`` as JSON (bytes are sent as they are)."""
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return b"data: " + data + b"\n\n"


DONE = b"data: [DONE]\n\n"
SSE_HEAD = response(headers={"Content-Type": "text/event-stream"}, length=False)


def sse(*events: Any, done: bool = True) -> list[Part]:
    """A 200 event stream of ``events`` (objects, raw bytes or pauses), then ``[DONE]``."""
    parts: list[Part] = [SSE_HEAD]
    for item in events:
        parts.append(item if isinstance(item, float) else event(item))
    if done:
        parts.append(DONE)
    return parts


def gzipped_sse(*events: Any) -> list[Part]:
    """The same stream, gzip-encoded whether or not the client asked for it."""
    body = b"".join(event(e) for e in events) + DONE
    head = {"Content-Type": "text/event-stream", "Content-Encoding": "gzip"}
    return [response(body=gzip.compress(body), headers=head)]


def text_chunk(text: str, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    """A completions chunk carrying ``text``."""
    return {"choices": [{"index": 0, "text": text, "finish_reason": finish}], **extra}


def delta_chunk(finish: str | None = None, **delta: Any) -> dict[str, Any]:
    """A chat chunk whose delta holds ``delta`` (content, reasoning_content, tool_calls...)."""
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def usage(completion: Any, prompt: Any = 8) -> dict[str, Any]:
    return {"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion}}


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return head + body


@contextmanager
def hostile_server(respond: Responder) -> Iterator[HostileServer]:
    """Serve ``respond`` on an ephemeral 127.0.0.1 port in a daemon thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="hostile-server", daemon=True)
    thread.start()
    holder: dict[str, HostileServer] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            raw = await _read_request(reader)
            if raw is None:
                return
            server = holder["server"]
            number = len(server.requests)
            server.requests.append(raw)
            for part in respond(number, raw):
                if isinstance(part, float):
                    await asyncio.sleep(part)
                else:
                    writer.write(part)
                    await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def open_server() -> asyncio.Server:
        return await asyncio.start_server(handle, "127.0.0.1", 0)

    server = asyncio.run_coroutine_threadsafe(open_server(), loop).result(10)
    port = server.sockets[0].getsockname()[1]
    holder["server"] = HostileServer(url=f"http://127.0.0.1:{port}")
    try:
        yield holder["server"]
    finally:

        async def close() -> None:
            server.close()
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
