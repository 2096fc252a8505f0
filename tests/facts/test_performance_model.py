"""The performance model: roofline arithmetic, monotonicity, refusals, the fit and its data."""

from __future__ import annotations

import collections
import math

import numpy as np
import pytest

from graviton_llm.facts import memory, models
from graviton_llm.facts import performance as perf
from graviton_llm.facts.performance import errors, fit, loaded, measurements, parameters, roofline
from graviton_llm.facts.performance.hardware import GIB, NEURON_RANKS, graviton4_rank
from graviton_llm.facts.performance.shapes import MODEL_SHAPES, ModelShape, model_shape

ROWS = measurements.load_measurements()
# A small made-up shape whose arithmetic is easy to do by hand.
TINY = ModelShape("test/tiny", 1024, 2, 8, 8, 128, 4096, 1000, tied_embeddings=False)


# ---------------------------------------------------------------------------------------------
# Roofline arithmetic, by hand
# ---------------------------------------------------------------------------------------------


def test_hardware_figures_per_rank():
    inf2 = NEURON_RANKS["inf2"]
    assert inf2.bandwidth_bytes_per_s == 820 * GIB / 2  # 820 GiB/s per 2-core chip
    assert inf2.bf16_flops == 95e12  # 190 TFLOPS per chip
    assert NEURON_RANKS["trn1"].bf16_flops == inf2.bf16_flops
    trn2 = NEURON_RANKS["trn2"]
    assert trn2.bandwidth_bytes_per_s == pytest.approx(725e9)  # 2.9 TB/s over 4 logical cores
    assert trn2.bf16_flops == pytest.approx(166.75e12)  # 667 TFLOPS over 4
    r8g = graviton4_rank(192)
    assert r8g.bandwidth_bytes_per_s == pytest.approx(1075.2e9)  # 2 x 12 x 5600 MT/s x 8 B
    assert r8g.bf16_flops == pytest.approx(192 * 2.7e9 * 128)  # 66.4 TFLOPS
    assert graviton4_rank(96).bandwidth_bytes_per_s == pytest.approx(537.6e9)


def test_model_shapes_reproduce_the_catalogs_parameter_counts():
    for shape in MODEL_SHAPES.values():
        info = models.KNOWN_MODELS.get(shape.id)
        if info is not None:
            assert shape.params / 1e9 == pytest.approx(info.params_billion, rel=0.005), shape.id
            assert (shape.layers, shape.kv_heads, shape.head_dim) == (
                info.layers,
                info.kv_heads,
                info.head_dim,
            )
    assert (
        model_shape("meta-llama/Meta-Llama-3.1-8B-Instruct")
        is MODEL_SHAPES["meta-llama/Llama-3.1-8B"]
    )
    assert model_shape("Llama-2-13b-hf").id == "meta-llama/Llama-2-13b-hf"


def test_features_count_bytes_and_flops_by_hand():
    hw = perf.hardware("inf2.xlarge")
    f = perf.features(TINY, hw, tensor_parallel_size=1, slots=1, input_len=100, output_len=29)
    layer = 1024 * 128 * (2 * 8 + 2 * 8) + 3 * 1024 * 4096  # 16,777,216
    params = 2 * layer + 1000 * 1024  # layers + LM head (the embedding lookup reads one row)
    bandwidth, peak = 820 * GIB / 2, 95e12
    assert f.weights_s == pytest.approx(params * 2 / bandwidth)
    assert f.decode_matmul_s == pytest.approx(2 * params / peak)
    # Decode contexts 101..128 all pad to the 128 bucket.
    kv_per_token = 2 * 2 * 8 * 128 * 2  # layers x (K, V) x heads x dim x bytes
    assert f.kv_s == pytest.approx(128 * kv_per_token / bandwidth)
    assert f.decode_attention_s == pytest.approx(4 * 128 * 2 * 8 * 128 / peak)
    # The 100-token prompt pads to 128.
    assert f.prefill_matmul_s == pytest.approx((2 * 128 * 2 * layer + 2 * 1000 * 1024) / peak)
    assert f.prefill_attention_s == pytest.approx(2 * 128 * 128 * 2 * 8 * 128 / peak)


