"""Refusals a multi-cluster project can act on (issue 21, items 4 and 6): every problem names its
cluster and field, every cluster's problems come at once, an unknown key gets the nearest field,
values print readably, pydantic's type sentences become our fix text, and the refusal is the
engine's `pulumi.InputPropertiesError` with one detail per field."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest
from typer.testing import CliRunner

from graviton_llm import ArgsError, NeuronServingCluster
from graviton_llm.cli import app
from graviton_llm.testing import run_program
from support import cluster_args

ASG = "aws:autoscaling/group:Group"


def _two_bad_clusters() -> None:
    NeuronServingCluster("chat", cluster_args(max_num_seqs=0))
    NeuronServingCluster("small", cluster_args(subnet_ids=["subnet-nope"]))


def test_two_clusters_with_one_bad_field_each_are_refused_together():
    result = run_program(_two_bad_clusters, catch=True)
    error = result.error
    assert isinstance(error, ArgsError)
    assert [(p.component, p.field) for p in error.problems] == [
        ("chat", "max_num_seqs"),
        ("small", "subnet_ids.0"),
    ]
    text = str(error)
    assert "chat" in text and "small" in text
    assert not result.of_type(ASG)


def test_the_refusal_is_the_engines_input_properties_error_one_detail_per_field():
    error = run_program(_two_bad_clusters, catch=True).error
    assert isinstance(error, pulumi.InputPropertiesError)
    # Not a ValueError: the SDK wraps those in "While processing input: ..., value <pulumi.output
    # .Output object at 0x...>" once per resource and input.
    assert not isinstance(error, ValueError)
    paths = [(d["property_path"], d["reason"]) for d in error.errors or []]
    assert [p for p, _ in paths] == ["max_num_seqs", "subnet_ids[0]"]
    assert paths[0][1].startswith("cluster 'chat': ")
    assert paths[1][1].startswith("cluster 'small': ")


def test_without_a_preview_the_first_refusal_stops_the_program():
    """`pulumi up` registers for real: nothing after a refused cluster may be created, so the
    refusal is raised at once (its preview, run first, listed every cluster's problems)."""
    error = run_program(_two_bad_clusters, catch=True, preview=False).error
    assert isinstance(error, ArgsError)
    assert {p.component for p in error.problems} == {"chat"}


def test_an_unknown_key_gets_the_nearest_field():
    args = cluster_args(max_model_length=8192)
    args["monitoring"] = {"alarm_topics": True}
    with pytest.raises(ArgsError) as raised:
        run_program(lambda: NeuronServingCluster("chat", args))
    fixes = {p.field: p.fix for p in raised.value.problems}
    assert "did you mean 'max_model_len'" in fixes["max_model_length"]
    assert "did you mean 'alarm_topic'" in fixes["monitoring.alarm_topics"]


def test_a_string_for_a_number_gets_our_fix_not_pydantics_sentence():
    with pytest.raises(ArgsError) as raised:
        run_program(lambda: NeuronServingCluster("chat", cluster_args(max_num_seqs="16")))
    (problem,) = raised.value.problems
    assert problem.field == "max_num_seqs"
    assert "Input should be" not in problem.fix
    assert "a whole number" in problem.fix and "16" in problem.fix


def test_an_output_where_a_plain_value_is_needed_prints_as_output_not_an_address():
    with pytest.raises(ArgsError) as raised:
        run_program(
            lambda: NeuronServingCluster(
                "chat", cluster_args(instance_type=pulumi.Output.from_input("inf2.8xlarge"))
            )
        )
    (problem,) = raised.value.problems
    assert problem.value == "Output[str]"
    assert "object at 0x" not in str(raised.value)


PROJECT = """\
name: two-clusters
runtime: python
"""
PROGRAM = """\
import pulumi
from graviton_llm import NeuronServingCluster

base = {
    "vpc_id": "vpc-0123456789abcdef0",
    "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa"],
    "instance_type": "inf2.8xlarge",
    "model": {"id": "meta-llama/Llama-3.1-8B-Instruct",
              "weights_uri": "s3://team-weights/llama-3.1-8b-instruct/"},
    "max_num_seqs": 8,
    "max_num_batched_tokens": 4096,
}
chat = NeuronServingCluster("chat", {**base, "max_model_length": 4096})
pulumi.export("chat", chat.endpoint)
small = NeuronServingCluster("small", {**base, "min_size": 5})
pulumi.export("small", small.endpoint)
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(PROJECT)
    (tmp_path / "__main__.py").write_text(PROGRAM)
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    return tmp_path


@pytest.mark.slow
def test_plan_json_lists_every_clusters_problems_naming_the_cluster(tmp_path):
    result = CliRunner().invoke(app, ["plan", str(_project(tmp_path)), "--json"])
    assert result.exit_code == 2, result.output
    errors = json.loads(result.stdout)["errors"]
    assert [(e["cluster"], e["field"]) for e in errors] == [
        ("chat", "max_model_length"),
        ("small", "min_size"),
    ]


@pytest.mark.slow
def test_plan_text_names_each_cluster(tmp_path):
    result = CliRunner().invoke(app, ["plan", str(_project(tmp_path))], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert "chat" in result.output and "small" in result.output
    assert "did you mean 'max_model_len'" in result.output


@pytest.mark.parametrize("first_preview", [False, True], ids=["mock-values", "first-preview"])
def test_two_bad_clusters_are_refused_together_in_both_harness_modes(first_preview):
    error = run_program(_two_bad_clusters, catch=True, first_preview=first_preview).error
    assert isinstance(error, ArgsError)
    assert [p.component for p in error.problems] == ["chat", "small"]
