"""The mock server speaks enough of vLLM's API for clients and dashboards."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from graviton_llm.bench.mock import MockConfig, answer_text


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
