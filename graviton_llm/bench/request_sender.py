"""One request: build its body, send it, read its stream into a ``RequestRecord``.

Measurement rules, because each one, broken, skews the numbers:

- the send time is the moment the request's last byte went to the socket (aiohttp's
  ``on_request_chunk_sent``), after its concurrency slot was acquired, and the body is encoded
  before that;
- while the stream runs, bytes are only split into events and stamped; JSON is parsed after
  the last byte, so one stream's parsing does not delay the stamps of the others;
- token counts come from the server's ``usage`` (``stream_options.include_usage``);
- nothing is logged per request: failures are recorded and counted.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from .config import BenchConfig
from .records import ErrorKind, RequestRecord
from .workload import PromptSource, load_dataset

_ERROR_TEXT_LIMIT = 200


def base_url(url: str) -> str:
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


class _MalformedStreamError(Exception):
    pass


class _StreamErrorEvent(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class RequestSender:
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


async def discover_model(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(base_url(url) + "/v1/models") as resp:
        resp.raise_for_status()
        data = await resp.json()
    models = data.get("data") or []
    if not models:
        raise ValueError(f"{url}/v1/models lists no model: pass --model")
    return str(models[0]["id"])


async def _stamp_sent(session, context, params) -> None:
    """The request's last body byte went to the socket: that is when it was sent."""
    context.trace_request_ctx.send_time = time.perf_counter()


def send_time_trace() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    trace.on_request_chunk_sent.append(_stamp_sent)
    return trace