def test_neuron_pads_heads_and_replicates_kv_heads_to_the_tp_degree():
    assert memory.effective_kv_heads(8, 24) == 24  # x3, as NxD Inference REPLICATE_TO_TP_DEGREE
    assert memory.effective_kv_heads(8, 32) == 32
    assert memory.effective_kv_heads(8, 4) == 8
    assert memory.effective_kv_heads(40, 24) == 48  # 40 MHA heads padded to a multiple of 24
    hw = perf.hardware("inf2.48xlarge")
    shape = MODEL_SHAPES["meta-llama/Llama-3.1-70B"]
    f24 = perf.features(shape, hw, tensor_parallel_size=24, slots=1, input_len=128, output_len=2)
    # 64 query heads pad to 72 and 8 KV heads become 24 at TP 24.
    attention = 8192 * 128 * (2 * 72 + 2 * 24)
    params = (80 * (attention + 3 * 8192 * 28672) + 128256 * 8192) / 24
    assert f24.weights_s == pytest.approx(params * 2 / hw.rank.bandwidth_bytes_per_s)


def test_buckets_are_powers_of_two_from_128_up_to_the_maximum_length():
    assert roofline.bucket(100) == 128
    assert roofline.bucket(1500) == 2048
    assert roofline.bucket(3000, max_model_len=2500) == 2500
    assert roofline.mean_decode_context(128, 129, bucketed=True) == 256
    # Three output tokens: the prefill gives the first, two decode steps read 101 and 102.
    assert roofline.mean_decode_context(100, 3, bucketed=False) == 101.5


def test_graviton_prediction_is_the_bandwidth_roofline():
    """No efficiency or overhead on Graviton: a decode step of a 70B in bf16 on r8g.48xlarge
    reads its 139 GB of projection and LM-head weights at 1,075.2 GB/s (plus a little KV)."""
    p = perf.predict(
        "meta-llama/Llama-3.1-70B",
        "r8g.48xlarge",
        tensor_parallel_size=1,
        batch=1,
        input_len=128,
        output_len=128,
    )
    shape = MODEL_SHAPES["meta-llama/Llama-3.1-70B"]
    weights = (shape.params - shape.embedding_params) * 2
    assert weights == pytest.approx(139.0e9, rel=0.001)
    assert p.tpot_ms == pytest.approx(weights / 1075.2e9 * 1e3, rel=0.01)
    assert not p.calibrated and p.decode_bound == "memory"


def test_continuous_batching_cycle_by_hand():
    params = parameters.GenerationParams(
        0.5, 0.01, 0.25, 0.02, 1.0, 0.0, 0.01, 10.0, 50.0, True, "t"
    )
    p = perf.predict(
        "meta-llama/Llama-3.1-8B",
        "inf2.48xlarge",
        tensor_parallel_size=8,
        batch=4,
        input_len=500,
        output_len=101,
        params=params,
    )
    prefill = p.ttft_ms - 50.0
    cycle = 50.0 + 4 * prefill + 100 * p.tpot_ms
    assert p.e2e_ms == pytest.approx(cycle)
    assert p.output_tokens_per_s == pytest.approx(4 * 101 / cycle * 1e3)
    assert p.per_request_tokens_per_s == pytest.approx(101 / cycle * 1e3)
    assert p.itl_under_load_ms == pytest.approx(p.tpot_ms + 3 * prefill / 100)


# ---------------------------------------------------------------------------------------------
# Monotonicity
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "instance_type", "tp"),
    [
        ("meta-llama/Llama-3.1-8B", "inf2.48xlarge", 8),
        ("meta-llama/Llama-3.1-70B", "trn1.32xlarge", 32),
        ("meta-llama/Llama-3.1-8B", "trn2.48xlarge", 8),
        ("meta-llama/Llama-3.1-8B", "r8g.16xlarge", 1),
    ],
)
def test_more_batch_never_lowers_aggregate_throughput(model, instance_type, tp):
    previous = 0.0
    for batch in (1, 2, 4, 8, 16, 32, 64):
        p = perf.predict(
            model,
            instance_type,
            tensor_parallel_size=tp,
            batch=batch,
            input_len=512,
            output_len=256,
            max_num_seqs=64,
        )
        assert p.decode_bound == "memory"
        assert p.output_tokens_per_s >= previous
        previous = p.output_tokens_per_s


def _turning_degree(shape: ModelShape, instance_type: str) -> float:
    """TPOT ~ W / (TP x eta_bw) + L x c_tp x log2(TP) falls while TP < W ln2 / (L c_tp)."""
    hw = perf.hardware(instance_type)
    params = parameters.generation_params(hw.generation)
    f = perf.features(shape, hw, tensor_parallel_size=1, slots=1, input_len=128, output_len=2)
    weights_ms = f.weights_s / params.bandwidth_efficiency * 1e3
    return weights_ms * math.log(2) / (shape.layers * params.layer_overhead_per_log2_tp_ms)


