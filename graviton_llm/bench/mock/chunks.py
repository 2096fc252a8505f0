"""The bytes the mock sends: SSE chunks shaped like vLLM's, and full (non-streamed) answers.

An answer of ``n`` tokens is a fixed list of chunks for a given server: reasoning deltas first
(chat, ``reasoning_tokens``), then content or one tool call's arguments, ``tokens_per_chunk``
tokens each. The list is built once per ``n`` and kept, so that a benchmark of a client
against the mock measures the client, not the mock's JSON encoding.

Shapes follow vLLM's OpenAI server (vllm/entrypoints/openai/serving_chat.py,
``chat_completion_stream_generator``): the chat stream's first chunk is an empty assistant
delta (role, content ``""``), emitted when the engine's first output arrives, so it goes out
with the first token, not before the time to first token; the last token's chunk carries the
``finish_reason``; ``usage`` comes in a chunk of its own with ``choices: []``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .config import MockConfig

# Token texts cycle through these pieces. Seven of the ten start a word, so 10 tokens read as
# 7 words: a client that counts words as tokens (the blog's script) is off by ~1.43x, inside the
# 1.3-1.6x usually quoted for English text with Llama-style tokenizers.
TOKEN_PIECES: tuple[str, ...] = (
    " The", " quantum", " comput", "er", " solves", " hard", " problem", "s", " quickly", ".",
)  # fmt: skip

TOOL_NAME = "lookup"
DONE = b"data: [DONE]\n\n"
MALFORMED = b'data: {"id": "cmpl-mock", "choices": [{"text": \n\n'


def answer_text(output_tokens: int, start: int = 0) -> str:
    """The text of tokens ``start`` .. ``start + output_tokens - 1`` (it never varies)."""
    return "".join(TOKEN_PIECES[i % len(TOKEN_PIECES)] for i in range(start, start + output_tokens))


@dataclass(frozen=True, slots=True)
class Chunk:
    last_token: int
    """Index of the chunk's last token: the chunk goes out when that token is ready."""
    data: bytes


def _event(obj: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


class ChunkEncoder:
    """The chunks of every answer length, for one endpoint flavour (completions or chat)."""

    def __init__(self, config: MockConfig, chat: bool) -> None:
        self.config = config
        self.chat = chat
        kind = "chat.completion.chunk" if chat else "text_completion"
        self._head = {"id": "cmpl-mock", "object": kind, "created": 0, "model": config.model}
        self.role = (
            _event({**self._head, "choices": [{"index": 0, "delta": _role_delta()}]})
            if chat
            else b""
        )
        self._answers: dict[int, list[Chunk]] = {}

    def reasoning_len(self, n: int) -> int:
        """Tokens of an ``n``-token answer streamed as reasoning (chat only)."""
        return min(self.config.reasoning_tokens, n) if self.chat else 0

    def chunks(self, n: int) -> list[Chunk]:
        """The chunks of an ``n``-token answer, cached."""
        cached = self._answers.get(n)
        if cached is None:
            cached = self._answers[n] = list(self._build(n))
        return cached

    def _build(self, n: int) -> Any:
        step = self.config.tokens_per_chunk
        thinking = self.reasoning_len(n)
        finish = "tool_calls" if self.chat and self.config.tool_call else "length"
        for start, end in _groups(0, thinking, step):
            yield Chunk(
                end - 1,
                self._chunk({self.config.reasoning_field: answer_text(end - start, start)}, None),
            )
        first_answer = True
        for start, end in _groups(thinking, n, step):
            text = answer_text(end - start, start)
            last = end == n
            if not self.chat:
                choice = {"index": 0, "text": text, "logprobs": None}
                choice["finish_reason"] = finish if last else None
                yield Chunk(end - 1, _event({**self._head, "choices": [choice]}))
                continue
            delta: dict[str, Any]
            if self.config.tool_call:
                delta = {"tool_calls": [_tool_delta(text, first_answer)]}
            else:
                delta = {"content": text}
            first_answer = False
            yield Chunk(end - 1, self._chunk(delta, finish if last else None))

    def _chunk(self, delta: dict[str, Any], finish: str | None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return _event({**self._head, "choices": [choice]})

    def usage(self, prompt_tokens: int, output_tokens: int) -> bytes:
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": prompt_tokens + output_tokens,
        }
        return _event({**self._head, "choices": [], "usage": usage})


def _role_delta() -> dict[str, str]:
    return {"role": "assistant", "content": ""}


def _groups(start: int, end: int, step: int) -> Any:
    for first in range(start, end, step):
        yield first, min(first + step, end)


def _tool_delta(arguments: str, first: bool) -> dict[str, Any]:
    """vLLM's tool parsers open a call with its id, type and name, then stream the arguments."""
    if first:
        return {
            "index": 0,
            "id": "call-mock",
            "type": "function",
            "function": {"name": TOOL_NAME, "arguments": arguments},
        }
    return {"index": 0, "function": {"arguments": arguments}}


def full_response(
    config: MockConfig, chat: bool, n: int, reasoning: int, prompt_tokens: int
) -> dict[str, Any]:
    """A non-streamed answer of ``n`` tokens, the first ``reasoning`` of them reasoning."""
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": n,
        "total_tokens": prompt_tokens + n,
    }
    answer = answer_text(n - reasoning, reasoning)
    finish = "length"
    if chat:
        message: dict[str, Any] = {"role": "assistant", "content": answer}
        if reasoning:
            message[config.reasoning_field] = answer_text(reasoning)
        if config.tool_call:
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": "call-mock",
                    "type": "function",
                    "function": {"name": TOOL_NAME, "arguments": answer},
                }
            ]
            finish = "tool_calls"
        choice = {"index": 0, "message": message, "finish_reason": finish}
        kind = "chat.completion"
    else:
        choice = {"index": 0, "text": answer, "logprobs": None, "finish_reason": finish}
        kind = "text_completion"
    body = {"id": "cmpl-mock", "object": kind, "created": 0, "model": config.model}
    body["choices"] = [choice]
    if config.send_usage:
        body["usage"] = usage
    return body
