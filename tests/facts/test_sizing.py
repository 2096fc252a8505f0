from __future__ import annotations

import pytest

from graviton_llm import ModelSpec
from graviton_llm.facts import catalog
from graviton_llm.facts.sizing import (
    AMI_BOOT_SECONDS,
    NEURON_COMPILE_SECONDS_PER_32_LAYERS,
    cold_start_table,
    download_gbps,
    predict_cold_start,
    root_volume_performance,
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
    assert cold.total_s == pytest.approx(798, abs=1)
    assert cold.readiness_timeout_s == 1200  # x1.5, rounded up to the minute


def test_inf2_48xlarge_llama_70b_compile_scales_with_layers():
    cold = _cold("inf2.48xlarge", LLAMA_70B)
    assert cold.compile_s == 600 * 80 / 32
    assert cold.weights_download_s == pytest.approx(113, abs=1)  # 131.5 GiB at the 10 Gb/s cap
    assert cold.total_s == pytest.approx(1914, abs=1)
    assert cold.readiness_timeout_s == 2880


def test_the_cpu_path_compiles_nothing():
    cold = _cold("r8g.16xlarge", LLAMA_8B)
    assert cold.compile_s == 0 and cold.total_s < 300


def test_weights_beyond_the_dirty_page_budget_get_a_faster_volume_and_download_at_its_speed():
    trn1_small = catalog.instance_spec("trn1.2xlarge")  # 32 GiB RAM: 6.4 GiB of dirty pages
    assert root_volume_performance(trn1_small, 15.0) == {"throughput_mibps": 1000, "iops": 4000}
    # network: half of 12.5 Gb/s = 6.25 Gb/s; disk: 1000 MiB/s = 8.4 Gb/s
    assert download_gbps(trn1_small, 15.0) == pytest.approx(6.25)
    trn1_big = catalog.instance_spec("trn1.32xlarge")  # 512 GiB RAM: 102 GiB of dirty pages
    assert download_gbps(trn1_big, 131.5) == pytest.approx(1000 * 2**20 * 8 / 1e9)
    assert root_volume_performance(trn1_small, 5.0) is None  # fits the page cache: defaults
    assert download_gbps(trn1_small, 5.0) == pytest.approx(12.5 * 0.5)


def test_the_table_lists_every_part_and_they_add_up_to_the_total():
    table = cold_start_table(_cold("inf2.48xlarge", LLAMA_70B))
    parts = ["AMI boot", "image pull", "weights download", "Neuron compile", "weights load"]
    assert list(table)[:5] == parts
    assert sum(table[p] for p in parts) == pytest.approx(table["total"])
    assert table["readiness timeout"] == 2880


def test_a_warm_pool_is_advised_where_the_cold_start_is_long_and_saves_compile_and_download():
    neuron = warm_pool_advice(_cold("inf2.48xlarge", LLAMA_70B))
    assert neuron.recommended and neuron.pool_state == "Stopped"
    # After a stop the weights come back from the volume, not the page cache: 131.5 GiB at
    # gp3's default 125 MiB/s, or at 1000 MiB/s with the throughput a warm pool provisions.
    assert neuron.warm_start_s == pytest.approx(AMI_BOOT_SECONDS + 131.5 * 1024 / 125, abs=1)
    spec, model = (
        catalog.instance_spec("inf2.48xlarge"),
        ModelSpec(id=LLAMA_70B, weights_uri="s3://weights/model/"),
    )
    pooled = predict_cold_start(spec, model.weights_gib, model.info, warm_pool=True)
    assert pooled.warm_start_s == pytest.approx(AMI_BOOT_SECONDS + 131.5 * 1024 / 1000, abs=1)
    assert any("lifecycle hook" in note for note in neuron.notes)
    assert not warm_pool_advice(_cold("r8g.16xlarge", LLAMA_8B)).recommended
