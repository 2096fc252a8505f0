"""Token counts: from the server's ``usage``, else from a local tokenizer, else an estimate that
says it is one.

The server's count is the truth (it ran the model's own tokenizer on what it generated). When
the server sends no ``usage``, a ``tokenizer.json`` the user points at (``--tokenizer``, loaded
with the ``tokenizers`` library from a local file, never from a hub) counts the text that
arrived. Without either, the count is an estimate, labelled so in every report: never below
one token per chunk that carried output, otherwise text length / 4 (OpenAI's rule of thumb for
English). Counting chunks alone is wrong as soon as a server batches tokens (vLLM under load or
with ``--stream-interval``): two tokens per chunk halve the count.

A server's ``usage`` is checked against what arrived, and refused when it cannot be right: a
count that is not a non-negative integer, fewer completion tokens than chunks that carried
output, more than the request's ``max_tokens``, or a prompt longer than any model reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..safeio.files import read_text
from .records import ErrorKind, Prompt, TokenSource
from .stream_parser import ParsedStream, StreamFailure

MAX_TOKENIZER_BYTES = 256 * 2**20  # ours: the largest tokenizer.json we know is ~35 MB
CHARS_PER_TOKEN = 4.0
"""OpenAI's rule of thumb for English text ("a token is ~4 characters")."""

MAX_PROMPT_TOKENS = 10_000_000
"""No model reads a longer prompt (the longest context served in 2025: Llama 4 Scout, 10M);
a ``prompt_tokens`` above it is a broken server, not a big prompt."""


class Tokenizer:
    """A Hugging Face ``tokenizer.json`` loaded from a local path (a file or its directory)."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer as HFTokenizer

        file = path / "tokenizer.json" if path.is_dir() else path
        # Read here, capped and a regular file only (the library would wait for ever on a
        # FIFO), then parsed from the text.
        if path.is_dir() and not file.exists():
            raise ValueError(f"tokenizer {path}: no tokenizer.json there")
        text = read_text(file, limit=MAX_TOKENIZER_BYTES, what="a tokenizer.json")
        try:
            self._tokenizer = HFTokenizer.from_str(text)
        except Exception as error:  # the library raises its own Exception subclass
            raise ValueError(f"tokenizer {file}: cannot load it ({error})") from None
        self.path = file

    def encode(self, text: str) -> list[int]:
        return self._tokenizer.encode(text, add_special_tokens=False).ids

    def decode(self, ids: list[int]) -> str:
        return self._tokenizer.decode(ids)

    def count(self, text: str) -> int:
        return len(self.encode(text)) if text else 0


def estimate_tokens(text_chars: int, chunks: int) -> int:
    """At least one token per chunk that carried output; otherwise characters / 4."""
    return max(chunks, round(text_chars / CHARS_PER_TOKEN))


@dataclass(frozen=True, slots=True)
class TokenCounts:
    prompt: int
    prompt_source: TokenSource
    output: int
    """Every generated token, reasoning included (what ``usage.completion_tokens`` counts)."""
    output_source: TokenSource
    reasoning: int
    reasoning_source: TokenSource


def count_tokens(stream: ParsedStream, prompt: Prompt, tokenizer: Tokenizer | None) -> TokenCounts:
    """The request's token counts; raises ``StreamFailure(INVALID_USAGE)`` on a usage that
    contradicts the stream or the request."""
    prompt_tokens, prompt_source = _prompt_tokens(stream, prompt, tokenizer)
    usage = stream.usage
    if usage is not None:
        _check_usage_against_stream(stream, prompt.max_tokens)
        reasoning, reasoning_source = _reasoning_share(stream, usage.completion_tokens, tokenizer)
        return TokenCounts(
            prompt_tokens,
            prompt_source,
            usage.completion_tokens,
            "usage",
            reasoning,
            reasoning_source,
        )
    if tokenizer is not None:
        reasoning = max(tokenizer.count(stream.reasoning_text()), stream.reasoning_chunks)
        answer = max(tokenizer.count(stream.answer_text()), stream.answer_chunks)
        source: TokenSource = "tokenizer"
    else:
        reasoning = estimate_tokens(stream.reasoning_chars, stream.reasoning_chunks)
        answer = estimate_tokens(stream.answer_chars, stream.answer_chunks)
        source = "estimate"
    return TokenCounts(prompt_tokens, prompt_source, reasoning + answer, source, reasoning, source)


def _prompt_tokens(
    stream: ParsedStream, prompt: Prompt, tokenizer: Tokenizer | None
) -> tuple[int, TokenSource]:
    usage = stream.usage
    if usage is not None and usage.prompt_tokens is not None:
        if usage.prompt_tokens > MAX_PROMPT_TOKENS:
            raise StreamFailure(
                ErrorKind.INVALID_USAGE,
                f"usage.prompt_tokens={usage.prompt_tokens}: longer than any model reads",
            )
        return usage.prompt_tokens, "usage"
    if prompt.tokens is not None:
        return prompt.tokens, "tokenizer"
    if tokenizer is not None:
        return tokenizer.count(prompt.text), "tokenizer"
    return max(1, round(len(prompt.text) / CHARS_PER_TOKEN)), "estimate"


def _check_usage_against_stream(stream: ParsedStream, max_tokens: int) -> None:
    usage = stream.usage
    assert usage is not None
    completion = usage.completion_tokens
    if completion < stream.output_chunks:
        raise StreamFailure(
            ErrorKind.INVALID_USAGE,
            f"usage.completion_tokens={completion} but {stream.output_chunks} chunks carried "
            "output (each holds at least one token)",
        )
    if completion > max_tokens:
        raise StreamFailure(
            ErrorKind.INVALID_USAGE,
            f"usage.completion_tokens={completion} exceeds the max_tokens={max_tokens} "
            "the request allowed",
        )
    reasoning = usage.reasoning_tokens
    if reasoning is not None and (
        reasoning < stream.reasoning_chunks or completion - reasoning < stream.answer_chunks
    ):
        raise StreamFailure(
            ErrorKind.INVALID_USAGE,
            f"usage reasoning_tokens={reasoning} of {completion} cannot hold "
            f"{stream.reasoning_chunks} reasoning and {stream.answer_chunks} answer chunks",
        )


def _reasoning_share(
    stream: ParsedStream, completion: int, tokenizer: Tokenizer | None
) -> tuple[int, TokenSource]:
    """How many of the server's completion tokens were reasoning."""
    usage = stream.usage
    assert usage is not None
    if usage.reasoning_tokens is not None:
        return usage.reasoning_tokens, "usage"
    if stream.reasoning_chunks == 0:
        return 0, "usage"
    if stream.answer_chunks == 0:
        return completion, "usage"
    if tokenizer is not None:
        share, source = tokenizer.count(stream.reasoning_text()), "tokenizer"
    else:
        # Chunks of one stream carry about as many tokens each, whatever their kind.
        share = round(completion * stream.reasoning_chunks / stream.output_chunks)
        source = "estimate"
    low, high = stream.reasoning_chunks, completion - stream.answer_chunks
    return min(max(share, low), high), source  # type: ignore[return-value]
