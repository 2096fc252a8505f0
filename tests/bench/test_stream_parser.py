"""The stream rules on bytes alone: what starts TTFT, what counts, and how every broken stream
is classified (issue 16, items 1, 4 and 7), with exact figures from synthetic stamps."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graviton_llm.bench.records import ErrorKind
from graviton_llm.bench.stream_parser import StreamFailure, data_of, parse_stream
from graviton_llm.bench.tokens import count_tokens
from graviton_llm.bench.workload import Prompt


def stamped(*timed: tuple[float, Any], done: float | None = None) -> list[tuple[float, bytes]]:
    """(arrival time, chunk object) pairs as SSE events, then ``[DONE]`` unless ``done`` is
    None and the last item says otherwise."""
    events = [
        (t, b"data: " + (o if isinstance(o, bytes) else json.dumps(o).encode())) for t, o in timed
    ]
    if done is not None:
        events.append((done, b"data: [DONE]"))
    return events


def delta(t: float, finish: str | None = None, **fields: Any) -> tuple[float, dict]:
    return t, {"choices": [{"index": 0, "delta": fields, "finish_reason": finish}]}


def text(t: float, value: str, finish: str | None = None) -> tuple[float, dict]:
    return t, {"choices": [{"index": 0, "text": value, "finish_reason": finish}]}


def usage(t: float, completion: Any, prompt: Any = 7, **extra: Any) -> tuple[float, dict]:
    return t, {
        "choices": [],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, **extra},
    }


def failure(events: list[tuple[float, bytes]]) -> StreamFailure:
    with pytest.raises(StreamFailure) as caught:
        parse_stream(events)
    return caught.value


def test_reasoning_starts_ttft_and_the_answer_is_timed_apart():
    # Item 1: half the answer is reasoning. The old rule started TTFT at the first content
    # chunk (0.150 here) and timed ITL over content only.
    events = stamped(
        delta(0.050, role="assistant", content=""),
        *(delta(0.055 + 0.010 * i, reasoning_content=f" r{i}") for i in range(10)),
        *(delta(0.155 + 0.010 * i, content=f" c{i}") for i in range(10)),
        usage(0.260, 20),
        done=0.261,
    )
    stream = parse_stream(events)
    assert stream.first_output == 0.055
    assert stream.first_answer == 0.155
    assert stream.last_output == pytest.approx(0.245)
    assert stream.itl == pytest.approx([0.010] * 19)
    assert (stream.reasoning_chunks, stream.answer_chunks) == (10, 10)
    counts = count_tokens(stream, Prompt("x", max_tokens=20), None)
    assert (counts.output, counts.reasoning, counts.output_source) == (20, 10, "usage")


def test_the_new_reasoning_field_and_tool_call_arguments_are_output():
    events = stamped(
        delta(0.01, reasoning="think"),
        delta(
            0.02, tool_calls=[{"index": 0, "id": "c", "function": {"name": "f", "arguments": ""}}]
        ),
        delta(0.03, tool_calls=[{"index": 0, "function": {"arguments": '{"a": 1}'}}]),
        delta(0.04, finish="tool_calls"),
        usage(0.05, 3),
        done=0.06,
    )
    stream = parse_stream(events)
    assert (stream.first_output, stream.first_answer, stream.last_output) == (0.01, 0.02, 0.03)
    assert stream.answer_text() == 'f{"a": 1}'
    assert stream.finish_reason == "tool_calls"


def test_empty_first_chunks_do_not_start_ttft():
    # vLLM's role chunk, an empty content delta, a null text, a keep-alive comment, a finish
    # chunk: none carries output, none moves a clock.
    events = [
        (0.001, b": ping"),
        *stamped(
            delta(0.002, role="assistant", content=""),
            delta(0.010, content=""),
            text(0.020, None),  # type: ignore[arg-type]
            delta(0.055, content="x"),
            delta(0.060, finish="length"),
            usage(0.061, 1),
            done=0.062,
        ),
    ]
    stream = parse_stream(events)
    assert stream.first_output == stream.last_output == 0.055
    assert stream.itl == []


def test_multi_line_data_and_crlf_free_events_parse_as_one():
    payload = json.dumps({"choices": [{"index": 0, "text": "ab"}]})
    event = f"event: message\ndata: {payload[:10]}\ndata:{payload[10:]}".encode()
    assert data_of(event) == (payload[:10] + "\n" + payload[10:]).encode()
    assert data_of(b"id: 7\nevent: ping") is None


@pytest.mark.parametrize(
    ("events", "kind"),
    [
        # Item 4: vLLM's client counts all of these as successes.
        (
            stamped(text(0.01, "a"), (0.02, {"error": {"message": "boom", "code": 500}})),
            ErrorKind.ERROR_EVENT,
        ),
        (stamped(usage(0.01, 16), done=0.02), ErrorKind.NO_OUTPUT),
        (stamped(text(0.01, "a"), usage(0.02, 1)), ErrorKind.INCOMPLETE_STREAM),
        (stamped(done=0.01), ErrorKind.NO_OUTPUT),
        # Item 7: what crashed the run or counted as a success before.
        (
            stamped(text(0.01, "a"), text(0.02, "", "abort"), usage(0.03, 1), done=0.04),
            ErrorKind.ABORTED,
        ),
        (
            stamped(
                (0.01, {"error": {"message": "x"}, "choices": [{"index": 0, "text": "b"}]}),
                done=0.02,
            ),
            ErrorKind.ERROR_EVENT,
        ),
        (
            stamped(text(0.01, "a"), (0.02, {"choices": [], "usage": 5}), done=0.03),
            ErrorKind.INVALID_USAGE,
        ),
        (stamped(text(0.01, "a"), usage(0.02, "sixteen"), done=0.03), ErrorKind.INVALID_USAGE),
        (stamped(text(0.01, "a"), usage(0.02, -50), done=0.03), ErrorKind.INVALID_USAGE),
        (stamped(text(0.01, "a"), usage(0.02, True), done=0.03), ErrorKind.INVALID_USAGE),
        (stamped(text(0.01, "a"), usage(0.02, None), done=0.03), ErrorKind.INVALID_USAGE),
        (stamped(text(0.01, "a"), usage(0.02, 2, prompt=-1), done=0.03), ErrorKind.INVALID_USAGE),
        (
            stamped(
                text(0.01, "a"),
                usage(0.02, 2, completion_tokens_details={"reasoning_tokens": 3}),
                done=0.03,
            ),
            ErrorKind.INVALID_USAGE,
        ),
        (stamped((0.01, {"choices": ["x"]}), done=0.02), ErrorKind.MALFORMED_STREAM),
        (stamped((0.01, {"choices": {"0": {"text": "a"}}}), done=0.02), ErrorKind.MALFORMED_STREAM),
        (stamped((0.01, {"choices": [{"text": 5}]}), done=0.02), ErrorKind.MALFORMED_STREAM),
        (stamped((0.01, {"choices": [{"delta": "a"}]}), done=0.02), ErrorKind.MALFORMED_STREAM),
        (
            stamped((0.01, {"choices": [{"delta": {"content": ["a"]}}]}), done=0.02),
            ErrorKind.MALFORMED_STREAM,
        ),
        (
            stamped((0.01, {"choices": [{"delta": {"tool_calls": {"a": 1}}}]}), done=0.02),
            ErrorKind.MALFORMED_STREAM,
        ),
        (
            stamped((0.01, {"choices": [{"text": "a", "finish_reason": 3}]}), done=0.02),
            ErrorKind.MALFORMED_STREAM,
        ),
        (stamped((0.01, b"[1, 2]"), done=0.02), ErrorKind.MALFORMED_STREAM),
        (stamped((0.01, b'{"choices": [{"text": '), done=0.02), ErrorKind.MALFORMED_STREAM),
        (
            stamped(text(0.01, "a"), done=0.02) + stamped(text(0.03, "b")),
            ErrorKind.MALFORMED_STREAM,
        ),
    ],
)
def test_each_broken_stream_is_one_classified_failure(events, kind):
    assert failure(events).kind is kind


def test_an_error_event_keeps_the_status_it_reports():
    caught = failure(stamped((0.01, {"error": {"message": "overloaded", "code": 503}})))
    assert caught.status == 503 and "overloaded" in str(caught)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    ["choices", "usage", "error", "text", "delta", "content", "reasoning", "reasoning_content",
     "tool_calls", "function", "arguments", "name", "finish_reason", "completion_tokens",
     "prompt_tokens", "completion_tokens_details", "reasoning_tokens", "index"]
)  # fmt: skip
# Chunks shaped like OpenAI chunks, with any value at any of their keys; and well-formed text
# and usage chunks with any counts, so that successes are drawn too.
_chunk = st.one_of(
    st.recursive(
        _json,
        lambda inner: st.dictionaries(_keys, inner, max_size=4) | st.lists(inner, max_size=2),
        max_leaves=16,
    ),
    st.builds(lambda t: {"choices": [{"index": 0, "text": t}]}, st.text(max_size=6)),
    st.builds(
        lambda c, p: {"choices": [], "usage": {"completion_tokens": c, "prompt_tokens": p}},
        st.integers(-2, 20) | st.integers(-5, 10**12),
        st.integers(-2, 20) | st.integers(-5, 10**12),
    ),
)


@pytest.mark.slow
@settings(max_examples=120, deadline=None, derandomize=True, database=None)
@given(chunks=st.lists(_chunk, max_size=5), max_tokens=st.integers(1, 64), done=st.booleans())
def test_any_json_is_a_success_or_a_classified_failure_never_a_crash(chunks, max_tokens, done):
    events = stamped(*((0.01 * i, c) for i, c in enumerate(chunks)), done=0.1 if done else None)
    try:
        stream = parse_stream(events)
        counts = count_tokens(stream, Prompt("a b", max_tokens), None)
    except StreamFailure as caught:
        assert isinstance(caught.kind, ErrorKind)
        return
    # A success has output, and counts that are neither negative nor beyond what was allowed.
    assert stream.first_output is not None and stream.output_chunks >= 1
    assert 1 <= stream.output_chunks <= counts.output
    assert 0 <= counts.reasoning <= counts.output
    if counts.output_source == "usage":
        assert counts.output <= max_tokens
