"""The commands a user types: bench writes its files, --compare reads them, prices resolve."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.facts import catalog
from reaping import die_with_parent

runner = CliRunner()


def bench(*args: str):
    return runner.invoke(app, ["bench", *args], catch_exceptions=False)


def said(result) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


@pytest.mark.slow
def test_bench_writes_json_csv_and_png_and_prices_the_tokens(mock_server, tmp_path):
    mock = mock_server(ttft_s=0.005, itl_s=0.001)
    out = tmp_path / "run"
    result = bench(
        "--url", mock.url, "--concurrency", "4", "--num-requests", "12", "--output-len", "8",
        "--input-len", "16", "--slo-ttft-ms", "60000", "--instance-type", "inf2.xlarge",
        "--out", str(out), "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "output token throughput" in result.output
    metrics = json.loads((out / "bench.json").read_text())
    assert metrics["completed"] == 12 and metrics["total_output_tokens"] == 96
    assert metrics["price_per_hour"] == catalog.on_demand_price("inf2.xlarge")
    assert metrics["cost_per_million_output_tokens"] > 0
    assert metrics["good_requests"] == 12
    assert metrics["meta"]["concurrency"] == 4
    assert len(metrics["records"]) == 12
    rows = list(csv.DictReader((out / "records.csv").open()))
    assert len(rows) == 12 and rows[0]["output_tokens"] == "8"
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_price_per_hour_overrides_the_catalog(mock_server, tmp_path):
    mock = mock_server(ttft_s=0.001, itl_s=0.0)
    result = bench(
        "--url", mock.url, "--num-requests", "2", "--output-len", "4", "--no-plot",
        "--instance-type", "inf2.xlarge", "--price-per-hour", "3.6",
        "--out", str(tmp_path), "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "bench.json").read_text())["price_per_hour"] == 3.6


@pytest.mark.slow
def test_unpriced_instance_type_is_refused_by_name():
    result = bench("--url", "http://127.0.0.1:9", "--instance-type", "trn2.48xlarge")
    assert result.exit_code == 2
    assert "--instance-type trn2.48xlarge" in result.output


@pytest.mark.slow
def test_compare_shows_both_runs_side_by_side(mock_server, tmp_path):
    mock = mock_server(ttft_s=0.005, itl_s=0.001)
    for name, concurrency in (("a", "1"), ("b", "4")):
        result = bench(
            "--url", mock.url, "--concurrency", concurrency, "--num-requests", "8",
            "--output-len", "4", "--no-plot", "--out", str(tmp_path / name), "--no-progress",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    result = bench("--compare", str(tmp_path / "a/bench.json"), str(tmp_path / "b/bench.json"))
    assert result.exit_code == 0, result.output
    assert "output throughput" in result.output
    assert "concurrency 1" in result.output and "concurrency 4" in result.output


def test_compare_refuses_a_file_that_is_not_a_bench_result(tmp_path):
    other = tmp_path / "x.json"
    other.write_text("{}")
    result = bench("--compare", str(other), str(other))
    assert result.exit_code == 2 and "not a graviton-llm bench result" in result.output


def test_mock_server_refuses_impossible_fault_rates():
    result = runner.invoke(app, ["mock-server", "--error-rate", "0.7", "--reset-rate", "0.7"])
    assert result.exit_code == 2 and "add up" in result.output


# The result keys `vllm bench serve --save-result` writes (vllm/benchmarks/serve.py) whose
# meaning ours share; a dashboard reading them reads our files.
VLLM_KEYS = (
    "date", "backend", "model_id", "tokenizer_id", "num_prompts", "request_rate", "burstiness",
    "max_concurrency", "duration", "completed", "failed", "total_input_tokens",
    "total_output_tokens", "request_throughput", "request_goodput", "output_throughput",
    "total_token_throughput", "max_output_tokens_per_s", "max_concurrent_requests",
    *(f"{stat}_{name}_ms" for stat in ("mean", "median", "std", "p99")
      for name in ("ttft", "tpot", "itl", "e2el")),
)  # fmt: skip


@pytest.mark.slow
def test_bench_json_has_vllms_result_keys_with_std_and_peaks(mock_server, tmp_path):
    mock = mock_server(ttft_s=0.005, itl_s=0.001)
    result = bench(
        "--url", mock.url, "--concurrency", "3", "--num-requests", "6", "--output-len", "4",
        "--no-plot", "--out", str(tmp_path), "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "bench.json").read_text())
    assert [key for key in VLLM_KEYS if key not in data] == []
    assert (data["num_prompts"], data["request_rate"], data["max_concurrency"]) == (6, "inf", 3)
    assert data["max_concurrent_requests"] == 3 and data["max_output_tokens_per_s"] > 0
    assert data["request_goodput"] is None  # no SLO given, as vLLM writes it
    assert "std" in result.output and "peak" in result.output


@pytest.mark.slow
def test_every_request_failing_exits_1_with_its_results_written_and_latencies_absent(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # nothing listens there after
    result = bench(
        "--url", url, "--model", "m", "--num-requests", "3", "--no-plot",
        "--out", str(tmp_path), "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "3 of 3 requests failed" in said(result)
    data = json.loads((tmp_path / "bench.json").read_text())
    assert data["errors"] == {"connection": 3}
    assert not [key for key in data if key.endswith("_ttft_ms")]  # absent, not None or 0
    assert "None" not in result.output and "absent" in result.output
    tolerated = bench(
        "--url", url, "--model", "m", "--num-requests", "3", "--no-plot",
        "--out", str(tmp_path), "--no-progress", "--max-failure-rate", "1",
    )  # fmt: skip
    assert tolerated.exit_code == 0, tolerated.output


def test_an_unwritable_out_is_refused_before_any_request(mock_server, tmp_path):
    mock = mock_server(ttft_s=0.001, itl_s=0.0)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = bench("--url", mock.url, "--num-requests", "2", "--out", str(blocker / "run"))
    assert result.exit_code == 2 and "cannot write there" in said(result)
    assert mock.state().requests == 0


@pytest.mark.slow
def test_request_timeout_is_an_option_and_a_timed_out_request_is_a_failure(mock_server, tmp_path):
    mock = mock_server(ttft_s=0.001, itl_s=0.001, stall_rate=1.0)
    result = bench(
        "--url", mock.url, "--num-requests", "2", "--concurrency", "2", "--request-timeout",
        "0.2", "--no-plot", "--out", str(tmp_path), "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 1
    data = json.loads((tmp_path / "bench.json").read_text())
    assert data["errors"] == {"timeout": 2} and data["meta"]["timeout_s"] == 0.2


@pytest.mark.slow
def test_estimated_token_counts_are_labelled_in_the_summary_and_the_json(mock_server, tmp_path):
    mock = mock_server(ttft_s=0.001, itl_s=0.0, send_usage=False)
    result = bench(
        "--url", mock.url, "--num-requests", "2", "--output-len", "8", "--no-plot",
        "--out", str(tmp_path), "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "ESTIMATES" in result.output and "(estimate)" in result.output
    data = json.loads((tmp_path / "bench.json").read_text())
    assert data["token_sources"] == {"estimate": 2}
    assert {row["token_source"] for row in csv.DictReader((tmp_path / "records.csv").open())} == {
        "estimate"
    }


@pytest.mark.slow
def test_interrupting_a_run_writes_what_finished(mock_server, tmp_path):
    # A separate process, interrupted (Ctrl-C) once the mock has served 6 requests.
    mock = mock_server(ttft_s=0.002, itl_s=0.002)
    command = [
        sys.executable, "-m", "graviton_llm.cli", "bench", "--url", mock.url,
        "--num-requests", "100000", "--concurrency", "2", "--output-len", "4", "--no-plot",
        "--no-progress", "--out", str(tmp_path),
    ]  # fmt: skip
    # If it does not end, SIGABRT makes faulthandler write every thread's stack to its stderr.
    stderr_path = tmp_path / "stderr.txt"
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    # A suite started in the background (`nohup ... &`) inherits SIGINT ignored, and so would
    # the bench: handled here, it is back to default in the child, where Ctrl-C then works.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=stderr, env=env,
                preexec_fn=die_with_parent(),
            )  # fmt: skip
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        deadline = time.monotonic() + 60
        while mock.state().requests < 6 and process.poll() is None:
            assert time.monotonic() < deadline, "the bench process sent fewer than 6 requests"
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(60)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            process.wait(30)
            served = mock.state().requests
            pytest.fail(f"no exit 60 s after Ctrl-C ({served} served); its stacks:\n"
                        + stderr_path.read_text(errors="replace")[-6000:])  # fmt: skip
        assert code == 130, stderr_path.read_text(errors="replace")[-3000:]
    finally:
        process.kill()
    data = json.loads((tmp_path / "bench.json").read_text())
    assert data["meta"]["complete"] is False
    assert data["completed"] >= 4 and data["completed"] == len(data["records"])


def test_mock_server_refuses_timing_that_would_hang_its_streams():
    result = runner.invoke(app, ["mock-server", "--ttft-ms", "nan"])
    assert result.exit_code == 2 and "ttft_s=nan" in said(result)


@pytest.mark.parametrize("port", ["-1", "0", "70000"])
def test_mock_server_refuses_a_port_outside_1_to_65535(port):
    result = runner.invoke(app, ["mock-server", "--port", port])
    assert result.exit_code == 2 and "--port" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_mock_server_on_a_port_in_use_exits_2_naming_the_address():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["mock-server", "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
