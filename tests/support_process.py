"""A plugin started as the engine starts it: a child process on 127.0.0.1 that prints the port
it serves gRPC on, stopped by its own handle when the test is done."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc

from reaping import die_with_parent


@contextlib.contextmanager
def plugin_channel(
    args: list[str], cwd: Path, python: str = sys.executable
) -> Iterator[grpc.Channel]:
    """Run ``python <args>`` in ``cwd`` and yield a channel to the port it prints first."""
    child = subprocess.Popen(
        [python, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, preexec_fn=die_with_parent(),
    )  # fmt: skip
    try:
        assert child.stdout is not None
        first = child.stdout.readline()  # the engine, too, waits for this line
        if not first.strip().isdigit():
            child.kill()
            raise AssertionError(f"no port printed: {first!r} {child.communicate()[1][-2000:]}")
        with grpc.insecure_channel(f"127.0.0.1:{int(first)}") as channel:
            grpc.channel_ready_future(channel).result(timeout=60)
            yield channel
    finally:
        child.kill()
        child.communicate()
