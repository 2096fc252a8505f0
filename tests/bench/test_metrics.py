"""The metric math on synthetic records, where every right answer is known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from graviton_llm.bench.metrics import SLO, BenchmarkMetrics, compute_metrics
from graviton_llm.bench.records import ErrorKind, RequestRecord


def streamed(
    index: int,
    send: float,
    ttft: float,
    gap: float,
    tokens: int,
    *,
    prompt_tokens: int = 10,
    warmup: bool = False,
) -> RequestRecord:
    """A successful request whose ``tokens`` chunks arrive ``gap`` apart after ``ttft``."""
    first = send + ttft
    last = first + gap * (tokens - 1)
    return RequestRecord(
        index=index,
        send_time=send,
        end_time=last,
        first_token_time=first,
        last_token_time=last,
        itl=[gap] * (tokens - 1),
        prompt_tokens=prompt_tokens,
        output_tokens=tokens,
        prompt_token_source="usage",
        token_source="usage",
        reasoning_source="usage",
        status=200,
        warmup=warmup,
    )


def failed(index: int, send: float, end: float, kind: ErrorKind, status: int | None = None):
    return RequestRecord(
        index=index, send_time=send, end_time=end, status=status, error_kind=kind, error="x"
    )


def test_throughput_divides_by_the_wall_clock_window_not_the_sum_of_latencies():
    # 50 requests in flight at once, each 1 s long with 100 tokens: the server produced
    # 5000 tokens in one second. The blog's sum of latencies (50 s) would report 100 tok/s.
    records = [streamed(i, 0.0, 0.1, 0.9 / 99, 100) for i in range(50)]
    metrics = compute_metrics(records)
    assert metrics.duration == pytest.approx(1.0)
    assert metrics.output_throughput == pytest.approx(5000.0)
    assert metrics.request_throughput == pytest.approx(50.0)
    assert metrics.total_token_throughput == pytest.approx(5500.0)
    assert metrics.mean_concurrency == pytest.approx(50.0)


def test_window_runs_from_first_send_to_last_end():
    records = [streamed(0, 2.0, 0.1, 0.01, 11), streamed(1, 2.5, 0.1, 0.01, 11)]
    records[1].end_time += 0.05  # the stream closed 50 ms after its last token
    metrics = compute_metrics(records)
    assert metrics.duration == pytest.approx(2.5 + 0.2 + 0.05 - 2.0)


def test_tpot_is_decode_time_over_tokens_after_the_first():
    record = streamed(0, 0.0, 0.200, 0.010, 100)
    assert record.tpot == pytest.approx(0.010)
    metrics = compute_metrics([record])
    assert metrics.ttft.mean == pytest.approx(200.0)
    assert metrics.tpot.mean == pytest.approx(10.0)
    assert metrics.e2el.mean == pytest.approx(200.0 + 99 * 10.0)
    assert metrics.itl.count == 99


def test_one_token_answers_have_no_tpot_but_count_everywhere_else():
    metrics = compute_metrics([streamed(0, 0.0, 0.05, 0.0, 1), streamed(1, 0.0, 0.05, 0.01, 3)])
    assert metrics.tpot.count == 1
    assert metrics.ttft.count == 2
    assert metrics.total_output_tokens == 4


def test_percentiles_are_numpys_linear_percentiles_in_ms():
    ttfts = np.linspace(0.001, 0.100, 100)
    records = [streamed(i, 0.0, float(t), 0.01, 2) for i, t in enumerate(ttfts)]
    ttft = compute_metrics(records).ttft
    assert ttft.median == pytest.approx(float(np.percentile(ttfts * 1000, 50)))
    assert ttft.p90 == pytest.approx(float(np.percentile(ttfts * 1000, 90)))
    assert ttft.p99 == pytest.approx(float(np.percentile(ttfts * 1000, 99)))
    assert ttft.mean == pytest.approx(50.5)


def test_itl_pools_every_gap_of_every_request():
    records = [streamed(0, 0.0, 0.1, 0.010, 11), streamed(1, 0.0, 0.1, 0.030, 11)]
    itl = compute_metrics(records).itl
    assert itl.count == 20
    assert itl.mean == pytest.approx(20.0)
    assert itl.median == pytest.approx(20.0)


def test_goodput_counts_requests_meeting_every_slo():
    records = [
        streamed(0, 0.0, 0.2, 0.020, 10),  # good
        streamed(1, 0.0, 0.6, 0.020, 10),  # TTFT too slow
        streamed(2, 0.0, 0.2, 0.080, 10),  # TPOT too slow
        streamed(3, 0.0, 0.9, 0.080, 1),  # TTFT too slow; one token has TPOT 0 as in vLLM
        streamed(4, 0.0, 0.4, 0.000, 1),  # good: one token, TPOT not applicable
    ]
    metrics = compute_metrics(records, slo=SLO(ttft_ms=500, tpot_ms=50))
    assert metrics.good_requests == 2
    assert metrics.request_goodput == pytest.approx(2 / metrics.duration)
    assert compute_metrics(records).request_goodput is None


def test_failures_are_broken_down_by_kind_and_kept_out_of_latencies():
    records = [
        streamed(0, 0.0, 0.1, 0.01, 11),
        failed(1, 0.0, 0.01, ErrorKind.HTTP_STATUS, 503),
        failed(2, 0.0, 0.01, ErrorKind.HTTP_STATUS, 503),
        failed(3, 0.0, 0.02, ErrorKind.HTTP_STATUS, 429),
        failed(4, 0.0, 2.0, ErrorKind.TIMEOUT),
        failed(5, 0.0, 0.05, ErrorKind.CONNECTION),
        failed(6, 0.0, 0.05, ErrorKind.MALFORMED_STREAM),
    ]
    metrics = compute_metrics(records)
    assert metrics.errors == {
        "connection": 1,
        "http_429": 1,
        "http_503": 2,
        "malformed_stream": 1,
        "timeout": 1,
    }
    assert (metrics.completed, metrics.failed, metrics.requests) == (1, 6, 7)
    assert metrics.error_rate == pytest.approx(6 / 7)
    assert metrics.ttft.count == 1 and metrics.e2el.count == 1
    assert metrics.total_output_tokens == 11
    # The timeout kept a connection busy for 2 s: the window and the concurrency show it.
    assert metrics.duration == pytest.approx(2.0)


def test_warmup_requests_are_left_out():
    records = [streamed(0, 0.0, 5.0, 0.5, 10, warmup=True), streamed(1, 10.0, 0.1, 0.01, 11)]
    metrics = compute_metrics(records)
    assert metrics.requests == 1
    assert metrics.ttft.mean == pytest.approx(100.0)
    assert metrics.duration == pytest.approx(0.2)


def test_cost_per_million_output_tokens_at_the_measured_rate():
    # 1000 tok/s on a $3.60/h instance: 3.6M tokens for $3.60 -> $1.00 per 1M.
    records = [streamed(i, 0.0, 0.1, 0.9 / 99, 100) for i in range(10)]
    metrics = compute_metrics(records, price_per_hour=3.6)
    assert metrics.output_throughput == pytest.approx(1000.0)
    assert metrics.cost_per_million_output_tokens == pytest.approx(1.0)
    assert compute_metrics(records).cost_per_million_output_tokens is None


def test_no_successful_request_gives_zero_rates_not_a_crash():
    metrics = compute_metrics([failed(0, 0.0, 1.0, ErrorKind.TIMEOUT)], price_per_hour=1.0)
    assert metrics.output_throughput == 0.0
    assert metrics.ttft is None and metrics.e2el is None
    assert metrics.cost_per_million_output_tokens is None
    assert compute_metrics([]).requests == 0


def test_metrics_survive_a_json_round_trip():
    records = [streamed(i, 0.0, 0.1, 0.01, 5) for i in range(3)]
    metrics = compute_metrics(records, slo=SLO(ttft_ms=500), price_per_hour=2.0)
    assert BenchmarkMetrics.from_dict(metrics.to_dict()) == metrics
    record = records[0]
    assert RequestRecord.from_dict(record.to_dict()) == record


def test_std_is_numpys_population_std_like_vllms():
    ttfts = [0.010, 0.020, 0.060]
    records = [streamed(i, 0.0, t, 0.01, 3) for i, t in enumerate(ttfts)]
    assert compute_metrics(records).ttft.std == pytest.approx(float(np.std(ttfts) * 1000))


def test_peak_output_tokens_per_second_counts_tokens_in_one_second_buckets():
    # Request 0: 10 chunks of 4 tokens in [0.1, 0.55] s. Request 1: 5 chunks of 1 token in
    # [1.2, 1.6]. vLLM counts chunks (10 in second 0); the tokens were 40.
    records = [
        streamed(0, 0.0, 0.1, 0.05, 10),
        streamed(1, 1.0, 0.2, 0.1, 5),
    ]
    records[0].output_tokens = 40
    assert compute_metrics(records).max_output_tokens_per_s == pytest.approx(40.0)


def test_peak_concurrency_sweeps_half_open_intervals():
    # [0, 1) and [1, 2) touch but never overlap; [0.5, 1.5) overlaps both.
    records = [streamed(0, 0.0, 0.5, 0.5, 2), streamed(1, 1.0, 0.5, 0.5, 2)]
    assert compute_metrics(records).max_concurrent_requests == 1
    records.append(streamed(2, 0.5, 0.5, 0.5, 2))
    assert compute_metrics(records).max_concurrent_requests == 2


def test_an_empty_distribution_is_absent_from_the_json_not_zero_or_null():
    records = [streamed(0, 0.0, 0.1, 0.0, 1)]  # one token: no TPOT, no ITL
    data = compute_metrics(records).to_dict()
    assert "mean_ttft_ms" in data and "std_e2el_ms" in data
    assert not [key for key in data if key.endswith(("_tpot_ms", "_itl_ms"))]
    assert "mean_time_to_first_answer_ms" not in data  # nothing reasoned
    assert BenchmarkMetrics.from_dict(data).tpot is None


def test_a_failed_request_adds_nothing_to_throughput_whatever_it_carried():
    partial = failed(1, 0.0, 1.0, ErrorKind.INVALID_USAGE)
    partial.output_tokens, partial.prompt_tokens = 10**9, 10**9
    metrics = compute_metrics([streamed(0, 0.0, 0.1, 0.1, 10), partial])
    assert metrics.total_output_tokens == 10 and metrics.total_input_tokens == 10
    assert metrics.output_throughput == pytest.approx(10.0)


def test_reasoning_and_answer_tokens_and_time_to_first_answer():
    record = streamed(0, 0.0, 0.05, 0.01, 21)
    record.reasoning_tokens, record.reasoning_source = 10, "estimate"
    record.first_answer_time = 0.15
    metrics = compute_metrics([record])
    assert (metrics.total_reasoning_tokens, metrics.total_answer_tokens) == (10, 11)
    assert metrics.ttft.mean == pytest.approx(50.0)
    assert metrics.time_to_first_answer.mean == pytest.approx(150.0)
    assert metrics.reasoning_token_sources == {"estimate": 1}
