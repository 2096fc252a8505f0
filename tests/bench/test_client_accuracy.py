"""End to end against the mock: the client stamps the right events, keeps its concurrency and its
schedule, and counts exactly.

Every assertion here holds on a machine of any speed and load: counts, the mock's own record,
and stamps compared only in the order causality fixes (the mock stamps a token before writing
it, so a client that reads it stamps later). How close the client's figures come to the
server's own timing is a measurement, printed by benchmarks/bench_client_accuracy.py and kept
in benchmarks/RESULTS.md."""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import dominates, peak_overlap, run

from graviton_llm.bench.arrivals import arrival_offsets
from graviton_llm.bench.config import BenchConfig
from graviton_llm.bench.metrics import compute_metrics
from graviton_llm.bench.workload import LengthSpec

# Every test here runs the CLI, a program or a server end to end.
pytestmark = pytest.mark.slow

TTFT_S = 0.050
ITL_S = 0.010
TOKENS = 10


def config(url: str, **overrides) -> BenchConfig:
    base = {
        "url": url,
        "input_len": LengthSpec(32, 32),
        "output_len": LengthSpec(TOKENS, TOKENS),
        "timeout_s": 10.0,
    }
    return BenchConfig(**(base | overrides))


def test_counts_and_stamps_follow_the_servers_tokens(mock_server):
    mock = mock_server(ttft_s=TTFT_S, itl_s=ITL_S)
    result = run(config(mock.url, concurrency=4, num_requests=24))
    metrics = compute_metrics(result.records)
    timings = mock.timings()

    assert metrics.completed == 24
    assert metrics.total_output_tokens == 24 * TOKENS
    assert metrics.total_input_tokens == 24 * 32
    # One inter-token gap per token after the first, as vLLM's ITL.
    assert all(len(r.itl) == TOKENS - 1 for r in result.records)
    # The client stamps the first and last token when it reads them, never before the server
    # wrote them: a client stamping the response headers would fail the first line.
    assert dominates([r.first_token_time for r in result.records], [t.first_token for t in timings])
    assert dominates([r.last_token_time for r in result.records], [t.last_token for t in timings])


def test_concurrency_c_holds_c_requests_in_flight_at_the_server(mock_server):
    # The mock answers nobody until 8 requests are in flight together: a client holding fewer
    # gets no answer at all (its requests time out), whatever the machine's speed.
    mock = mock_server(ttft_s=0.005, itl_s=0.001, hold_until_in_flight=8)
    result = run(config(mock.url, concurrency=8, num_requests=24, timeout_s=5.0))
    assert compute_metrics(result.records).completed == 24
    assert mock.state().peak_in_flight == 8
    # ...and never more than 8, by the client's own stamps.
    assert peak_overlap(result.records) <= 8


def test_pool_is_sized_to_concurrency_above_aiohttps_default_of_100(mock_server):
    mock = mock_server(ttft_s=0.001, itl_s=0.0, hold_until_in_flight=150)
    result = run(
        config(
            mock.url,
            concurrency=150,
            num_requests=150,
            output_len=LengthSpec(2, 2),
            timeout_s=5.0,
        )
    )
    assert compute_metrics(result.records).completed == 150
    assert mock.state().peak_in_flight == 150


def test_queueing_behind_max_num_seqs_shows_in_ttft_not_hidden(mock_server):
    # Four in flight behind two sequence slots: two start at once, the rest wait for a slot.
    mock = mock_server(ttft_s=0.020, itl_s=0.005, max_num_seqs=2, hold_until_in_flight=4)
    result = run(config(mock.url, concurrency=4, num_requests=8, output_len=LengthSpec(5, 5)))
    timings = mock.timings()
    service_s = 0.020 + 4 * 0.005

    assert mock.state().peak_running == 2
    assert mock.state().peak_in_flight == 4
    # The server's own record: the two that arrived behind the first pair waited a whole
    # service for a slot (both arrived before the pair was admitted; a slot frees only when
    # one of the pair finishes). 1 ms of slack covers float rounding of the clocks.
    waits = [t.admitted - t.arrival for t in timings]
    assert sum(wait >= service_s - 1e-3 for wait in waits) >= 2
    # The client's TTFT runs from its send, so a request's queueing is inside it: each first
    # token the client read came after the server wrote it, which came after the wait.
    assert dominates([r.first_token_time for r in result.records], [t.first_token for t in timings])


