from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from sandbox import MotoServer, Sandbox

_buckets = itertools.count()


@pytest.fixture(scope="session")
def moto(tmp_path_factory) -> Iterator[MotoServer]:
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


@contextmanager
def _sandbox(tmp: Path, moto: MotoServer) -> Iterator[Sandbox]:
    bucket = f"weights-{next(_buckets)}"
    moto.client("s3").create_bucket(Bucket=bucket)
    box = Sandbox(tmp, moto, bucket)
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture
def sandbox(tmp_path, moto) -> Iterator[Sandbox]:
    with _sandbox(tmp_path, moto) as box:
        yield box


@pytest.fixture(scope="module")
def booted(tmp_path_factory, moto) -> Iterator[SimpleNamespace]:
    """One inf2.8xlarge node booted from scratch, then its boot script run a second time."""
    with _sandbox(tmp_path_factory.mktemp("booted"), moto) as box:
        box.upload_weights("llama/")
        box.neuron_devices(1)  # inf2.8xlarge: one Inferentia2 chip
        args = box.args()
        # The engine reports healthy before it can complete (as vLLM does while warming up).
        first = box.run(args, FAKE_VLLM_HEALTHY_AFTER="0.3", FAKE_VLLM_COMPLETE_AFTER="0.6")
        events = box.server_events()
        weights = box.model_files()
        second = box.run(args) if first.returncode == 0 else None
        yield SimpleNamespace(
            sandbox=box, args=args, first=first, second=second, events=events, weights=weights
        )
