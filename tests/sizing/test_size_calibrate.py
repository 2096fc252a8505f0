"""--calibrate: a synthetic bench result, in our old keys and in vLLM's, against the prediction
for the deployment it was measured on."""

from __future__ import annotations

import json
import math

import pytest

from graviton_llm.facts import performance as perf
from graviton_llm.sizing import calibrate, calibration_document, read_bench, read_bench_file

MODEL = "meta-llama/Llama-3.3-70B-Instruct"
PREDICTED = perf.predict(
    MODEL, "inf2.48xlarge", tensor_parallel_size=24, batch=16, input_len=512, output_len=128,
    max_num_seqs=16,
)  # fmt: skip
# What a run "measured": each figure off the prediction by a known factor.
TTFT_MEAN, TTFT_MEDIAN = PREDICTED.ttft_ms * 1.25, PREDICTED.ttft_ms * 1.10
TPOT_MEAN, TPOT_MEDIAN = PREDICTED.itl_under_load_ms / 0.8, PREDICTED.itl_under_load_ms
THROUGHPUT = PREDICTED.output_tokens_per_s * 1.05
E2E = PREDICTED.e2e_ms


def vllm_result(**overrides) -> dict:
    """Top-level keys as `vllm bench serve --save-result` writes them (and bench.json v2)."""
    data = {
        "format": "graviton-llm-bench/2", "model_id": MODEL, "request_rate": "inf",
        "max_concurrency": 16, "completed": 200, "total_input_tokens": 200 * 512,
        "total_output_tokens": 200 * 128, "output_throughput": THROUGHPUT,
        "request_throughput": 2.0, "mean_ttft_ms": TTFT_MEAN, "median_ttft_ms": TTFT_MEDIAN,
        "mean_tpot_ms": TPOT_MEAN, "median_tpot_ms": TPOT_MEDIAN, "mean_e2el_ms": E2E,
    }  # fmt: skip
    data.update(overrides)
    return data


def bench_v1() -> dict:
    """Our format before the vLLM keys (graviton-llm-bench/1): metrics and meta nested."""
    return {
        "format": "graviton-llm-bench/1",
        "meta": {"model": MODEL, "concurrency": 16, "request_rate": None, "input_len": "512"},
        "metrics": {
            "completed": 200, "prompt_tokens": 200 * 512, "output_tokens": 200 * 128,
            "output_throughput": THROUGHPUT, "request_throughput": 2.0,
            "ttft": {"count": 200, "mean": TTFT_MEAN, "median": TTFT_MEDIAN},
            "tpot": {"count": 200, "mean": TPOT_MEAN, "median": TPOT_MEDIAN},
            "e2e": {"count": 200, "mean": E2E, "median": E2E}, "mean_concurrency": 15.7,
        },
        "records": [],
    }  # fmt: skip


def run(data, **kwargs):
    return calibrate(data, MODEL, "inf2.48xlarge", tensor_parallel_size=24, max_num_seqs=16,
                     **kwargs)  # fmt: skip


@pytest.mark.parametrize("data", [vllm_result(), bench_v1()], ids=["vllm-keys", "v1-keys"])
def test_both_key_sets_give_the_same_comparison(data):
    result = run(data)
    assert (result.bench.input_len, result.bench.output_len) == (512, 128)
    assert result.bench.concurrency == 16 and result.bench.closed_loop
    assert result.batch == 16 and not result.warnings
    errors = {(r.metric, r.statistic): r.error for r in result.rows}
    assert errors[("TTFT ms", "mean")] == pytest.approx(1 / 1.25 - 1)  # -20 %
    assert errors[("TTFT ms", "median")] == pytest.approx(1 / 1.10 - 1)
    assert errors[("TPOT ms", "mean")] == pytest.approx(-0.2)  # TPOT vs ITL under load
    assert errors[("TPOT ms", "median")] == pytest.approx(0.0)
    assert errors[("E2E ms", "mean")] == pytest.approx(0.0)
    assert errors[("output tokens/s", "aggregate")] == pytest.approx(1 / 1.05 - 1)


def test_vllms_own_file_with_infinity_and_no_format(tmp_path):
    data = vllm_result(request_rate=math.inf)
    del data["format"]
    path = tmp_path / "vllm.json"
    path.write_text(json.dumps(data))  # writes Infinity, as vLLM's json.dump does
    summary = read_bench(read_bench_file(path))
    assert summary.source == "vllm bench serve" and summary.closed_loop
    assert summary.concurrency == 16


def test_an_open_loop_run_is_predicted_at_its_littles_law_concurrency():
    data = vllm_result(request_rate=1.5, max_concurrency=None, request_throughput=1.5,
                       mean_e2el_ms=8000.0)  # fmt: skip
    result = run(data)
    assert result.bench.concurrency == pytest.approx(12.0)  # 1.5 req/s x 8 s
    assert result.batch == 12 and not result.bench.closed_loop
    assert any("open-loop" in w for w in result.warnings)


def test_the_benchmarked_nodes_share_the_load_and_add_up_their_throughput():
    result = run(vllm_result(max_concurrency=48), nodes=3)
    assert result.batch == 16
    (row,) = [r for r in result.rows if r.metric == "output tokens/s"]
    assert row.predicted == pytest.approx(3 * PREDICTED.output_tokens_per_s)


def test_warnings_for_a_queue_beyond_max_num_seqs_and_another_model():
    result = run(vllm_result(max_concurrency=64, model_id="Qwen/Qwen2.5-7B"))
    assert result.batch == 16
    assert any("exceed max_num_seqs 16" in w for w in result.warnings)
    assert any("Qwen/Qwen2.5-7B" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "not a JSON object"),
        ({"completed": 0, "total_input_tokens": 0, "total_output_tokens": 0}, "no completed"),
        ({"completed": 5, "total_input_tokens": 50, "total_output_tokens": 50}, "no TTFT"),
    ],
)
def test_unusable_results_are_refused(data, message):
    with pytest.raises(ValueError, match=message):
        run(data)


def test_unreadable_file_is_a_value_error(tmp_path):
    path = tmp_path / "bench.json"
    path.write_text("{broken")
    with pytest.raises(ValueError, match="cannot read a bench result"):
        read_bench_file(path)


def test_the_json_document():
    document = calibration_document(run(vllm_result()))
    assert set(document) == {"deployment", "bench", "batch", "nodes", "rows", "warnings"}
    assert document["deployment"]["calibrated"] is True
    assert {r["metric"] for r in document["rows"]} == {
        "TTFT ms", "TPOT ms", "E2E ms", "output tokens/s",
    }  # fmt: skip
    json.dumps(document, allow_nan=False)
