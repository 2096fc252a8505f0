import pytest

from graviton_llm.facts import catalog
from graviton_llm.facts.catalog import INSTANCE_TYPES, default_tensor_parallel_size, instance_spec
from graviton_llm.facts.models import nonexistent_model_hint, resolve_model


def test_default_tensor_parallel_size_is_largest_supported_degree_within_cores():
    assert default_tensor_parallel_size(instance_spec("inf2.48xlarge")) == 24
    assert default_tensor_parallel_size(instance_spec("inf2.24xlarge")) == 8  # 12 unsupported
    assert default_tensor_parallel_size(instance_spec("inf2.xlarge")) == 2
    assert default_tensor_parallel_size(instance_spec("trn1.32xlarge")) == 32
    assert default_tensor_parallel_size(instance_spec("trn2.48xlarge")) == 64
    assert default_tensor_parallel_size(instance_spec("r8g.48xlarge")) == 1


def test_no_graviton_instance_has_neuron_devices_and_all_neuron_hosts_are_x86():
    for spec in INSTANCE_TYPES.values():
        if spec.family in ("r8g", "m8g", "c8g"):
            assert spec.accelerator == "cpu" and spec.neuron_cores == 0
            assert spec.architecture == "arm64"
        else:
            assert spec.accelerator == "neuron" and spec.architecture == "x86_64"
            assert spec.neuron_cores > 0


def test_device_memory_matches_cores_times_per_core_memory():
    for spec in INSTANCE_TYPES.values():
        if spec.neuron_family:
            assert spec.device_memory_gib == (
                spec.neuron_cores * spec.neuron_family.device_memory_per_core_gib
            )


def test_prices_come_from_the_dated_snapshot_and_trn2_is_not_invented():
    assert catalog.on_demand_price("inf2.48xlarge") == 12.98127
    assert catalog.on_demand_price("r8g.48xlarge") == 11.31072
    assert catalog.on_demand_price("trn2.48xlarge") is None
    assert catalog.PRICE_SNAPSHOT_DATE == "2026-07-20"


def test_trn2_is_not_offered_in_us_east_1():
    assert "us-east-1" not in instance_spec("trn2.48xlarge").regions
    assert "us-east-2" in instance_spec("trn2.48xlarge").regions


def test_network_figures_parse_to_gbps():
    assert instance_spec("inf2.8xlarge").network_gbps == 25
    assert instance_spec("trn2.48xlarge").network_gbps == 3200


def test_model_ids_resolve_with_org_prefix_and_instruct_suffix():
    assert resolve_model("meta-llama/Llama-3.1-8B-Instruct").params_billion == 8.03
    assert resolve_model("Meta-Llama-3.1-70B-Instruct").id == "meta-llama/Llama-3.1-70B"
    assert resolve_model("meta-llama/Llama-3.2-11B-Vision-Instruct").vision
    assert resolve_model("my-org/private-model") is None


def test_blog_llama_3_2_70b_names_the_real_70b_models():
    hint = nonexistent_model_hint("meta-llama/Llama-3.2-70B-Instruct")
    assert "Llama 3.2 has no 70B" in hint
    assert "Llama-3.1-70B" in hint and "Llama-3.3-70B" in hint
    assert nonexistent_model_hint("meta-llama/Llama-3.1-8B") is None


@pytest.mark.slow
def test_catalog_agrees_with_ec2_describe_instance_types_as_moto_carries_it():
    """vCPUs, memory and network of every row against EC2's own instance type data."""
    import gzip
    import json
    import re
    from pathlib import Path

    import moto

    data_file = Path(moto.__file__).parent / "ec2/resources/instance_types.json.gz"
    described = json.loads(gzip.decompress(data_file.read_bytes()))
    for name, spec in INSTANCE_TYPES.items():
        info = described[name]
        assert info["VCpuInfo"]["DefaultVCpus"] == spec.vcpus, name
        assert info["MemoryInfo"]["SizeInMiB"] == spec.memory_gib * 1024, name
        network = info["NetworkInfo"]["NetworkPerformance"]  # "Up to 15 Gigabit", "8x 100 Gigabit"
        match = re.search(r"(?:(\d+)x )?([\d.]+) Gigabit", network)
        gbps = float(match.group(2)) * int(match.group(1) or 1)
        assert spec.network_gbps == gbps, (name, network)
