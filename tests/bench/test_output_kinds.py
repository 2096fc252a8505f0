"""Against the mock streaming as a reasoning model, a tool caller, and a server that batches
tokens and sends no usage: stamps and token counts come out right (issue 16, items 1 and 2).

Stamps are compared with the mock's own only in the order causality fixes (a token is read after
it was written), so the assertions hold on a machine of any speed."""

from __future__ import annotations

import pytest
from conftest import dominates, run

from graviton_llm.bench.config import BenchConfig
from graviton_llm.bench.metrics import compute_metrics
from graviton_llm.bench.workload import LengthSpec

# Every test here runs the CLI, a program or a server end to end.
pytestmark = pytest.mark.slow

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


@pytest.mark.parametrize("field", ["reasoning", "reasoning_content"])
def test_reasoning_starts_ttft_and_is_counted_apart_from_the_answer(mock_server, field):
    mock = mock_server(ttft_s=TTFT_S, itl_s=ITL_S, reasoning_tokens=THINKING, reasoning_field=field)
    records = run(config(mock.url)).records
    timings = mock.timings()
    metrics = compute_metrics(records)

    assert metrics.completed == 8
    assert (metrics.total_reasoning_tokens, metrics.total_answer_tokens) == (8 * 8, 8 * 8)
    assert metrics.total_output_tokens == 8 * TOKENS
    # Each stamp follows the server's write of its token (the mock stamps before writing), and
    # TTFT's stamp is never after the answer's: the old rule timed TTFT to the answer, so its
    # first stamp followed the server's first *answer* write. Which chunk starts which clock is
    # pinned exactly, on stamped events, in test_stream_parser.py.
    assert dominates([r.first_token_time for r in records], [t.first_token for t in timings])
    assert dominates([r.first_answer_time for r in records], [t.first_answer for t in timings])
    assert all(r.first_token_time <= r.first_answer_time for r in records)
    assert metrics.time_to_first_answer is not None and metrics.time_to_first_answer.count == 8


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
