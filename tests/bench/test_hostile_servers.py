"""Servers that break the protocol over HTTP: each broken answer is one classified failure of
its request, never a crash and never a success (issue 16, items 4 and 7)."""

from __future__ import annotations

import pytest
from conftest import run
from hostile import (
    SSE_HEAD,
    event,
    gzipped_sse,
    hostile_server,
    response,
    sse,
    text_chunk,
    usage,
)

from graviton_llm.bench.config import BenchConfig
from graviton_llm.bench.metrics import compute_metrics
from graviton_llm.bench.workload import LengthSpec

# Every test here runs the CLI, a program or a server end to end.
pytestmark = pytest.mark.slow

SIXTEEN = [text_chunk(" The quantum") for _ in range(8)]  # 16 tokens, 2 per chunk
ERROR_500 = {"error": {"message": "x", "code": 500}}
NOT_STREAMED = response(body=b'{"choices": [{"text": "not streamed"}]}')


def bench(respond, requests: int = 3, **overrides):
    with hostile_server(respond) as server:
        config = {
            "url": server.url,
            "model": "m",
            "concurrency": 2,
            "num_requests": requests,
            "input_len": LengthSpec(4, 4),
            "output_len": LengthSpec(16, 16),
            "timeout_s": 5.0,
        }
        result = run(BenchConfig(**(config | overrides)))
    return result.records, compute_metrics(result.records), server


@pytest.mark.parametrize(
    ("respond", "label"),
    [
        (lambda i, raw: sse(), "no_output"),
        (lambda i, raw: sse(*SIXTEEN, usage(-50)), "invalid_usage"),
        (lambda i, raw: sse(*SIXTEEN, usage(10**9)), "invalid_usage"),
        (lambda i, raw: sse(*SIXTEEN, usage(0)), "invalid_usage"),
        (lambda i, raw: sse(*SIXTEEN, {"choices": [], "usage": 5}), "invalid_usage"),
        (lambda i, raw: sse(*SIXTEEN, usage("sixteen")), "invalid_usage"),
        (lambda i, raw: sse({"choices": ["x"]}), "malformed_stream"),
        (lambda i, raw: sse({"choices": {"0": {"text": "a"}}}), "malformed_stream"),
        (lambda i, raw: sse(text_chunk("a"), text_chunk("", "abort"), usage(1)), "aborted"),
        (lambda i, raw: sse(text_chunk("a"), ERROR_500), "error_event"),
        (lambda i, raw: sse(*SIXTEEN, done=False), "incomplete_stream"),
        (lambda i, raw: [SSE_HEAD, b'data: {"choices": [{"text": "a"'], "incomplete_stream"),
        (lambda i, raw: [NOT_STREAMED], "incomplete_stream"),
        (lambda i, raw: [b"NOT HTTP AT ALL\r\n\r\n"], "malformed_stream"),
        (lambda i, raw: [response(429, b'{"error": {"message": "slow down"}}')], "http_429"),
        (lambda i, raw: [response(200, b"x", {"Content-Encoding": "br"})], "malformed_stream"),
    ],
    ids=[
        "only-DONE", "usage-negative", "usage-1e9", "usage-zero", "usage-a-number",
        "usage-a-string", "choices-of-strings", "choices-an-object", "finish-abort",
        "error-event", "no-DONE", "cut-inside-event", "not-streamed", "not-http", "status-429",
        "brotli-unasked",
    ],
)  # fmt: skip
def test_each_broken_answer_fails_in_its_kind_and_counts_nothing(respond, label):
    records, metrics, _ = bench(respond)
    assert metrics.errors == {label: 3}
    assert (metrics.completed, metrics.total_output_tokens, metrics.output_throughput) == (0, 0, 0)
    assert all(r.error for r in records)


def test_a_redirect_is_a_failure_and_is_not_followed_as_a_get():
    def respond(i, raw):
        if raw.startswith(b"POST"):
            return [response(302, headers={"Location": "/elsewhere"})]
        return sse(text_chunk("a"), usage(1))  # what a followed redirect would have read

    records, metrics, server = bench(respond)
    assert metrics.errors == {"http_302": 3}
    assert "not followed" in (records[0].error or "")
    assert [raw.split(b" ")[0] for raw in server.requests] == [b"POST"] * 3


def test_gzip_is_not_asked_for_and_decoded_when_sent_anyway():
    _, metrics, server = bench(lambda i, raw: gzipped_sse(*SIXTEEN, usage(16)))
    assert metrics.completed == 3 and metrics.total_output_tokens == 48
    assert all(b"accept-encoding: identity" in raw.lower() for raw in server.requests)


def test_an_error_event_after_output_keeps_its_tokens_out_of_throughput():
    _, metrics, _ = bench(
        lambda i, raw: (
            sse(*SIXTEEN, usage(16)) if i % 2 else sse(*SIXTEEN, {"error": {"message": "x"}})
        ),
        requests=4,
    )
    assert metrics.completed == 2 and metrics.errors == {"error_event": 2}
    assert metrics.total_output_tokens == 32


def test_interleaved_keepalives_and_a_usage_chunk_per_token_are_fine():
    # vLLM's continuous_usage_stats sends a cumulative usage with every chunk: the last wins.
    chunks = []
    for k in range(8):
        chunks += [
            text_chunk(" The quantum", usage={"prompt_tokens": 4, "completion_tokens": 2 * k + 2})
        ]
    records, metrics, _ = bench(
        lambda i, raw: [SSE_HEAD, b": ping\n\n", *map(event, chunks), b"data: [DONE]\n\n"]
    )
    assert metrics.completed == 3 and metrics.total_output_tokens == 48
    assert {r.token_source for r in records} == {"usage"}
