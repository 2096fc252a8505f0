"""One request: build its body, send it, read its stream into a ``RequestRecord``.

Measurement rules, because each one, broken, skews the numbers:

- the send time is the moment the request's last byte went to the socket (aiohttp's
  ``on_request_chunk_sent``), after its concurrency slot was acquired, and the body is encoded
  before that;
- while the stream runs, bytes are only split into events and stamped; JSON is parsed after
  the last byte, so one stream's parsing does not delay the stamps of the others;
- nothing is logged per request: failures are recorded and counted.

And rules for a server that misbehaves, because a benchmark must never crash nor count a
broken answer: only a 200 is read as a stream (a redirect is a failure, not followed: a POST
turned into a GET would "succeed" with the wrong answer); the client asks for no compression
and still decodes gzip or deflate if a server sends it anyway; a stream is bounded in bytes as
well as in time; anything else that goes wrong is a classified failure of that request.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections.abc import Iterator
from typing import Any

import aiohttp

from ..safeio.files import parse_json
from .config import BenchConfig
from .records import ErrorKind, Prompt, RequestRecord
from .stream_parser import StreamFailure, parse_stream
from .tokens import Tokenizer, count_tokens
from .workload import PromptSource, load_dataset

_ERROR_TEXT_LIMIT = 200
MAX_STREAM_BYTES = 64 * 1024 * 1024
"""A 64 MiB answer is ~16M tokens of text: no real answer is longer; a server that keeps
sending is broken, and the cap keeps it from filling the client's memory first. Counted as
received and, when the server compresses anyway, again as decompressed: a 4 MiB gzip stream
inflates to 4 GiB."""
MAX_EVENT_BYTES = 1024 * 1024
"""One SSE event (a chunk's JSON) is a few hundred bytes; 1 MiB without a blank line between is
not a stream (64 MiB with no event end cost the client a quadratic re-scan)."""
EXTRA_EVENTS = 1024
"""Events a stream may hold beyond two per requested token (role, usage, keep-alives): vLLM
sends at most one chunk per generated token."""
MAX_MODELS_BYTES = 8 * 1024 * 1024
"""/v1/models lists a few models in a few KB."""


def base_url(url: str) -> str:
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


class RequestSender:
    """Sends request ``i`` of the run and returns its record; counts measured ones done."""

    def __init__(
        self,
        config: BenchConfig,
        session: aiohttp.ClientSession,
        model: str,
        tokenizer: Tokenizer | None = None,
    ) -> None:
        self.config = config
        self.session = session
        self.model = model
        self.tokenizer = tokenizer
        dataset = load_dataset(config.dataset) if config.dataset else None
        self.source = PromptSource(
            config.input_len, config.output_len, config.seed, dataset, tokenizer
        )
        self.chat = config.endpoint == "chat"
        path = "/v1/chat/completions" if self.chat else "/v1/completions"
        self.url = base_url(config.url) + path
        self.headers = {"Content-Type": "application/json", "Accept-Encoding": "identity"}
        if config.api_key:
            self.headers["Authorization"] = f"Bearer {config.api_key}"
        self.measured_done = 0

    def body(self, index: int) -> tuple[bytes, Prompt]:
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
        return json.dumps(payload).encode(), prompt

    async def send(self, index: int, warmup: bool) -> RequestRecord:
        body, prompt = self.body(index)
        send = time.perf_counter()
        record = RequestRecord(index=index, send_time=send, end_time=send, warmup=warmup)
        ended = None
        try:
            async with asyncio.timeout(self.config.timeout_s):
                async with self.session.post(
                    self.url,
                    data=body,
                    headers=self.headers,
                    trace_request_ctx=record,
                    allow_redirects=False,
                ) as resp:
                    record.status = resp.status
                    if resp.status != 200:
                        raise await _status_failure(resp)
                    stamped = await _read_events(resp, 2 * prompt.max_tokens + EXTRA_EVENTS)
            ended = time.perf_counter()
            self._fill(record, stamped, prompt)
        except StreamFailure as failure:
            _fail(record, failure.kind, str(failure))
        except TimeoutError:
            limit = self.config.timeout_s
            _fail(record, ErrorKind.TIMEOUT, f"no complete answer within {limit:g} s")
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as error:
            _fail(record, ErrorKind.CONNECTION, f"{type(error).__name__}: {error}")
        except aiohttp.ClientResponseError as error:  # a response that is not valid HTTP
            _fail(record, ErrorKind.MALFORMED_STREAM, f"{type(error).__name__}: {error}")
        except aiohttp.ClientError as error:
            _fail(record, ErrorKind.CONNECTION, f"{type(error).__name__}: {error}")
        except Exception as error:  # a bug of ours must cost one request, not the run
            _fail(record, ErrorKind.CLIENT_ERROR, f"{type(error).__name__}: {error}")
        # A cancel (Ctrl-C) that landed where it became an ordinary failure (inside aiohttp,
        # or as asyncio.timeout fired at the same moment) still stands: re-raise it, or the
        # worker would go on to send, and fail, every remaining request.
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError
        record.end_time = ended if ended is not None else time.perf_counter()
        if not warmup:
            self.measured_done += 1
        return record

    def _fill(
        self, record: RequestRecord, stamped: list[tuple[float, bytes]], prompt: Prompt
    ) -> None:
        stream = parse_stream(stamped)
        counts = count_tokens(stream, prompt, self.tokenizer)
        record.first_token_time = stream.first_output
        record.last_token_time = stream.last_output
        record.first_answer_time = stream.first_answer
        record.itl = stream.itl
        record.prompt_tokens = counts.prompt
        record.prompt_token_source = counts.prompt_source
        record.output_tokens = counts.output
        record.token_source = counts.output_source
        record.reasoning_tokens = counts.reasoning
        record.reasoning_source = counts.reasoning_source


def _fail(record: RequestRecord, kind: ErrorKind, message: str) -> None:
    record.error_kind = kind
    record.error = message[:_ERROR_TEXT_LIMIT]


async def _status_failure(resp: aiohttp.ClientResponse) -> StreamFailure:
    if 300 <= resp.status < 400:
        where = resp.headers.get("Location", "?")
        return StreamFailure(ErrorKind.HTTP_STATUS, f"redirect to {where} (not followed)")
    text = await resp.content.read(_ERROR_TEXT_LIMIT)
    return StreamFailure(ErrorKind.HTTP_STATUS, text.decode(errors="replace"))


async def _read_events(resp: aiohttp.ClientResponse, max_events: int) -> list[tuple[float, bytes]]:
    """Read the SSE stream, stamping each event with the time its bytes were read.

    While the stream runs the loop only splits bytes into events and keeps (time, event)
    pairs; JSON is parsed after the last byte. With many streams ticking together, parsing
    inline would hold up the reads, and so the stamps, of the streams queued behind it.

    Bounded whatever the server sends: bytes received and decompressed (MAX_STREAM_BYTES),
    the bytes of one event (MAX_EVENT_BYTES) and the events kept (``max_events``; blank ones,
    a flood of newlines, are not kept). Each read does a bounded amount of work, so the
    request's asyncio.timeout fires on time.
    """
    decoder = _decoder(resp.headers.get("Content-Encoding"))
    content = resp.content
    stamped: list[tuple[float, bytes]] = []
    pending = b""
    received = decoded = 0
    while True:
        received_now = await content.readany()
        if not received_now:
            break
        now = time.perf_counter()
        received += len(received_now)
        for data in _pieces(decoder, received_now):
            decoded += len(data)
            if max(received, decoded) > MAX_STREAM_BYTES:
                raise StreamFailure(
                    ErrorKind.MALFORMED_STREAM, f"stream longer than {MAX_STREAM_BYTES} bytes"
                )
            if pending:
                data = pending + data
            if b"\r" in data:
                data = data.replace(b"\r\n", b"\n")
            events = data.split(b"\n\n")
            pending = events.pop()
            if len(pending) > MAX_EVENT_BYTES:
                raise StreamFailure(
                    ErrorKind.MALFORMED_STREAM, f"an event longer than {MAX_EVENT_BYTES} bytes"
                )
            stamped.extend((now, event) for event in events if event.strip())
            if len(stamped) > max_events:
                raise StreamFailure(
                    ErrorKind.MALFORMED_STREAM,
                    f"more than {max_events} events for {(max_events - EXTRA_EVENTS) // 2} tokens",
                )
    if pending.strip():
        raise StreamFailure(ErrorKind.INCOMPLETE_STREAM, "stream ended inside an event")
    return stamped


def _decoder(encoding: str | None) -> Any:
    """A zlib decoder for a Content-Encoding the client did not ask for but can read."""
    name = (encoding or "identity").strip().lower()
    if name == "identity":
        return None
    if name in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if name == "deflate":
        return zlib.decompressobj()
    raise StreamFailure(
        ErrorKind.MALFORMED_STREAM, f"Content-Encoding {encoding!r} was not asked for"
    )


_PIECE_BYTES = 1024 * 1024


def _pieces(decoder: Any, data: bytes) -> Iterator[bytes]:
    """``data`` as received, or decompressed a MiB at a time: a bomb is counted against the cap
    as it inflates, never inflated whole in memory first."""
    if decoder is None:
        yield data
        return
    while data:
        yield _decompress(decoder, data)
        data = decoder.unconsumed_tail


def _decompress(decoder: Any, data: bytes) -> bytes:
    try:
        plain: bytes = decoder.decompress(data, _PIECE_BYTES)
        return plain
    except zlib.error as error:
        raise StreamFailure(ErrorKind.MALFORMED_STREAM, f"cannot decompress: {error}") from None


async def discover_model(session: aiohttp.ClientSession, url: str) -> str:
    """The first model /v1/models lists; its body is read up to MAX_MODELS_BYTES and parsed
    with a depth cap (the caller bounds the time)."""
    async with session.get(base_url(url) + "/v1/models") as resp:
        resp.raise_for_status()
        body = bytearray()
        while chunk := await resp.content.readany():
            body += chunk
            if len(body) > MAX_MODELS_BYTES:
                raise ValueError(f"{url}/v1/models: over {MAX_MODELS_BYTES} bytes: pass --model")
    data = parse_json(bytes(body), where=f"{url}/v1/models", max_depth=16)
    models = data.get("data") if isinstance(data, dict) else None
    if not isinstance(models, list) or not models:
        raise ValueError(f"{url}/v1/models lists no model: pass --model")
    first = models[0]
    if not isinstance(first, dict) or not isinstance(first.get("id"), str):
        raise ValueError(f"{url}/v1/models: the first entry has no model id: pass --model")
    model: str = first["id"]
    return model


async def _stamp_sent(
    session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestChunkSentParams
) -> None:
    """The request's last body byte went to the socket: that is when it was sent."""
    context.trace_request_ctx.send_time = time.perf_counter()


def send_time_trace() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    trace.on_request_chunk_sent.append(_stamp_sent)
    return trace
