"""Which components a program built. A program may build its clusters anywhere (at module level,
in functions, in loops) and Pulumi keeps no list of the Python objects, so the planner
(`graviton-llm plan PROJECT_DIR`) listens while a team's program runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_listeners: list[list[Any]] = []


@contextmanager
def collecting() -> Iterator[list[Any]]:
    """Every component that calls ``built`` inside the block, in the order they were built."""
    found: list[Any] = []
    _listeners.append(found)
    try:
        yield found
    finally:
        _listeners.remove(found)


def built(component: Any) -> None:
    """Called by a component once it has declared its children."""
    for listener in _listeners:
        listener.append(component)
