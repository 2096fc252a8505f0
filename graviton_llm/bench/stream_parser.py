"""Read one OpenAI-style event stream, already split and stamped, into what it says; or refuse it.

Pure: the input is ``(arrival time, raw SSE event)`` pairs, so every rule is tested on bytes
without a server. A chunk *carries output* when it holds generated text of any kind: completion
``text``, chat ``delta.content``, reasoning (``delta.reasoning``, or ``delta.reasoning_content``
before vLLM renamed it; vLLM docs/features/reasoning_outputs.md), or a tool call's name or
arguments (``delta.tool_calls[].function``). TTFT starts at the first such chunk and ITL runs
between them; chunks that carry none (the chat role chunk, an empty delta, a finish chunk, the
usage chunk) move no clock.

Every way a stream can be wrong is a ``StreamFailure`` of one ``ErrorKind``; nothing else is
raised, whatever the bytes (tests/bench/test_stream_parser.py feeds it arbitrary JSON).
The rules, and where they differ from ``vllm bench serve``, are in docs/bench.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from .records import ErrorKind

FAILED_FINISH_REASONS = frozenset({"abort", "error"})
"""vLLM ends a request it dropped with ``finish_reason: "abort"`` (and ``"error"`` on an engine
error); the answer is cut short, so the request failed whatever else the stream says."""

_SNIPPET = 80
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # not in typeshed


def _load_json(payload: bytes) -> Any:
    """``json.loads`` without its per-call Python layers (encoding detection, decode,
    raw_decode): the C scanner on the UTF-8 text, and ``json.loads`` itself for anything
    it does not take at once (leading whitespace, other encodings) or to report the error."""
    try:
        text = payload.decode()
        obj, end = _scan_json(text, 0)
        if end == len(text):
            return obj
    except (ValueError, StopIteration):
        pass
    return json.loads(payload)


class StreamFailure(Exception):
    """The stream, although it arrived, is not a successful answer."""

    def __init__(self, kind: ErrorKind, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


def _malformed(message: str) -> StreamFailure:
    return StreamFailure(ErrorKind.MALFORMED_STREAM, message)


@dataclass(frozen=True, slots=True)
class Usage:
    """A ``usage`` object that passed the type checks (counts not yet checked against the
    stream: that is ``tokens.count_tokens``)."""

    completion_tokens: int
    prompt_tokens: int | None = None
    reasoning_tokens: int | None = None
    """``completion_tokens_details.reasoning_tokens``, when the server breaks it out."""


@dataclass(slots=True)
class ParsedStream:
    """What a complete, well-formed stream said."""

    first_output: float | None = None
    """Arrival of the first chunk that carried output of any kind."""
    first_answer: float | None = None
    """Arrival of the first chunk that carried answer output (content or a tool call)."""
    last_output: float | None = None
    itl: list[float] = field(default_factory=list)
    """Gaps between consecutive chunks that carried output."""
    output_chunks: int = 0
    reasoning_chunks: int = 0
    answer_chunks: int = 0
    reasoning_chars: int = 0
    answer_chars: int = 0
    reasoning_parts: list[str] = field(default_factory=list)
    answer_parts: list[str] = field(default_factory=list)
    usage: Usage | None = None
    """The last ``usage`` object sent (vLLM's ``continuous_usage_stats`` sends one per chunk)."""
    finish_reason: str | None = None

    def reasoning_text(self) -> str:
        return "".join(self.reasoning_parts)

    def answer_text(self) -> str:
        return "".join(self.answer_parts)


def data_of(event: bytes) -> bytes | None:
    """The ``data`` of one SSE event (several ``data:`` lines joined), None if it has none
    (a comment such as a keep-alive ``: ping``, or an event with only ``event:``/``id:``)."""
    if event.startswith(b"data: ") and b"\n" not in event:
        return event[6:]
    lines = [line[5:] for line in event.split(b"\n") if line.startswith(b"data:")]
    if not lines:
        return None
    return b"\n".join(line[1:] if line.startswith(b" ") else line for line in lines)


def parse_stream(stamped: Iterable[tuple[float, bytes]]) -> ParsedStream:
    """Parse every event; raises ``StreamFailure`` for the first thing that is wrong.

    Runs once per request over every chunk, so the common shapes take the shortest path
    (a client at thousands of requests/s spends half its CPU here)."""
    out = ParsedStream()
    itl = out.itl
    reasoning_parts, answer_parts = out.reasoning_parts, out.answer_parts
    first = first_answer = None
    last = 0.0
    done = False
    loads = _load_json
    for now, event in stamped:
        if event.startswith(b"data: ") and b"\n" not in event:
            payload = event[6:]
        else:
            found = data_of(event)
            if found is None:
                continue
            payload = found
        if done:
            raise _malformed("data after data: [DONE]")
        if payload == b"[DONE]":
            done = True
            continue
        try:
            obj = loads(payload)
        except (ValueError, RecursionError):
            raise _malformed(f"chunk is not JSON: {_snippet(payload)}") from None
        if type(obj) is not dict:
            raise _malformed(f"chunk is not a JSON object: {_snippet(payload)}")
        if obj.get("error") is not None:
            raise _error_event(obj["error"])
        choices = obj.get("choices")
        if choices:
            if type(choices) is not list:
                raise _malformed(f"choices is not a list: {_snippet(payload)}")
            reasoning, answer = _choice_output(choices[0], out, payload)
            if reasoning or answer:
                if first is None:
                    first = now
                else:
                    itl.append(now - last)
                last = now
                if reasoning:
                    reasoning_parts.append(reasoning)
                if answer:
                    answer_parts.append(answer)
                    if first_answer is None:
                        first_answer = now
        elif choices is not None and type(choices) is not list:
            raise _malformed(f"choices is not a list: {_snippet(payload)}")
        usage = obj.get("usage")
        if usage is not None:
            out.usage = _usage(usage)
    if not done:
        raise StreamFailure(ErrorKind.INCOMPLETE_STREAM, "stream ended without data: [DONE]")
    if first is None:
        raise StreamFailure(ErrorKind.NO_OUTPUT, "stream completed without generating output")
    out.first_output, out.first_answer, out.last_output = first, first_answer, last
    out.output_chunks = len(itl) + 1
    out.reasoning_chunks, out.answer_chunks = len(reasoning_parts), len(answer_parts)
    out.reasoning_chars = sum(map(len, reasoning_parts))
    out.answer_chars = sum(map(len, answer_parts))
    return out


def _choice_output(choice: Any, out: ParsedStream, payload: bytes) -> tuple[str, str]:
    """A choice's generated text: (reasoning, answer), each "" when it carried none."""
    if type(choice) is not dict:
        raise _malformed(f"a choice is not an object: {_snippet(payload)}")
    finish = choice.get("finish_reason")
    if finish is not None:
        if type(finish) is not str:
            raise _malformed(f"finish_reason is not a string: {_snippet(payload)}")
        if finish in FAILED_FINISH_REASONS:
            raise StreamFailure(ErrorKind.ABORTED, f'the server ended it: finish_reason "{finish}"')
        out.finish_reason = finish
    delta = choice.get("delta")
    if delta is None:
        return "", _text(choice, "text", payload)
    if type(delta) is not dict:
        raise _malformed(f"delta is not an object: {_snippet(payload)}")
    answer = delta.get("content")
    if type(answer) is not str:
        answer = _text(delta, "content", payload)
    reasoning = delta.get("reasoning")
    if reasoning is None:
        reasoning = delta.get("reasoning_content")
    if type(reasoning) is not str:
        if reasoning is not None:
            raise _malformed(f"reasoning is not a string: {_snippet(payload)}")
        reasoning = ""
    calls = delta.get("tool_calls")
    if calls is not None:
        answer += _tool_call_text(calls, payload)
    return reasoning, answer


def _text(obj: dict[str, Any], key: str, payload: bytes) -> str:
    value = obj.get(key)
    if type(value) is str:
        return value
    if value is None:
        return ""
    raise _malformed(f"{key} is not a string: {_snippet(payload)}")


def _tool_call_text(calls: Any, payload: bytes) -> str:
    """The generated part of tool-call deltas: function names and argument fragments."""
    if type(calls) is not list:
        raise _malformed(f"tool_calls is not a list: {_snippet(payload)}")
    text = ""
    for call in calls:
        if type(call) is not dict:
            raise _malformed(f"a tool call is not an object: {_snippet(payload)}")
        function = call.get("function")
        if function is None:
            continue
        if type(function) is not dict:
            raise _malformed(f"tool_calls[].function is not an object: {_snippet(payload)}")
        text += _text(function, "name", payload) + _text(function, "arguments", payload)
    return text


def _count(value: object) -> TypeGuard[int]:
    return type(value) is int and value >= 0


def _usage(raw: Any) -> Usage:
    if type(raw) is not dict:
        raise StreamFailure(ErrorKind.INVALID_USAGE, f"usage is not an object: {_short(raw)}")
    completion = raw.get("completion_tokens")
    if not _count(completion):
        raise StreamFailure(
            ErrorKind.INVALID_USAGE,
            f"usage.completion_tokens={_short(completion)}: not a non-negative integer",
        )
    prompt = raw.get("prompt_tokens")
    if prompt is not None and not _count(prompt):
        raise StreamFailure(
            ErrorKind.INVALID_USAGE,
            f"usage.prompt_tokens={_short(prompt)}: not a non-negative integer",
        )
    reasoning = None
    details = raw.get("completion_tokens_details")
    if details is not None:
        if type(details) is not dict:
            raise StreamFailure(
                ErrorKind.INVALID_USAGE, "usage.completion_tokens_details is not an object"
            )
        reasoning = details.get("reasoning_tokens")
        if reasoning is not None and not (_count(reasoning) and reasoning <= completion):
            raise StreamFailure(
                ErrorKind.INVALID_USAGE,
                f"usage reasoning_tokens={_short(reasoning)}: not an integer within "
                f"[0, completion_tokens={completion}]",
            )
    return Usage(completion, prompt, reasoning)


def _error_event(error: Any) -> StreamFailure:
    """vLLM reports a failure mid-stream as ``{"error": {"message", "type", "code"}}``
    (vllm/entrypoints/openai/protocol.py ``ErrorResponse``), with the HTTP status as ``code``."""
    status = None
    if type(error) is dict:
        code = error.get("code")
        if type(code) is int and 400 <= code <= 599:
            status = code
    return StreamFailure(ErrorKind.ERROR_EVENT, f"error event in stream: {_short(error)}", status)


def _snippet(payload: bytes) -> str:
    return repr(payload[:_SNIPPET].decode(errors="replace"))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 3] + "..."
