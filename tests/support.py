"""Shared fixtures: a valid cluster config and a runner that builds it under Pulumi mocks."""

from __future__ import annotations

import copy
import os
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from graviton_llm import ArgsError, NeuronServingCluster
from graviton_llm.testing import ProgramResult, run_program

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("GRAVITON_LLM_UPDATE_GOLDEN") == "1"

KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

BASE_ARGS: dict[str, Any] = {
    "vpc_id": "vpc-0123456789abcdef0",
    "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
    "instance_type": "inf2.8xlarge",
    "model": {
        "id": "meta-llama/Llama-3.1-8B-Instruct",
        "weights_uri": "s3://team-weights/llama-3.1-8b-instruct/",
    },
    "max_num_seqs": 8,
    "max_num_batched_tokens": 4096,
}


_HANDED_OUT: set[int] = set()
_HANDED_OUT_LOCK = threading.Lock()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now and that no earlier call in
    this process returned: boot scenarios run side by side and bind their ports seconds after
    asking, so the kernel could otherwise hand a port still waiting for its server to another."""
    with _HANDED_OUT_LOCK:
        while True:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            if port not in _HANDED_OUT:
                _HANDED_OUT.add(port)
                return port


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


def error_messages(error: BaseException | None) -> dict[str, str]:
    """{"field.path": message} for every problem a ValidationError (an args model's) or an
    ArgsError (a component's refusal) lists."""
    if isinstance(error, ArgsError):
        return {p.field: p.fix for p in error.problems}
    assert isinstance(error, ValidationError), f"not a refusal: {error!r}"
    return {".".join(map(str, e["loc"])): e["msg"] for e in error.errors()}


def assert_refused(overrides: dict[str, Any], field: str, words: str) -> None:
    """The args are refused naming `field` with `words` in the message, and building the
    cluster from them registers nothing."""
    from graviton_llm import NeuronServingClusterArgs

    with pytest.raises(ValidationError) as caught:
        NeuronServingClusterArgs.model_validate(cluster_args(**overrides))
    messages = error_messages(caught.value)
    assert field in messages, f"{field} not among {sorted(messages)}"
    assert words in messages[field]
    result = build_cluster(cluster_args(**overrides), catch=True)
    assert isinstance(result.error, ArgsError)
    assert field in error_messages(result.error)
    assert result.resources == []


@pytest.fixture(scope="session")
def inf2_cluster() -> ProgramResult:
    """The base cluster, built once: its users only read what it registered."""
    return build_cluster(cluster_args())
