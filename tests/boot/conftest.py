from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from sandbox import SCENARIOS, MotoServer, Run, Sandbox

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


class _Scenarios:
    """Every registered scenario started at once on first use; `[name]` waits for one."""

    def __init__(self, tmp_path_factory, moto: MotoServer) -> None:
        self._tmp, self._moto = tmp_path_factory, moto
        self._futures: dict[str, Future] = {}
        self._boxes: list[Sandbox] = []
        self._pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))

    def _start(self) -> None:
        for name, setup in SCENARIOS.items():
            box = Sandbox(self._tmp.mktemp(name[:40]), self._moto, f"weights-{next(_buckets)}")
            self._moto.client("s3").create_bucket(Bucket=box.bucket)
            self._boxes.append(box)
            self._futures[name] = self._pool.submit(lambda s=setup, b=box: (b, s(b)))

    def __getitem__(self, name: str) -> tuple[Sandbox, Run]:
        if not self._futures:
            self._start()
        return self._futures[name].result(timeout=120)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for box in self._boxes:
            box.stop()


@pytest.fixture(scope="session")
def scenarios(tmp_path_factory, moto) -> Iterator[_Scenarios]:
    runner = _Scenarios(tmp_path_factory, moto)
    yield runner
    runner.close()


@pytest.fixture
def booted(scenarios) -> SimpleNamespace:
    """One inf2.8xlarge node booted from scratch, then its boot script run a second time."""
    return scenarios["booted"][1]