def test_more_tp_lowers_tpot_until_the_collective_term_dominates():
    def tpot(shape, instance_type, tp):
        return perf.predict(
            shape,
            instance_type,
            tensor_parallel_size=tp,
            batch=1,
            input_len=128,
            output_len=128,
        ).tpot_ms

    # What the data says for real models: every supported degree is below the turning point.
    for model, degrees in (
        ("meta-llama/Llama-3.2-1B", (1, 2, 4, 8, 24)),
        ("meta-llama/Llama-3.1-8B", (2, 4, 8, 24)),  # 16 GiB of one core is too small
    ):
        shape = MODEL_SHAPES[model]
        assert _turning_degree(shape, "inf2.48xlarge") > 24
        times = [tpot(shape, "inf2.48xlarge", tp) for tp in degrees]
        assert times == sorted(times, reverse=True)
    # A model far smaller than any we serve crosses it: more cores, slower steps.
    small = ModelShape("test/small", 256, 32, 24, 24, 64, 512, 1000, tied_embeddings=True)
    assert _turning_degree(small, "inf2.48xlarge") < 8
    assert tpot(small, "inf2.48xlarge", 24) > tpot(small, "inf2.48xlarge", 4)


# ---------------------------------------------------------------------------------------------
# Refusals and the public surface
# ---------------------------------------------------------------------------------------------


def _error(**changes) -> str:
    kwargs = dict(
        model="meta-llama/Llama-3.1-8B",
        instance_type="inf2.48xlarge",
        tensor_parallel_size=8,
        batch=4,
        input_len=128,
        output_len=128,
    )
    kwargs.update(changes)
    model, instance_type = kwargs.pop("model"), kwargs.pop("instance_type")
    with pytest.raises(perf.PerformanceInputError) as err:
        perf.predict(model, instance_type, **kwargs)
    return str(err.value)


def test_infeasible_inputs_are_refused_with_the_argument_named():
    assert "instance_type 'p5.48xlarge' is not in the catalog" in _error(
        instance_type="p5.48xlarge"
    )
    assert "model 'meta-llama/Llama-3.2-11B-Vision'" in _error(
        model="meta-llama/Llama-3.2-11B-Vision"
    )
    assert "tensor_parallel_size 12 is not supported" in _error(
        instance_type="inf2.24xlarge", tensor_parallel_size=12
    )
    assert "supported: 1, 2, 4, 8" in _error(instance_type="inf2.24xlarge", tensor_parallel_size=12)
    assert "batch must be at least 1" in _error(batch=0)
    assert "output_len must be at least 1" in _error(output_len=0)
    assert "weight_dtype 'fp8' is not served on inf2.48xlarge" in _error(weight_dtype="fp8")
    assert "batch 8 exceeds max_num_seqs 4" in _error(batch=8, max_num_seqs=4)
    message = _error(model="meta-llama/Llama-3.1-70B", instance_type="inf2.24xlarge")
    assert message.startswith("does not fit: meta-llama/Llama-3.1-70B needs")
    assert "inf2.24xlarge at tensor_parallel_size 8 has 128 GiB" in message


def test_tensor_parallel_options_say_why_each_degree_is_dropped():
    options = perf.tensor_parallel_options(
        "meta-llama/Llama-3.1-70B", "trn1.32xlarge", max_num_seqs=8, max_model_len=4096
    )
    assert [o.tensor_parallel_size for o in options] == [1, 2, 8, 16, 32]
    assert [o.tensor_parallel_size for o in options if o.feasible] == [16, 32]
    assert all(o.reasons[0].startswith("does not fit") for o in options if not o.feasible)
    # CPU: the host RAM holds the replica, TP is 1.
    for instance_type, degrees in (("c8g.xlarge", []), ("r8g.xlarge", [1])):  # 8 / 32 GiB
        assert (
            perf.feasible_tensor_parallel_degrees(
                "meta-llama/Llama-3.1-8B", instance_type, max_num_seqs=1, max_model_len=4096
            )
            == degrees
        )


def test_prediction_json_shape():
    p = perf.predict(
        "Llama-3.1-8B-Instruct",
        "trn2.48xlarge",
        tensor_parallel_size=8,
        batch=2,
        input_len=512,
        output_len=128,
    )
    d = p.as_dict()
    assert list(d) == [
        "ttft_ms",
        "tpot_ms",
        "itl_under_load_ms",
        "e2e_ms",
        "per_request_tokens_per_s",
        "output_tokens_per_s",
        "generation",
        "calibrated",
        "decode_bound",
    ]
    assert all(type(d[k]) is float for k in list(d)[:6])
    assert d["generation"] == "neuron-v3" and d["calibrated"] is True