def test_poisson_sends_keep_the_seeded_schedule_never_early(mock_server):
    mock = mock_server(ttft_s=0.005, itl_s=0.001)
    before = time.perf_counter()
    result = run(config(mock.url, request_rate=40.0, num_requests=20, seed=5))
    offsets = np.array(arrival_offsets(20, 40.0, 1.0, 5))
    sends = np.array([r.send_time for r in result.records])

    assert compute_metrics(result.records).completed == 20
    # Open loop: request i leaves no earlier than its offset from the run's start (which is
    # after `before`), whether or not earlier answers came back.
    assert np.all(sends - before >= offsets - 1e-6)
    assert mock.state().requests == 20


def test_send_time_is_taken_after_the_concurrency_slot(mock_server):
    # All 9 arrive at once behind a cap of 3: the wait for a slot is the client's queue, not
    # the server's latency. Stamping the send at arrival would open 9 intervals at once (and
    # give 60 and 90 ms TTFTs on a 30 ms server). The mock answers once 3 are in flight.
    mock = mock_server(ttft_s=0.030, itl_s=0.0, hold_until_in_flight=3)
    result = run(
        config(
            mock.url,
            request_rate=float("inf"),
            concurrency=3,
            num_requests=9,
            output_len=LengthSpec(2, 2),
        )
    )
    assert mock.state().peak_in_flight == 3
    assert peak_overlap(result.records) <= 3
    assert compute_metrics(result.records).completed == 9


def test_warmup_requests_are_sent_but_not_measured(mock_server):
    mock = mock_server(ttft_s=0.005, itl_s=0.001)
    result = run(config(mock.url, concurrency=2, num_requests=5, warmup_requests=3))
    assert mock.state().requests == 8
    assert [r.warmup for r in result.records] == [True] * 3 + [False] * 5
    assert compute_metrics(result.records).requests == 5


def test_duration_stops_new_sends_at_the_deadline(mock_server):
    # Every request takes the server at least 40 ms, so two slots can start at most 11
    # requests each in 0.4 s: a client that kept sending past its deadline sends more.
    mock = mock_server(ttft_s=0.020, itl_s=0.005)
    start = time.perf_counter()
    result = run(config(mock.url, concurrency=2, duration_s=0.4, output_len=LengthSpec(5, 5)))
    elapsed = time.perf_counter() - start

    assert elapsed >= 0.4
    assert 1 <= len(result.records) <= 2 * (int(0.4 / 0.040) + 1)
    # Requests in flight at the deadline finish and are recorded; none is left unaccounted.
    assert mock.state().requests == len(result.records)
    assert compute_metrics(result.records).completed == len(result.records)


def test_chat_ttft_waits_for_content_not_the_empty_role_chunk(mock_server):
    mock = mock_server(ttft_s=0.040, itl_s=0.002)
    result = run(config(mock.url, endpoint="chat", concurrency=2, num_requests=4))
    metrics = compute_metrics(result.records)
    assert metrics.completed == 4
    assert metrics.total_output_tokens == 4 * TOKENS
    assert dominates(
        [r.first_token_time for r in result.records], [t.first_token for t in mock.timings()]
    )


def test_dataset_prompts_are_sent_and_usage_counts_them(mock_server, tmp_path):
    path = tmp_path / "prompts.jsonl"
    path.write_text('{"prompt": "a b c d", "max_tokens": 3}\n{"prompt": "e f", "max_tokens": 6}\n')
    mock = mock_server(ttft_s=0.001, itl_s=0.0)
    result = run(config(mock.url, concurrency=1, num_requests=4, dataset=path))
    assert [(r.prompt_tokens, r.output_tokens) for r in result.records] == [(4, 3), (2, 6)] * 2
    assert all(r.token_source == r.prompt_token_source == "usage" for r in result.records)


def test_model_is_discovered_from_v1_models(mock_server):
    mock = mock_server(model="served-model", ttft_s=0.001, itl_s=0.0)
    assert run(config(mock.url, concurrency=1, num_requests=1)).model == "served-model"
