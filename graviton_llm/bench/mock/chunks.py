"""The bytes the mock sends: pre-encoded SSE chunks and full (non-streamed) answers.

Chunks are encoded once per server, not per request, so that a benchmark of a client against
the mock measures the client.
"""

from __future__ import annotations

import json
from typing import Any

# Token texts cycle through these pieces. Seven of the ten start a word, so 10 tokens read as
# 7 words: a client that counts words as tokens (the blog's script) is off by ~1.43x, inside the
# 1.3-1.6x usually quoted for English text with Llama-style tokenizers.
TOKEN_PIECES: tuple[str, ...] = (
    " The", " quantum", " comput", "er", " solves", " hard", " problem", "s", " quickly", ".",
)  # fmt: skip


def answer_text(output_tokens: int) -> str:
    """The text the mock generates for ``output_tokens`` tokens (it never varies)."""
    return "".join(TOKEN_PIECES[i % len(TOKEN_PIECES)] for i in range(output_tokens))


class ChunkEncoder:
    """Pre-encoded SSE chunks for one endpoint flavour (completions or chat)."""

    def __init__(self, model: str, chat: bool) -> None:
        self.chat = chat
        kind = "chat.completion.chunk" if chat else "text_completion"
        head = {"id": "cmpl-mock", "object": kind, "created": 0, "model": model}
        self._head = head

        def event(obj: dict[str, Any]) -> bytes:
            return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"

        def choice(text: str, finish: str | None) -> dict[str, Any]:
            if chat:
                return {"index": 0, "delta": {"content": text}, "finish_reason": finish}
            return {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}

        self._event = event
        self.tokens = [event({**head, "choices": [choice(p, None)]}) for p in TOKEN_PIECES]
        self.last_tokens = [event({**head, "choices": [choice(p, "length")]}) for p in TOKEN_PIECES]
        # vLLM's chat stream opens with an empty assistant delta before any token.
        self.role = event(
            {**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
        )
        self.done = b"data: [DONE]\n\n"
        self.malformed = b'data: {"id": "cmpl-mock", "choices": [{"text": \n\n'

    def token(self, i: int, n: int) -> bytes:
        pieces = self.last_tokens if i == n - 1 else self.tokens
        return pieces[i % len(TOKEN_PIECES)]

    def usage(self, prompt_tokens: int, output_tokens: int) -> bytes:
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": prompt_tokens + output_tokens,
        }
        return self._event({**self._head, "choices": [], "usage": usage})


def full_response(chat: bool, text: str, prompt_tokens: int, n: int) -> dict[str, Any]:
    """A non-streamed answer of ``n`` tokens."""
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": n,
        "total_tokens": prompt_tokens + n,
    }
    if chat:
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "length",
        }
        kind = "chat.completion"
    else:
        choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": "length"}
        kind = "text_completion"
    return {"id": "cmpl-mock", "object": kind, "created": 0, "choices": [choice], "usage": usage}
