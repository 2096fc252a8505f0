"""What size is asked: models (id or config.json), traffic checks, max_model_len, targets."""

from __future__ import annotations

import json

import pytest

from graviton_llm.facts import performance as perf
from graviton_llm.sizing.workload import (
    Targets,
    Traffic,
    checked_max_model_len,
    choose_model,
    default_max_model_len,
)

LLAMA_31_8B_CONFIG = {  # the fields of meta-llama/Llama-3.1-8B's config.json
    "hidden_size": 4096,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "intermediate_size": 14336,
    "vocab_size": 128256,
    "max_position_embeddings": 131072,
}


def test_a_known_id_takes_its_shape_from_the_models_table():
    model = choose_model("meta-llama/Llama-3.3-70B-Instruct")
    assert model.shape == perf.model_shape("meta-llama/Llama-3.3-70B")
    assert model.info is not None and model.params_billion == 70.6
    assert model.max_context == 131072


def test_a_config_json_gives_the_shape_of_an_unknown_model(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(LLAMA_31_8B_CONFIG))
    model = choose_model("acme/our-8b-finetune", path)
    assert model.info is None
    assert model.shape.layers == 32 and model.shape.head_dim == 128
    # Same layers as Llama-3.1-8B, whose model card says 8.03B parameters.
    assert model.params_billion == pytest.approx(8.03, abs=0.01)
    assert model.max_context == 131072


def test_a_config_json_without_the_fields_is_refused_naming_them(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"text_config": {}, "vocab_size": 1}))
    with pytest.raises(ValueError, match="hidden_size, num_hidden_layers"):
        choose_model("acme/vision", path)
    path.write_text("not json")
    with pytest.raises(ValueError, match=r"cannot read a config\.json"):
        choose_model("acme/x", path)


def test_unknown_and_nonexistent_models_say_what_to_do():
    with pytest.raises(ValueError, match="--model-config"):
        choose_model("acme/unknown-model")
    with pytest.raises(ValueError, match=r"Llama 3\.2 has no 70B"):
        choose_model("meta-llama/Llama-3.2-70B-Instruct")
    with pytest.raises(ValueError, match="--model-config"):  # vision: no text shape
        choose_model("meta-llama/Llama-3.2-11B-Vision-Instruct")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of --requests-per-s and --concurrent-users"),
        ({"requests_per_s": 1, "concurrent_users": 4}, "exactly one"),
        ({"requests_per_s": 0}, "--requests-per-s must be > 0"),
        ({"concurrent_users": 0}, "--concurrent-users must be >= 1"),
        ({"requests_per_s": 1, "input_len_p99": 100}, r"--input-len-p99 \(100\) must be >= 512"),
        ({"requests_per_s": 1, "output_len_p99": 10}, "--output-len-p99"),
    ],
)
def test_traffic_refusals(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Traffic(512, 128, **kwargs)


def test_targets_must_be_positive():
    with pytest.raises(ValueError, match="--tpot-ms must be > 0"):
        Targets(tpot_ms=0)
    assert Targets(ttft_p99_ms=2000).ttft_p50_ms is None


def test_max_model_len_is_a_power_of_two_holding_the_p99_request():
    model = choose_model("meta-llama/Llama-3.3-70B")
    assert default_max_model_len(Traffic(512, 256, requests_per_s=1), model) == 1024
    assert default_max_model_len(Traffic(50, 20, requests_per_s=1), model) == 128
    with_tail = Traffic(512, 256, requests_per_s=1, input_len_p99=3000, output_len_p99=1100)
    assert default_max_model_len(with_tail, model) == 8192  # 4,100 tokens


def test_max_model_len_respects_the_models_context():
    llama3 = choose_model("meta-llama/Meta-Llama-3-8B")  # 8,192-token context
    assert default_max_model_len(Traffic(6000, 1000, requests_per_s=1), llama3) == 8192
    with pytest.raises(ValueError, match=r"exceeds .* context of 8192"):
        default_max_model_len(Traffic(8000, 1000, requests_per_s=1), llama3)
    traffic = Traffic(512, 256, requests_per_s=1)
    with pytest.raises(ValueError, match="cannot hold a request of 768"):
        checked_max_model_len(512, traffic, llama3)
    with pytest.raises(ValueError, match="exceeds"):
        checked_max_model_len(16384, traffic, llama3)
    assert checked_max_model_len(2048, traffic, llama3) == 2048
