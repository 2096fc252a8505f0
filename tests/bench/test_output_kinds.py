"""Against the mock streaming as a reasoning model, a tool caller, and a server that batches
tokens and sends no usage: TTFT, token counts and goodput come out right (issue 16, items 1
and 2), checked against the mock's own timing of the same requests.

Timing assertions compare with the server's own clock and leave tens of milliseconds of room:
the right rule and the old one differ by the reasoning time (80 ms here), not by jitter."""

from __future__ import annotations

import statistics

import pytest
from conftest import run

from graviton_llm.bench.config import BenchConfig
from graviton_llm.bench.metrics import SLO, compute_metrics
from graviton_llm.bench.workload import LengthSpec

TTFT_S, ITL_S, TOKENS, THINKING = 0.020, 0.010, 16, 8


def config(url: str, **overrides) -> BenchConfig:
    base = {
        "url": url,
        "endpoint": "chat",
        "concurrency": 8,
        "num_requests": 8,
        "input_len": LengthSpec(12, 12),
        "output_len": LengthSpec(TOKENS, TOKENS),
        "timeout_s": 10.0,
    }
    return BenchConfig(**(base | overrides))


def server_ms(timings, field: str) -> float:
    return statistics.median((getattr(t, field) - t.arrival) * 1000 for t in timings)


@pytest.mark.parametrize("field", ["reasoning", "reasoning_content"])
def test_reasoning_starts_ttft_and_is_counted_apart_from_the_answer(mock_server, field):
    mock = mock_server(ttft_s=TTFT_S, itl_s=ITL_S, reasoning_tokens=THINKING, reasoning_field=field)
    result = run(config(mock.url))
    timings = mock.timings()
    first_ms, answer_ms = server_ms(timings, "first_token"), server_ms(timings, "first_answer")
    assert answer_ms - first_ms > THINKING * ITL_S * 1000 / 2
    midway = (first_ms + answer_ms) / 2
    # An SLO between the first token and the first answer token: the old rule timed TTFT to
    # the answer and found no request good.
    metrics = compute_metrics(result.records, slo=SLO(ttft_ms=midway))

    assert metrics.completed == 8
    assert metrics.ttft.median < midway < metrics.time_to_first_answer.median
    assert metrics.good_requests == 8
    # TPOT spans reasoning too: (E2EL - TTFT) / 15 is ITL; timed from the answer it was half.
    assert metrics.tpot.mean > 0.8 * ITL_S * 1000
    assert (metrics.total_reasoning_tokens, metrics.total_answer_tokens) == (8 * 8, 8 * 8)
    assert metrics.total_output_tokens == 8 * TOKENS


def test_a_streamed_tool_call_is_output(mock_server):
    mock = mock_server(ttft_s=TTFT_S, itl_s=ITL_S, tool_call=True)
    metrics = compute_metrics(run(config(mock.url)).records)
    # The old rule saw no content, so no TTFT and 0 tokens; every chunk is output here.
    assert metrics.completed == 8 and metrics.total_output_tokens == 8 * TOKENS
    assert metrics.ttft.count == 8 and metrics.itl.count == 8 * (TOKENS - 1)


def test_batched_tokens_without_usage_are_counted_by_the_tokenizer(mock_server, tokenizer_path):
    # Two tokens per chunk and no usage: the old client counted chunks, half the tokens.
    mock = mock_server(ttft_s=0.002, itl_s=0.001, tokens_per_chunk=2, send_usage=False)
    counted = run(config(mock.url, tokenizer=tokenizer_path)).records
    assert [(r.output_tokens, r.token_source) for r in counted] == [(TOKENS, "tokenizer")] * 8
    assert [(r.prompt_tokens, r.prompt_token_source) for r in counted] == [(12, "tokenizer")] * 8
    assert all(len(r.itl) == TOKENS // 2 - 1 for r in counted)

    guessed = compute_metrics(run(config(mock.url)).records)
    assert guessed.tokens_estimated and guessed.token_sources == {"estimate": 8}


def test_prompts_built_with_the_tokenizer_have_the_servers_token_count(mock_server, tokenizer_path):
    mock = mock_server(ttft_s=0.001, itl_s=0.0, tokenizer=tokenizer_path)
    records = run(config(mock.url, input_len=LengthSpec(5, 40), tokenizer=tokenizer_path)).records
    asked = [r.prompt_tokens for r in records]
    assert all(r.prompt_token_source == "usage" for r in records)
    assert sorted(asked) == sorted(t.prompt_tokens for t in mock.timings())
    assert all(5 <= n <= 40 for n in asked) and len(set(asked)) > 1
