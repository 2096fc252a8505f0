"""A hostile server cannot exhaust the client, and flags that would hang, never end or count
wrong are refused before any request (issue 27, items 9 and 10). Servers are on 127.0.0.1,
each answers a fixed number of requests; what is asserted is a count or a kind, never a time."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib

import pytest
from conftest import run
from hostile import SSE_HEAD, hostile_server, response, sse, text_chunk, usage
from typer.testing import CliRunner

from graviton_llm.bench.config import BenchConfig
from graviton_llm.bench.metrics import compute_metrics
from graviton_llm.bench.request_sender import MAX_EVENT_BYTES, MAX_STREAM_BYTES
from graviton_llm.bench.workload import LengthSpec
from graviton_llm.cli import app
from support import free_port

MIB = 2**20


def _gzip_bomb(inflated: int, block: bytes = b"\n" * MIB) -> bytes:
    """gzip of ``inflated`` bytes of newlines, built a block at a time (a few hundred KB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [packer.compress(block) for _ in range(inflated // len(block))]
    return b"".join(parts) + packer.flush()


def _bench(respond, requests: int = 1, **overrides):
    with hostile_server(respond) as server:
        config = {
            "url": server.url,
            "model": "m",
            "concurrency": 1,
            "num_requests": requests,
            "input_len": LengthSpec(4, 4),
            "output_len": LengthSpec(16, 16),
            "timeout_s": 60.0,
        }
        tracemalloc.start()
        try:
            result = run(BenchConfig(**(config | overrides)))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return result.records, compute_metrics(result.records), peak


@pytest.mark.slow
def test_a_gzip_bomb_stops_at_the_cap_on_decompressed_bytes():
    """4 MiB of gzip inflating to 4 GiB drove the client to 7.3 GB: the 64 MiB cap counted
    compressed bytes. Here 80 MiB inflate from about 80 KB."""
    bomb = _gzip_bomb(80 * MIB)
    assert len(bomb) < MIB
    head = {"Content-Type": "text/event-stream", "Content-Encoding": "gzip"}
    records, metrics, peak = _bench(lambda i, raw: [response(body=bomb, headers=head)])
    assert metrics.errors == {"malformed_stream": 1}
    assert f"longer than {MAX_STREAM_BYTES} bytes" in (records[0].error or "")
    assert peak < 16 * MIB  # inflated a MiB at a time, counted as it goes


@pytest.mark.slow
def test_a_flood_of_newlines_keeps_no_events():
    """64 MiB of blank lines took 2.4 GB as millions of empty events."""
    flood = [SSE_HEAD, *([b"\n" * MIB] * 8), *map(bytes, [b"data: [DONE]\n\n"])]
    _, metrics, peak = _bench(lambda i, raw: flood)
    assert metrics.errors == {"no_output": 1}  # parsed to the end: nothing to count
    assert peak < 16 * MIB


@pytest.mark.slow
def test_one_endless_event_and_too_many_events_fail_their_request():
    endless = [SSE_HEAD, b"data: " + b"x" * (MAX_EVENT_BYTES + MIB)]
    records, metrics, _ = _bench(lambda i, raw: endless)
    assert metrics.errors == {"malformed_stream": 1}
    assert f"an event longer than {MAX_EVENT_BYTES} bytes" in (records[0].error or "")
    # 16 tokens asked: a server sending 5,000 chunks is not answering that request.
    chatty = sse(*[text_chunk("a")] * 5000, usage(16))
    records, metrics, _ = _bench(lambda i, raw: chatty)
    assert metrics.errors == {"malformed_stream": 1}
    assert "more than 1056 events for 16 tokens" in (records[0].error or "")


@pytest.mark.slow
def test_gzip_that_is_not_a_bomb_still_decodes():
    body = gzip.compress(b"".join(b"data: " + json.dumps(text_chunk(" x")).encode() + b"\n\n"
                                  for _ in range(16)) + b"data: [DONE]\n\n")  # fmt: skip
    head = {"Content-Type": "text/event-stream", "Content-Encoding": "gzip"}
    _, metrics, _ = _bench(lambda i, raw: [response(body=body, headers=head)])
    assert metrics.completed == 1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"data": [{"id": "m"}], "pad": "' + b"x" * (9 * MIB) + b'"}', "over 8388608 bytes"),
        (b'{"data": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested deeper than 16"),
    ],
    ids=["9-mib-listing", "deeply-nested"],
)
def test_a_hostile_models_listing_is_a_usage_error_not_a_traceback(body, words):
    with hostile_server(lambda i, raw: [response(body=body)]) as server:
        result = CliRunner().invoke(
            app,
            ["bench", "--url", server.url, "--num-requests", "1", "--no-progress", "--no-plot"],
            env={"COLUMNS": "200"},
        )
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output


FLAGS = [
    (["--input-len", "1000000000"], "<= 1,048,576"),
    (["--input-len", "١٢٨"], "expected N (fixed)"),
    (["--output-len", "1:2000000"], "<= 1,048,576"),
    (["--request-rate", "1e-300"], "request_rate=1e-300"),
    (["--request-rate", "nan"], "request_rate=nan"),
    (["--request-rate", "2", "--burstiness", "1e-300"], "burstiness=1e-300"),
    (["--slo-ttft-ms", "nan"], "not a finite number"),
    (["--slo-tpot-ms", "-1"], "not a finite number"),
    (["--price-per-hour", "nan"], "not a finite number"),
    (["--max-failure-rate", "nan"], "not a finite number"),
    (["--timeout", "1e300"], "timeout_s=1e+300"),
    (["--num-requests", "2000000"], "num_requests=2000000"),
]


@pytest.mark.parametrize(("flags", "words"), FLAGS, ids=[" ".join(f) for f, _ in FLAGS])
def test_bench_flags_that_would_hang_or_miscount_are_refused(tmp_path, flags, words):
    argv = ["bench", "--url", "http://127.0.0.1:9", "--model", "m", "--out", str(tmp_path), *flags]
    if "--num-requests" not in flags:
        argv += ["--num-requests", "2"]
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert words in result.output, result.output


@pytest.mark.parametrize(
    "url", ["127.0.0.1:8000", "ftp://host/", "http://", "http://host:port", "http://h /x"]
)
def test_a_url_the_client_cannot_send_to_is_a_usage_error(url):
    result = CliRunner().invoke(app, ["bench", "--url", url, "--num-requests", "1"])
    assert result.exit_code == 2 and "url=" in result.output, result.output


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--ttft-ms", "1e300"], "ttft_s=1e+297"),
        (["--itl-ms", "inf"], "itl_s=inf"),
        (["--host", ""], "listen on every interface"),
        (["--host", " "], "listen on every interface"),
        (["--max-num-seqs", "100000000"], "max_num_seqs=100000000"),
    ],
)
def test_mock_server_flags_that_would_never_end_a_stream_are_refused(flags, words):
    result = CliRunner().invoke(app, ["mock-server", "--port", "9", *flags])
    assert result.exit_code == 2, result.output
    assert words in result.output


def test_mock_server_with_a_file_that_is_not_a_tokenizer_is_a_usage_error(tmp_path):
    bad = tmp_path / "tokenizer.json"
    bad.write_text('{"not": "a tokenizer"}')
    argv = ["mock-server", "--port", str(free_port()), "--tokenizer", str(bad)]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "cannot load it" in result.output and "Traceback" not in result.output
