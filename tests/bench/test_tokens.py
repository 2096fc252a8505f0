"""Token counts without usage, with a tokenizer, and prompts of an exact token length
(issue 16, item 2): every count says where it came from."""

from __future__ import annotations

import json

import pytest

from graviton_llm.bench.records import ErrorKind
from graviton_llm.bench.stream_parser import StreamFailure, parse_stream
from graviton_llm.bench.tokens import Tokenizer, count_tokens
from graviton_llm.bench.workload import LengthSpec, Prompt, PromptSource


def stream_of(*texts: str, usage: dict | None = None, reasoning: int = 0):
    """A completed chat stream: ``reasoning`` reasoning chunks first, then content chunks."""
    events = []
    for i, text in enumerate(texts):
        field = "reasoning" if i < reasoning else "content"
        chunk = {"choices": [{"index": 0, "delta": {field: text}}]}
        events.append((0.01 * i, b"data: " + json.dumps(chunk).encode()))
    if usage is not None:
        events.append((0.5, b"data: " + json.dumps({"choices": [], "usage": usage}).encode()))
    events.append((0.6, b"data: [DONE]"))
    return parse_stream(events)


# Two tokens per chunk: 8 chunks carry 16 tokens (one a word for the test tokenizer).
TWO_PER_CHUNK = [" The quantum"] * 8


def test_without_usage_a_tokenizer_counts_what_arrived(tokenizer_path):
    counts = count_tokens(stream_of(*TWO_PER_CHUNK), Prompt("a b c", 16), Tokenizer(tokenizer_path))
    # The old rule counted chunks: 8.
    assert (counts.output, counts.output_source) == (16, "tokenizer")
    assert (counts.prompt, counts.prompt_source) == (3, "tokenizer")


def test_without_usage_or_tokenizer_the_count_is_an_estimate_never_below_the_chunks():
    counts = count_tokens(stream_of(*TWO_PER_CHUNK), Prompt("a b c", 16), None)
    chars = len("".join(TWO_PER_CHUNK))
    assert counts.output_source == counts.prompt_source == "estimate"
    assert counts.output == max(8, round(chars / 4))
    assert counts.prompt == 1  # 5 characters / 4
    single_chars = count_tokens(stream_of("a", "b", "c"), Prompt("x", 16), None)
    assert single_chars.output == 3  # one token per chunk at least, though 3 chars / 4 < 1


def test_usage_wins_and_the_prompt_length_is_the_servers():
    usage = {"prompt_tokens": 40, "completion_tokens": 16}
    counts = count_tokens(
        stream_of(*TWO_PER_CHUNK, usage=usage), Prompt("a b c", 16, tokens=3), None
    )
    assert (counts.output, counts.output_source, counts.prompt, counts.prompt_source) == (
        16,
        "usage",
        40,
        "usage",
    )


def test_reasoning_share_of_usage_by_tokenizer_else_estimated_by_chunks(tokenizer_path):
    # 3 reasoning chunks of 2 tokens, then 5 answer chunks of 2 tokens; usage says 16.
    stream = stream_of(*TWO_PER_CHUNK, usage={"completion_tokens": 16}, reasoning=3)
    exact = count_tokens(stream, Prompt("a", 16), Tokenizer(tokenizer_path))
    assert (exact.reasoning, exact.reasoning_source) == (6, "tokenizer")
    guess = count_tokens(stream, Prompt("a", 16), None)
    assert (guess.reasoning, guess.reasoning_source) == (6, "estimate")  # 16 * 3 / 8
    told = stream_of(
        *TWO_PER_CHUNK,
        usage={"completion_tokens": 16, "completion_tokens_details": {"reasoning_tokens": 7}},
        reasoning=3,
    )
    assert count_tokens(told, Prompt("a", 16), None).reasoning == 7


@pytest.mark.parametrize(
    ("usage", "words"),
    [
        ({"completion_tokens": 0}, "but 8 chunks carried output"),  # the old client: 0 tokens
        ({"completion_tokens": 10**9}, "exceeds the max_tokens=16"),  # old: 8.9e10 tok/s
        ({"completion_tokens": 16, "prompt_tokens": 10**12}, "longer than any model reads"),
    ],
)
def test_usage_that_contradicts_the_stream_or_the_request_is_refused(usage, words):
    with pytest.raises(StreamFailure, match=words) as caught:
        count_tokens(stream_of(*TWO_PER_CHUNK, usage=usage), Prompt("a", 16), None)
    assert caught.value.kind is ErrorKind.INVALID_USAGE


@pytest.mark.parametrize("n", [1, 2, 5, 17, 64, 300])
def test_prompts_have_exactly_the_asked_token_length(tokenizer_path, n):
    tokenizer = Tokenizer(tokenizer_path)
    source = PromptSource(LengthSpec(n, n), LengthSpec(4, 4), seed=3, tokenizer=tokenizer)
    for index in (0, 7, 123):
        prompt = source.prompt(index)
        assert prompt.tokens == n == tokenizer.count(prompt.text)
        assert prompt.text.startswith("r")  # the per-request first word survives the cut


def test_a_tokenizer_that_cannot_be_loaded_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"no tokenizer\.json"):
        Tokenizer(tmp_path)
    bad = tmp_path / "tokenizer.json"
    bad.write_text("{}")
    with pytest.raises(ValueError, match="cannot load"):
        Tokenizer(bad)
