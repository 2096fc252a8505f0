"""--write-stack: the written file is a stack config the args model validates; refusals leave
no file behind."""

from __future__ import annotations

import json

import pytest
import yaml
from pydantic import ValidationError

from graviton_llm.args import NeuronServingClusterArgs
from graviton_llm.project import PROJECT, stack_cluster_args
from graviton_llm.sizing import Placement, SizingRequest, Targets, Traffic, choose_model, size
from graviton_llm.sizing.stack import cluster_config, placeholder_weights_uri, write_stack

LLAMA_70B = choose_model("meta-llama/Llama-3.3-70B-Instruct")


def best(model=LLAMA_70B, **kwargs):
    traffic = Traffic(512, 256, requests_per_s=2)
    result = size(SizingRequest(model, traffic, Targets(tpot_ms=100), 1024, **kwargs))
    assert result.best is not None
    return result.best


def test_the_written_stack_validates_and_reads_back_as_the_option(tmp_path):
    option = best(min_nodes=3)
    path = tmp_path / "Pulumi.sized.yaml"
    placeholders = write_stack(
        path, option, LLAMA_70B, 1024, Placement("us-east-1"), project=PROJECT
    )
    assert placeholders == ["vpc_id", "subnet_ids", "model.weights_uri"]
    text = path.read_text()
    assert "PLACEHOLDERS to replace" in text and "vpc-00000000000000000" in text
    document = yaml.safe_load(text)
    assert set(document) == {"config"}
    assert document["config"]["aws:region"] == "us-east-1"
    # Read the way `plan` and `pulumi up` read a stack: validated by the args model.
    args, _ = stack_cluster_args(str(path))
    assert (args.instance_type, args.tensor_parallel_size, args.max_num_seqs) == (
        option.instance_type,
        option.tensor_parallel_size,
        option.max_num_seqs,
    )
    assert args.desired_capacity == args.min_size == args.max_size == option.nodes == 3
    assert args.max_model_len == 1024 and args.max_num_batched_tokens >= 1024
    assert args.model.id == LLAMA_70B.id
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left


def test_flags_replace_the_placeholders(tmp_path):
    where = Placement(
        "us-east-1",
        "vpc-0123456789abcdef0",
        ("subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"),
        "s3://team-weights/llama-70b/",
    )
    path = tmp_path / "Pulumi.prod2.yaml"
    assert write_stack(path, best(), LLAMA_70B, 1024, where, project=PROJECT) == []
    cluster = yaml.safe_load(path.read_text())["config"]["graviton-llm:cluster"]
    assert cluster["vpc_id"] == "vpc-0123456789abcdef0" and cluster["subnet_ids"] == [
        "subnet-0aaaaaaaaaaaaaaaa",
        "subnet-0bbbbbbbbbbbbbbbb",
    ]
    assert "PLACEHOLDERS" not in path.read_text()


def test_an_unknown_model_carries_its_parameter_count(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
                "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
            }
        )
    )  # fmt: skip
    model = choose_model("acme/finetune-8b", config)
    option = best(model)
    cluster, _ = cluster_config(option, model, 1024, Placement("us-east-1"))
    assert cluster["model"]["params_billion"] == pytest.approx(8.03, abs=0.01)
    NeuronServingClusterArgs.model_validate(cluster)  # raises if the args refuse it


def test_an_existing_file_is_refused_without_force(tmp_path):
    path = tmp_path / "Pulumi.sized.yaml"
    path.write_text("keep me\n")
    option = best()
    with pytest.raises(ValueError, match="exists; pass --force"):
        write_stack(path, option, LLAMA_70B, 1024, Placement("us-east-1"), project=PROJECT)
    assert path.read_text() == "keep me\n"
    write_stack(path, option, LLAMA_70B, 1024, Placement("us-east-1"), project=PROJECT, force=True)
    assert "graviton-llm:cluster" in path.read_text()


@pytest.mark.parametrize(
    ("where", "name", "error", "message"),
    [
        (Placement("us-east-1", weights_uri="https://x/y"), "Pulumi.a.yaml", ValidationError,
         "weights_uri"),
        (Placement("eu-west-1"), "Pulumi.b.yaml", ValidationError, "not offered in eu-west-1"),
        (Placement("us-east-1"), "stack.json", ValueError, "ends in .yaml"),
        (Placement("us-east-1"), "missing/Pulumi.c.yaml", ValueError, "no directory"),
    ],
)  # fmt: skip
def test_bad_input_leaves_no_file(tmp_path, where, name, error, message):
    path = tmp_path / name
    with pytest.raises(error, match=message):
        write_stack(path, best(), LLAMA_70B, 1024, where, project=PROJECT)
    assert not path.exists()
    assert list(tmp_path.rglob("*")) == []


def test_the_placeholder_uri_is_a_valid_s3_prefix():
    assert placeholder_weights_uri("meta-llama/Llama-3.3-70B-Instruct") == (
        "s3://replace-me-model-weights/llama-3.3-70b-instruct/"
    )
    assert (
        placeholder_weights_uri("Org/Weird Name_v2")
        == "s3://replace-me-model-weights/weird-name-v2/"
    )


def test_an_option_priced_at_a_capacity_block_rate_is_written_to_launch_into_a_block(tmp_path):
    # trn2.48xlarge in us-east-2 is ranked at its Capacity Block rate: the stack it writes runs
    # only in a Capacity Block (one the team buys; the id is a placeholder until then).
    option = best(region="us-east-2", instance_types=("trn2.48xlarge",))
    assert option.purchase_option == "capacity-block"
    path = tmp_path / "Pulumi.trn2.yaml"
    placeholders = write_stack(
        path, option, LLAMA_70B, 1024, Placement("us-east-2"), project=PROJECT
    )
    assert "capacity.capacity_block_id" in placeholders
    args, _ = stack_cluster_args(str(path))
    assert args.capacity_mode == "reserved"
    assert args.capacity is not None and args.capacity.capacity_block_id == "cr-00000000000000000"
