"""Every impossible or unsafe config is refused before any resource is registered."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from graviton_llm import NeuronServingCluster, NeuronServingClusterArgs
from graviton_llm.args import ArgsError
from graviton_llm.testing import run_program
from support import assert_refused, cluster_args, error_messages

# (overrides, field named in the error, words the message must contain)
REJECTIONS = [
    pytest.param(
        {"instance_type": "r8g.48xlarge", "accelerator": "neuron"},
        "accelerator",
        "no Graviton instance has Neuron devices",
        id="neuron-on-graviton",
    ),
    pytest.param({"accelerator": "cpu"}, "accelerator", "is a Neuron instance", id="cpu-on-neuron"),
    pytest.param(
        {"instance_type": "r8g.96xlarge"}, "instance_type", "inf2.48xlarge", id="unknown-type"
    ),
    pytest.param(
        {"instance_type": "inf2.24xlarge", "tensor_parallel_size": 12},
        "tensor_parallel_size",
        "1, 2, 4, 8, 24",
        id="tp-12-unsupported-on-inf2",
    ),
    pytest.param(
        {"instance_type": "trn1.32xlarge", "tensor_parallel_size": 4},
        "tensor_parallel_size",
        "1, 2, 8, 16, 32",
        id="tp-4-unsupported-on-trn1",
    ),
    pytest.param(
        {"tensor_parallel_size": 8},
        "tensor_parallel_size",
        "exceeds the 2 NeuronCores",
        id="tp-exceeds-cores",
    ),
    pytest.param(
        {"instance_type": "r8g.48xlarge", "tensor_parallel_size": 2},
        "tensor_parallel_size",
        "use 1",
        id="tp-on-cpu",
    ),
    pytest.param(
        {"model": {"id": "meta-llama/Llama-3.1-70B-Instruct"}},
        "model",
        "does not fit",
        id="70b-on-two-cores",
    ),
    pytest.param(
        {"max_num_seqs": 256},
        "model",
        "max_num_seqs <=",
        id="kv-cache-for-256-seqs",
    ),
    pytest.param(
        {"instance_type": "r8g.xlarge", "model": {"id": "meta-llama/Llama-3.1-70B"}},
        "model",
        "host RAM",
        id="70b-on-small-graviton",
    ),
    pytest.param(
        {"model": {"id": "meta-llama/Llama-3.2-70B-Instruct"}},
        "model.id",
        "Llama-3.3-70B",
        id="llama-3.2-70b-does-not-exist",
    ),
    pytest.param(
        {"model": {"id": "acme/house-model-13b"}}, "model.id", "params_billion", id="unknown-model"
    ),
    pytest.param(
        {
            "instance_type": "inf2.48xlarge",
            "model": {"id": "meta-llama/Llama-3.2-11B-Vision-Instruct"},
        },
        "model.id",
        "not supported by the vLLM Neuron plugin",
        id="vision-on-neuron",
    ),
    pytest.param(
        {"allowed_cidrs": ["0.0.0.0/0"]}, "allowed_cidrs.0", "VPC-internal", id="open-world"
    ),
    pytest.param(
        {"allowed_cidrs": ["8.8.8.0/24"]}, "allowed_cidrs.0", "private ranges", id="public-cidr"
    ),
    pytest.param(
        {"allowed_cidrs": ["10.0.0.1/8"]}, "allowed_cidrs.0", "10.0.0.0/8", id="host-bits-set"
    ),
    pytest.param(
        {"ssh_cidrs": ["not-a-cidr"]}, "ssh_cidrs.0", "not a valid CIDR", id="ssh-garbage"
    ),
    pytest.param({"subnet_ids": []}, "subnet_ids", "at least one", id="no-subnets"),
    pytest.param({"min_size": 4, "max_size": 3}, "min_size", "above max_size", id="min-gt-max"),
    pytest.param(
        {"desired_capacity": 5}, "desired_capacity", "within min_size..max_size", id="desired"
    ),
    pytest.param({"port": 70000}, "port", "1-65535", id="port-range"),
    pytest.param({"port": 9100}, "port", "metrics exporter", id="port-clashes-with-metrics"),
    pytest.param(
        {"max_model_len": 0}, "max_model_len", "greater than or equal to 1", id="zero-len"
    ),
    pytest.param(
        {"max_num_seqs": -1}, "max_num_seqs", "greater than or equal to 1", id="negative-seqs"
    ),
    pytest.param(
        {"max_model_len": 8192},
        "max_num_batched_tokens",
        "chunked prefill",
        id="nxdi-needs-batched-tokens-ge-model-len",
    ),
    pytest.param(
        {"model": {"weights_uri": "https://bucket/x"}},
        "model.weights_uri",
        "s3://",
        id="weights-not-s3",
    ),
    pytest.param(
        {"model": {"weights_uri": "s3://Bad_Bucket/prefix/"}},
        "model.weights_uri",
        "bucket name",
        id="weights-bad-bucket",
    ),
    pytest.param(
        {"model": {"weights_uri": "s3://bucket-only"}},
        "model.weights_uri",
        "prefix",
        id="weights-no-prefix",
    ),
    pytest.param(
        {"artifact_cache": {"uri": "s3://team-weights/llama-3.1-8b-instruct/cache/"}},
        "artifact_cache.uri",
        "overlaps the weights",
        id="cache-inside-the-weights",
    ),
    pytest.param(
        {"artifact_cache": {"uri": "s3://team-weights/"}},
        "artifact_cache.uri",
        "is not a cache location",
        id="cache-without-a-prefix",
    ),
    pytest.param(
        {"model": {"weights_uri": "s3://team-weights/.graviton-llm-cache/"}},
        "artifact_cache.uri",
        "s3://team-weights/compiled-artifacts/",
        id="default-cache-would-be-the-weights",
    ),
    pytest.param(
        {
            "instance_type": "r8g.16xlarge",
            "max_num_seqs": 32,
            "artifact_cache": {"uri": "s3://team-weights/cache/"},
        },
        "artifact_cache.uri",
        "compiles nothing",
        id="cache-on-the-cpu-path",
    ),
    pytest.param(
        {"instance_type": "trn2.48xlarge", "region": "us-east-1"},
        "region",
        "us-east-2",
        id="trn2-not-in-us-east-1",
    ),
    pytest.param(
        {"max_model_len": 200000}, "max_model_len", "context of 131072", id="beyond-context"
    ),
    pytest.param(
        {"tags": {"kubernetes.io/cluster/x": "owned"}},
        "tags.kubernetes.io/cluster/x",
        "no spaces or /",
        id="tag-key-instance-metadata-refuses",
    ),
]


def _fields(error: ValidationError) -> set[str]:
    return set(error_messages(error))


@pytest.mark.parametrize(("overrides", "field", "words"), REJECTIONS)
def test_rejected_config_names_the_field_and_the_fix_and_creates_nothing(overrides, field, words):
    assert_refused(overrides, field, words)


def test_all_problems_are_reported_at_once():
    bad = cluster_args(
        tensor_parallel_size=12,
        allowed_cidrs=["0.0.0.0/0"],
        subnet_ids=[],
        port=9100,
        model={"weights_uri": "http://x"},
    )
    with pytest.raises(ValidationError) as caught:
        NeuronServingClusterArgs.model_validate(bad)
    assert {
        "tensor_parallel_size",
        "allowed_cidrs.0",
        "subnet_ids",
        "port",
        "model.weights_uri",
    } <= _fields(caught.value)


@pytest.mark.slow
def test_stack_region_is_checked_when_args_leave_region_unset():
    def program():
        NeuronServingCluster("llm", cluster_args(instance_type="trn2.48xlarge"))

    with pytest.raises(ArgsError, match=r"trn2\.48xlarge is not offered in us-east-1"):
        run_program(program, region="us-east-1")
    assert run_program(program, region="us-east-2").resources


def test_unknown_model_with_params_billion_is_accepted_and_sized():
    args = NeuronServingClusterArgs.model_validate(
        cluster_args(model={"id": "acme/house-model-7b", "params_billion": 7.0})
    )
    assert args.model.resolved_params_billion == 7.0


def test_derived_defaults_are_filled_in():
    args = NeuronServingClusterArgs.model_validate(cluster_args(instance_type="inf2.48xlarge"))
    assert args.accelerator == "neuron"
    assert args.tensor_parallel_size == 24
    assert "sdk2.28.0" in args.image
    cpu = NeuronServingClusterArgs.model_validate(cluster_args(instance_type="r8g.48xlarge"))
    assert cpu.accelerator == "cpu" and cpu.tensor_parallel_size == 1
    assert cpu.image.endswith("-arm64")


def test_a_cluster_without_any_region_is_refused_before_anything_registers(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    result = run_program(lambda: NeuronServingCluster("llm", cluster_args()), region="", catch=True)
    assert "region" in error_messages(result.error)
    assert result.resources == []


def test_the_artifact_cache_sits_beside_the_weights_by_default():
    args = NeuronServingClusterArgs.model_validate(
        cluster_args(model={"weights_uri": "s3://team-weights/models/llama-8b/"})
    )
    assert args.artifact_cache_root == ("team-weights", "models/.graviton-llm-cache/")
    top = NeuronServingClusterArgs.model_validate(cluster_args())
    assert top.artifact_cache_root == ("team-weights", ".graviton-llm-cache/")
    elsewhere = NeuronServingClusterArgs.model_validate(
        cluster_args(artifact_cache={"uri": "s3://build-cache/neuron"})
    )
    assert elsewhere.artifact_cache_root == ("build-cache", "neuron/")
    off = NeuronServingClusterArgs.model_validate(cluster_args(artifact_cache={"enabled": False}))
    cpu = NeuronServingClusterArgs.model_validate(
        cluster_args(instance_type="r8g.16xlarge", max_num_seqs=32)
    )
    assert off.artifact_cache_root is None and cpu.artifact_cache_root is None
