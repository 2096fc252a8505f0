"""A mock OpenAI-compatible (vLLM-flavoured) server with a known token schedule, for tests and
for checking a client's figures against the server's own timing.

``config`` (what it does) -> ``chunks`` (the bytes it sends) -> ``app`` (the HTTP handlers),
``state`` (what it counted and timed), ``running`` (start it, or run it in a thread).

Imported on first use (PEP 562): the aiohttp server loads only when a mock is built or run, so
the CLI's `mock-server` options cost nothing at its start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_attributes

if TYPE_CHECKING:
    from .app import STATE, build_app
    from .chunks import TOKEN_PIECES, answer_text
    from .config import FAULT_KINDS, MockConfig
    from .running import RunningMock, mock_in_thread, serve_forever, start
    from .state import MockState, ServerTiming

_WHERE = {
    "STATE": ".app", "build_app": ".app", "TOKEN_PIECES": ".chunks", "answer_text": ".chunks",
    "FAULT_KINDS": ".config", "MockConfig": ".config", "RunningMock": ".running",
    "mock_in_thread": ".running", "serve_forever": ".running", "start": ".running",
    "MockState": ".state", "ServerTiming": ".state",
}  # fmt: skip


__getattr__ = lazy_attributes(__name__, _WHERE, globals())


__all__ = [
    "FAULT_KINDS",
    "STATE",
    "TOKEN_PIECES",
    "MockConfig",
    "MockState",
    "RunningMock",
    "ServerTiming",
    "answer_text",
    "build_app",
    "mock_in_thread",
    "serve_forever",
    "start",
]
