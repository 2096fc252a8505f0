"""`size --calibrate --save`: scales fitted from a bench reproduce it, are saved in a reviewable
file and are used by later predictions of the same deployment."""

from __future__ import annotations

import json

import pytest

from graviton_llm.facts import performance as perf
from graviton_llm.sizing import calibration_store as store
from graviton_llm.sizing import loaded_prediction, read_bench, stack_performance

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
TRUE = perf.Scales(step=1.3, prefill=0.7, serving_ms=90.0)


def synthetic_bench(concurrency: int = 24, nodes: int = 1) -> dict:
    """What `vllm bench serve` would write for a deployment that runs exactly as the load
    model with TRUE scales says: a 30 % slower step, a faster prefill, a slower server."""
    p = loaded_prediction(
        MODEL, "inf2.48xlarge", tensor_parallel_size=8, max_num_seqs=16, input_len=900,
        output_len=200, concurrent_users=concurrency, nodes=nodes, scales=TRUE,
    )  # fmt: skip
    load = p.load
    completed = 500
    return {
        "completed": completed,
        "total_input_tokens": 900 * completed,
        "total_output_tokens": 200 * completed,
        "mean_ttft_ms": load.ttft_mean_s * 1e3,
        "median_ttft_ms": load.ttft_p50_s * 1e3,
        "mean_tpot_ms": load.inter_token_s * 1e3,
        "mean_e2el_ms": load.e2e_s * 1e3,
        "output_throughput": load.throughput_rps * 200,
        "max_concurrency": concurrency,
        "request_rate": "inf",
    }


@pytest.mark.slow
def test_calibration_reproduces_a_synthetic_bench_within_5_percent(tmp_path):
    data = synthetic_bench()
    bench = read_bench(data)
    deployment = store.Deployment(MODEL, "inf2.48xlarge", 8, 16)
    fit = store.fit_scales(bench, deployment)
    scales = fit.scales
    document = store.calibration_file(bench, deployment, fit)
    # The figures are reproduced, but one run at 24 users on 16 slots (mostly queueing) cannot
    # tell the three costs apart: the serving time comes out at a third of the true 90 ms. Said.
    assert document["fit"]["at_bounds"] == [] and "serving_ms" in document["fit"]["unsettled"]
    assert any("does not settle" in w for w in document["fit"]["warnings"])
    for row in document["rows"]:
        assert row["predicted_after"] == pytest.approx(row["measured"], rel=0.05), row
    # The uncalibrated model missed this deployment by more than that on some figure.
    assert any(abs(r["predicted_before"] / r["measured"] - 1) > 0.05 for r in document["rows"])
    path = store.save(document, deployment, tmp_path)
    assert path.name == "llama-3.1-8b--inf2.48xlarge--tp8--seqs16.json"
    saved = json.loads(path.read_text())
    assert saved["format"] == store.FORMAT and saved["scales"]["step"] == scales.step
    assert store.scales_for(MODEL, "inf2.48xlarge", 8, 16, tmp_path) == scales
    assert store.scales_for(MODEL, "inf2.48xlarge", 8, 32, tmp_path) is None  # another deployment


def test_saved_scales_are_used_by_later_predictions(tmp_path, monkeypatch):
    monkeypatch.setenv(store.DIRECTORY_ENV, str(tmp_path))
    deployment = store.Deployment(MODEL, "inf2.48xlarge", 8, 16)
    bench = read_bench(synthetic_bench())
    store.save(store.calibration_file(bench, deployment, store.Fit(TRUE, ())), deployment)
    from graviton_llm.args import NeuronServingClusterArgs
    from tests.support import cluster_args

    args = NeuronServingClusterArgs.model_validate(
        cluster_args(model={"id": MODEL}, instance_type="inf2.48xlarge",
                     tensor_parallel_size=8, max_num_seqs=16, max_model_len=2048)
    )  # fmt: skip
    calibrated = stack_performance(args)
    assert calibrated.scales == TRUE and "your own bench" in calibrated.basis
    monkeypatch.setenv(store.DIRECTORY_ENV, str(tmp_path / "empty"))
    plain = stack_performance(args)
    assert plain.scales is None
    assert calibrated.prediction.tpot_ms == pytest.approx(plain.prediction.tpot_ms * 1.3)


def test_a_broken_calibration_file_is_refused_by_name(tmp_path):
    deployment = store.Deployment(MODEL, "inf2.48xlarge", 8, 16)
    (tmp_path / f"{deployment.key}.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="unreadable"):
        store.scales_for(MODEL, "inf2.48xlarge", 8, 16, tmp_path)


@pytest.mark.slow
def test_a_scale_pinned_at_its_bound_is_said_and_recorded():
    # A deployment whose server answers in 0.01 ms: the fit stops at its 0.1 ms floor.
    fast = perf.Scales(step=1.0, prefill=1.0, serving_ms=0.01)
    p = loaded_prediction(
        MODEL, "inf2.48xlarge", tensor_parallel_size=8, max_num_seqs=16, input_len=900,
        output_len=200, concurrent_users=1, scales=fast,
    )  # fmt: skip
    data = synthetic_bench() | {
        "mean_ttft_ms": p.load.ttft_mean_s * 1e3 * 0.5,  # faster than any allowed serving time
        "median_ttft_ms": p.load.ttft_p50_s * 1e3 * 0.5,
    }
    fit = store.fit_scales(read_bench(data), store.Deployment(MODEL, "inf2.48xlarge", 8, 16))
    assert any(b.startswith("serving_ms at its lower bound 0.1") for b in fit.at_bounds)
    document = store.calibration_file(
        read_bench(data), store.Deployment(MODEL, "inf2.48xlarge", 8, 16), fit
    )
    assert document["fit"]["at_bounds"] == list(fit.at_bounds)
    assert any("lower bound" in w for w in document["fit"]["warnings"])


@pytest.mark.slow
def test_a_run_that_cannot_separate_the_scales_says_so():
    # Only a mean TTFT and a throughput: two figures cannot settle three scales.
    full = synthetic_bench()
    data = {k: v for k, v in full.items() if k not in
            ("median_ttft_ms", "mean_tpot_ms", "mean_e2el_ms")}  # fmt: skip
    fit = store.fit_scales(read_bench(data), store.Deployment(MODEL, "inf2.48xlarge", 8, 16))
    assert fit.identifiable is False
    assert any("does not settle" in w for w in fit.warnings)
