"""The mock server speaks enough of vLLM's API for clients and dashboards."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graviton_llm.bench.mock import MockConfig, answer_text
from graviton_llm.bench.mock.validation import RequestError, read_request


async def fetch(method: str, url: str, **kwargs) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.request(method, url, **kwargs) as resp:
        return resp.status, await resp.text()


def get(url: str) -> tuple[int, str]:
    return asyncio.run(fetch("GET", url))


def post(url: str, body: dict) -> tuple[int, str]:
    return asyncio.run(fetch("POST", url, json=body))


def test_health_models_and_vllm_metric_names(mock_server):
    mock = mock_server(model="m1", ttft_s=0.001, itl_s=0.0)
    assert get(mock.url + "/health")[0] == 200
    status, body = get(mock.url + "/v1/models")
    assert status == 200 and json.loads(body)["data"][0]["id"] == "m1"
    post(mock.url + "/v1/completions", {"prompt": "a b c", "max_tokens": 4})
    status, text = get(mock.url + "/metrics")
    assert status == 200
    for name in (
        'vllm:num_requests_running{model_name="m1"} 0',
        'vllm:num_requests_waiting{model_name="m1"} 0',
        'vllm:prompt_tokens_total{model_name="m1"} 3',
        'vllm:generation_tokens_total{model_name="m1"} 4',
        'vllm:time_to_first_token_seconds_count{model_name="m1"} 1',
        'vllm:e2e_request_latency_seconds_count{model_name="m1"} 1',
        'vllm:time_per_output_token_seconds_count{model_name="m1"} 1',
        'vllm:request_queue_time_seconds_count{model_name="m1"} 1',
    ):
        assert name in text


def test_non_streaming_answer_has_the_text_and_usage(mock_server):
    mock = mock_server(ttft_s=0.001, itl_s=0.0, output_len=12)
    status, body = post(mock.url + "/v1/completions", {"prompt": "x y", "max_tokens": 99})
    answer = json.loads(body)
    assert status == 200
    assert answer["choices"][0]["text"] == answer_text(12)
    assert answer["usage"] == {"prompt_tokens": 2, "completion_tokens": 12, "total_tokens": 14}


def test_stream_sends_usage_only_when_asked(mock_server):
    mock = mock_server(ttft_s=0.001, itl_s=0.0)
    request = {"prompt": "x", "max_tokens": 3, "stream": True}
    _, without = post(mock.url + "/v1/completions", request)
    _, with_usage = post(
        mock.url + "/v1/completions", request | {"stream_options": {"include_usage": True}}
    )
    assert '"usage"' not in without
    assert '"completion_tokens":3' in with_usage
    assert without.count("data: ") == 4 and without.endswith("data: [DONE]\n\n")


def test_words_are_not_tokens_in_the_mocks_text():
    # The blog counted words as tokens; the mock's text makes that visibly wrong (10 -> 7).
    assert len(answer_text(100).split()) == 70


@pytest.mark.parametrize(
    "bad", [{"error_rate": 1.5}, {"reset_rate": 0.6, "stall_rate": 0.6}, {"max_num_seqs": 0}]
)
def test_mock_config_rejects_impossible_values(bad):
    with pytest.raises(ValueError, match=next(iter(bad)) if len(bad) == 1 else "add up"):
        MockConfig(**bad).validate()


async def stream_events(url: str, body: dict) -> tuple[float, list[tuple[float, dict]]]:
    """POST and read the SSE stream: (send time, [(seconds since send, chunk), ...])."""
    async with aiohttp.ClientSession() as session:
        sent = time.perf_counter()
        async with session.post(url, json=body) as resp:
            assert resp.status == 200
            events, pending = [], b""
            async for data in resp.content.iter_any():
                now = time.perf_counter() - sent
                pending += data
                while b"\n\n" in pending:
                    event, pending = pending.split(b"\n\n", 1)
                    if event != b"data: [DONE]":
                        events.append((now, json.loads(event[6:])))
    return sent, events


def chat(n: int, **extra) -> dict:
    messages = [{"role": "user", "content": "hi there"}]
    return {"messages": messages, "max_tokens": n, "stream": True, **extra}


def deltas(events) -> list[dict]:
    return [e["choices"][0]["delta"] for _, e in events if e["choices"]]


def test_the_role_chunk_goes_out_with_the_first_token_not_before(mock_server):
    # vLLM sends the role chunk when the engine's first output arrives. Before, the mock sent
    # it at once, and vLLM's client (TTFT at the first chunk with choices) read 1-6 ms here.
    mock = mock_server(ttft_s=0.050, itl_s=0.001)
    _, events = asyncio.run(stream_events(mock.url + "/v1/chat/completions", chat(3)))
    role_at, role = events[0]
    assert role["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert role_at >= 0.050
    assert "".join(d.get("content") or "" for d in deltas(events)) == answer_text(3)


def test_several_tokens_per_chunk_and_usage_that_can_be_switched_off(mock_server):
    mock = mock_server(ttft_s=0.001, itl_s=0.001, tokens_per_chunk=3, send_usage=False)
    body = chat(10, stream_options={"include_usage": True})
    _, events = asyncio.run(stream_events(mock.url + "/v1/chat/completions", body))
    texts = [d["content"] for d in deltas(events) if d.get("content")]
    assert texts == [answer_text(3, 0), answer_text(3, 3), answer_text(3, 6), answer_text(1, 9)]
    assert all("usage" not in e for _, e in events)
    assert events[-1][1]["choices"][0]["finish_reason"] == "length"


def test_reasoning_deltas_come_first_then_the_answer_as_content_or_a_tool_call(mock_server):
    mock = mock_server(ttft_s=0.001, itl_s=0.0, reasoning_tokens=4, tool_call=True)
    _, events = asyncio.run(stream_events(mock.url + "/v1/chat/completions", chat(6)))
    parts = deltas(events)[1:]  # after the role chunk
    assert [p["reasoning"] for p in parts[:4]] == [answer_text(1, i) for i in range(4)]
    first_call, second_call = parts[4]["tool_calls"][0], parts[5]["tool_calls"][0]
    assert first_call["id"] and first_call["function"]["name"] == "lookup"
    assert first_call["function"]["arguments"] == answer_text(1, 4)
    assert second_call == {"index": 0, "function": {"arguments": answer_text(1, 5)}}
    assert events[-1][1]["choices"][0]["finish_reason"] == "tool_calls"
    timing = mock.timings()[0]
    assert (timing.reasoning_tokens, timing.output_tokens) == (4, 6)
    assert timing.first_answer is not None


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ("[1, 2]", 400, "JSON object"),
        ("{not json", 400, "not valid JSON"),
        ('{"prompt": 5, "max_tokens": 2}', 400, "prompt must be"),
        ('{"prompt": "a", "max_tokens": 0}', 400, "at least 1, got 0"),
        ('{"prompt": "a", "max_tokens": -5}', 400, "at least 1, got -5"),
        ('{"prompt": "a", "max_tokens": "x"}', 400, "must be an integer"),
        ('{"prompt": "a", "max_tokens": true}', 400, "must be an integer"),
        ('{"prompt": "a", "max_tokens": 100000000}', 400, "is too large: 100000000"),
        ('{"prompt": "a", "stream": "yes"}', 400, "stream must be a bool"),
        ('{"prompt": "a", "stream_options": {"include_usage": true}}', 400, "stream=True"),
        ('{"model": "nope", "prompt": "a", "max_tokens": 2}', 404, "`nope` does not exist"),
        ('{"model": 7, "prompt": "a"}', 400, "model must be a string"),
    ],
)
def test_bad_requests_get_vllms_4xx_with_an_openai_error_body(mock_server, body, status, words):
    mock = mock_server(ttft_s=0.0, itl_s=0.0, max_model_len=4096)
    got, text = post_raw(mock.url + "/v1/completions", body)
    error = json.loads(text)["error"]
    assert got == status and error["code"] == status
    assert words in error["message"]
    assert error["type"] == ("NotFoundError" if status == 404 else "BadRequestError")
    assert mock.state().requests == 0


def test_the_context_length_bounds_prompt_plus_max_tokens_like_vllm(mock_server):
    mock = mock_server(ttft_s=0.0, itl_s=0.0, max_model_len=10)
    status, text = post(mock.url + "/v1/completions", {"prompt": "a b c d", "max_tokens": 7})
    assert status == 400
    assert json.loads(text)["error"]["message"] == (
        "'max_tokens' or 'max_completion_tokens' is too large: 7. This model's maximum context "
        "length is 10 tokens and your request has 4 input tokens (7 > 10 - 4)."
    )
    assert post(mock.url + "/v1/completions", {"prompt": "a b c d", "max_tokens": 6})[0] == 200


def post_raw(url: str, data: str) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    return asyncio.run(fetch("POST", url, data=data, headers=headers))


_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**9) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)
_fields = st.sampled_from(
    ["model", "prompt", "messages", "role", "content", "text", "stream", "stream_options",
     "include_usage", "max_tokens", "max_completion_tokens", "ignore_eos"]
)  # fmt: skip
_bodies = st.recursive(
    _values, lambda inner: st.dictionaries(_fields, inner, max_size=5), max_leaves=12
)


@pytest.mark.slow
@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(payload=_bodies, chat=st.booleans())
def test_any_body_is_accepted_or_refused_with_a_4xx_never_an_exception(payload, chat):
    config = MockConfig(max_model_len=64)
    try:
        generation = read_request(payload, chat, config, lambda text: len(text.split()))
    except RequestError as error:
        assert error.status in (400, 404) and error.body()["error"]["message"]
        return
    assert 1 <= generation.max_tokens <= 64 - generation.prompt_tokens


@pytest.mark.parametrize("field", ["ttft_s", "itl_s", "stall_s"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0])
def test_timing_must_be_finite_or_streams_hang(field, value):
    with pytest.raises(ValueError, match=field):
        MockConfig(**{field: value}).validate()
