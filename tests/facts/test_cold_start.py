from __future__ import annotations

import pytest

from graviton_llm import ModelSpec
from graviton_llm.facts import catalog
from graviton_llm.facts.cold_start import (
    AMI_BOOT_SECONDS,
    NEURON_COMPILE_SECONDS_PER_32_LAYERS,
    PARTS,
    cold_start_parts,
    cold_start_table,
    download_gbps,
    predict_cold_start,
    root_volume_performance,
    s3_target_gbps,
    warm_pool_advice,
)

LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"
LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct"


def _cold(instance_type: str, model_id: str):
    model = ModelSpec(id=model_id, weights_uri="s3://weights/model/")
    return predict_cold_start(catalog.instance_spec(instance_type), model.weights_gib, model.info)


def test_inf2_8xlarge_llama_8b_cold_start_and_grace():
    cold = _cold("inf2.8xlarge", LLAMA_8B)
    assert cold.compile_s == NEURON_COMPILE_SECONDS_PER_32_LAYERS == 600  # 32 layers
    assert cold.total_s == pytest.approx(795, abs=1)
    assert cold.readiness_timeout_s == 1200  # x1.5, rounded up to the minute
    # A cache hit replaces the 600 s compile with 2 GiB of artifacts: download and SHA-256.
    assert cold.artifacts_download_s == pytest.approx(2 * 2**30 * 8 / 12.5e9 + 2 / 0.5)
    assert cold.cache_hit_s == pytest.approx(cold.total_s - 600 + cold.artifacts_download_s)


def test_inf2_48xlarge_llama_70b_compile_scales_with_layers():
    cold = _cold("inf2.48xlarge", LLAMA_70B)
    assert cold.compile_s == 600 * 80 / 32
    # 131.5 GiB at half of the 100 Gb/s CRT target; it fits 20 % of the 768 GiB of RAM.
    assert cold.weights_download_s == pytest.approx(131.5 * 2**30 * 8 / 50e9, abs=0.5)
    assert cold.total_s == pytest.approx(1824, abs=1)
    assert cold.readiness_timeout_s == 2760
    assert cold.total_s / cold.cache_hit_s > 3  # the done-when, on the prod shape


def test_the_cpu_path_compiles_nothing():
    cold = _cold("r8g.16xlarge", LLAMA_8B)
    assert cold.compile_s == 0 and cold.total_s < 300
    assert cold.artifacts_download_s == 0 and cold.cache_hit_s == cold.total_s


def test_weights_beyond_the_dirty_page_budget_download_at_the_volumes_speed():
    trn1_small = catalog.instance_spec("trn1.2xlarge")  # 32 GiB RAM: 6.4 GiB of dirty pages
    assert s3_target_gbps(trn1_small) == 12  # "up to 12.5 Gb/s", what the boot gives the CRT
    assert root_volume_performance(trn1_small, 15.0) == {"throughput_mibps": 1000, "iops": 4000}
    # network: half of 12 Gb/s = 6 Gb/s; disk: 1000 MiB/s = 8.4 Gb/s
    assert download_gbps(trn1_small, 15.0) == pytest.approx(6.0)
    trn1_big = catalog.instance_spec("trn1.32xlarge")  # 512 GiB RAM: 102 GiB of dirty pages
    assert download_gbps(trn1_big, 131.5) == pytest.approx(1000 * 2**20 * 8 / 1e9)
    assert download_gbps(trn1_big, 15.0) == pytest.approx(400)  # 800 Gb/s x 0.5, page cache


def test_the_volume_is_provisioned_to_match_s3_on_every_catalog_type():
    """S3 through the CRT client outruns gp3's default 125 MiB/s (1.05 Gb/s) on every type we
    serve on, so every node gets the fast gp3 settings: downloads and warm starts use them."""
    for spec in catalog.INSTANCE_TYPES.values():
        assert root_volume_performance(spec, 1.0) == {"throughput_mibps": 1000, "iops": 4000}


def test_the_table_lists_every_part_and_they_add_up_to_the_total():
    cold = _cold("inf2.48xlarge", LLAMA_70B)
    table = cold_start_table(cold)
    parts = ["AMI boot", "image pull", "weights download", "Neuron compile", "weights load"]
    assert list(table)[:5] == parts
    assert sum(table[p] for p in parts) == pytest.approx(table["total"])
    assert table["readiness timeout"] == 2760
    rows = cold_start_parts(cold)
    assert [r.name for r in rows] == list(PARTS)
    assert sum(r.first_compile_s for r in rows) == pytest.approx(cold.total_s)
    assert sum(r.cache_hit_s for r in rows) == pytest.approx(cold.cache_hit_s)
    assert table["total (cache hit)"] == pytest.approx(cold.cache_hit_s)


def test_every_part_says_where_its_figure_comes_from():
    for instance_type in ("inf2.48xlarge", "trn1.2xlarge", "r8g.16xlarge"):
        for row in cold_start_parts(_cold(instance_type, LLAMA_70B)):
            assert row.basis, row.name
            sourced = any(word in row.basis for word in ("EC2", "EBS", "Linux", "none on"))
            assert "assumption" in row.basis or sourced, row


def test_a_warm_pool_is_advised_where_a_new_node_is_slow_and_the_cache_is_what_decides():
    cold = _cold("inf2.48xlarge", LLAMA_70B)
    # Without the cache every new node compiles (30 min): a warm pool is advised ...
    uncached = warm_pool_advice(cold, artifact_cache=False)
    assert uncached.recommended and uncached.pool_state == "Stopped"
    assert uncached.cold_start_s == cold.total_s
    # ... with it a new node hits the cache in about 5.5 minutes: within a 10-minute budget.
    cached = warm_pool_advice(cold)
    assert not cached.recommended and cached.cold_start_s == cold.cache_hit_s
    assert warm_pool_advice(cold, scale_out_budget_s=300).recommended  # 335 s > 5 min
    # After a stop the weights come back from the volume, not the page cache: 131.5 GiB at the
    # 1000 MiB/s the node's volume is provisioned with.
    assert cold.warm_start_s == pytest.approx(AMI_BOOT_SECONDS + 131.5 * 1024 / 1000, abs=1)
    assert any("lifecycle hook" in note for note in cached.notes)
    assert any("ExecStartPre" in note for note in cached.notes)
    assert not warm_pool_advice(_cold("r8g.16xlarge", LLAMA_8B)).recommended