# ---------------------------------------------------------------------------------------------
# The fit and its data
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_fit_reproduces_the_stored_constants():
    fitted = fit.fit(ROWS)
    assert set(fitted) == set(parameters.FITTED)
    for generation, params in fitted.items():
        stored = parameters.FITTED[generation]
        assert params.as_vector().tolist() == stored.as_vector().tolist(), generation


def test_the_data_file_is_well_formed():
    assert len({r.id for r in ROWS}) == len(ROWS)
    for r in ROWS:
        assert r.set in measurements.SETS and r.metric in (*measurements.METRICS, "e2e_ms"), r.id
        assert r.source_url.startswith("https://github.com/"), r.id
        assert r.software and r.statistic and r.value > 0, r.id
        if r.set == "excluded":
            assert r.note.startswith("EXCLUDED: "), r.id
            continue
        assert r.source_date, r.id
        assert r.batch and r.input_len and r.output_len, r.id
        assert model_shape(r.model) is not None, r.id
        assert r.scheduling in ("static", "continuous"), r.id
        assert (r.users is None or r.users >= 1) and (r.request_rate is None or r.request_rate > 0)
        assert r.statistic in ("p50", "mean"), r.id  # like with like: typical values only


def test_fit_and_validation_are_split_by_source_and_by_configuration():
    """Every published page is wholly fit, validation or repeat, and no validation row has a fit
    row's configuration (model, instance type, TP, compiled slots, prompt length, scheduling):
    validation figures are configurations the fit never saw. A page that re-measures a fit
    configuration (another stack, a later run) is a repeat, reported apart."""
    pages = collections.defaultdict(set)
    for r in ROWS:
        if r.set != "excluded":
            pages[r.source_url].add(r.set)
    assert all(len(sets) == 1 for sets in pages.values()), pages
    fitted = {r.configuration for r in ROWS if r.set == "fit"}
    validation = [r for r in ROWS if r.set == "validation"]
    assert validation and not [r.id for r in validation if r.configuration in fitted]
    repeats = [r for r in ROWS if r.set == "repeat"]
    assert repeats and not [r.id for r in repeats if r.configuration not in fitted]
    assert all(r.note.startswith("REPEAT of a fit ") for r in repeats)
    assert len({r.software for r in validation}) >= 3
    assert len({r.source_date[:4] for r in validation}) >= 2


def test_load_is_labelled_as_the_load_generator_produced_it():
    """Open-loop rows say how requests arrived (guidellm's sweep rates are a constant interval,
    not Poisson); closed-loop rows hold at most the load generator's stated cap in flight
    (Little's law from the page's own figures is what the servers held)."""
    for r in ROWS:
        if r.set == "excluded":
            continue
        if r.request_rate is not None:
            assert r.arrivals in measurements.ARRIVALS, r.id
            assert "Poisson" not in r.note.replace("not Poisson", ""), r.id
        else:
            assert r.arrivals == "", r.id
        if r.users is not None and r.client_cap is not None:
            assert r.users <= r.client_cap, r.id
            assert f"Little's law {r.users}" in r.note and f"cap {r.client_cap}" in r.note, r.id
    opened = [r for r in ROWS if r.request_rate is not None and r.set != "excluded"]
    assert opened and {r.arrivals for r in opened} == {"constant"}


@pytest.mark.slow
def test_the_cohort_fraction_is_the_fit_of_the_loaded_fit_rows():
    group = [
        (parameters.FITTED[c.generation].as_vector(), c)
        for c in fit.cases([r for r in ROWS if r.set == "fit" and r.queued])
    ]
    assert loaded.fit_cohort(group) == parameters.COHORT


def test_static_batch_pages_that_disagree_with_themselves_are_excluded():
    """A throughput its own TTFT and TPOT cannot produce (more than 5 % apart) is excluded,
    together with the two figures it disagrees with; every kept one agrees."""
    checked = 0
    for r in ROWS:
        ratio = errors.consistency_ratio(ROWS, r)
        if ratio is None:
            continue
        checked += 1
        if abs(ratio - 1) > 0.05:
            assert r.set == "excluded" and "figures disagree" in r.note, r.id
        else:
            assert r.set != "excluded", r.id
    assert checked > 50


def test_errors_are_reported_per_family_and_metric():
    comparisons = errors.compare(ROWS)
    assert len(comparisons) == sum(r.set != "excluded" for r in ROWS)
    table = {(s, f, m): (n, e) for s, f, m, n, e in errors.error_table(comparisons)}
    n, error = table[("validation", "inf2", "TPOT")]
    assert n > 0 and error is not None and np.isfinite(error)
    assert table[("fit", "graviton", "TPOT")] == (0, None)
