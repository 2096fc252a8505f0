"""Shared fixtures: a valid cluster config and a runner that builds it under Pulumi mocks."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from graviton_llm import NeuronServingCluster
from graviton_llm.testing import ProgramResult, run_program

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("GRAVITON_LLM_UPDATE_GOLDEN") == "1"

BASE_ARGS: dict[str, Any] = {
    "vpc_id": "vpc-0abc",
    "subnet_ids": ["subnet-0a", "subnet-0b"],
    "instance_type": "inf2.8xlarge",
    "model": {
        "id": "meta-llama/Llama-3.1-8B-Instruct",
        "weights_uri": "s3://team-weights/llama-3.1-8b-instruct/",
    },
    "max_num_seqs": 8,
    "max_num_batched_tokens": 4096,
}


def cluster_args(**overrides: Any) -> dict[str, Any]:
    """BASE_ARGS with top-level overrides; `model` overrides merge into the model dict."""
    args = copy.deepcopy(BASE_ARGS)
    model = overrides.pop("model", None)
    if model is not None:
        args["model"].update(model)
    args.update(overrides)
    return args


def build_cluster(args: dict[str, Any], name: str = "llm", **kwargs: Any) -> ProgramResult:
    return run_program(lambda: NeuronServingCluster(name, args), **kwargs)


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN or not path.exists():
        path.write_text(text)
        if not UPDATE_GOLDEN:
            pytest.fail(f"golden file {path} was missing and has been written; review it")
    assert text == path.read_text(), f"{name} differs from its golden file (review, then rerun "
    "with GRAVITON_LLM_UPDATE_GOLDEN=1)"


@pytest.fixture
def inf2_cluster() -> ProgramResult:
    return build_cluster(cluster_args())
