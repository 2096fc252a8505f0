"""A mock OpenAI-compatible (vLLM-flavoured) server with a known token schedule, for tests and
for checking a client's figures against the server's own timing.

``config`` (what it does) -> ``chunks`` (the bytes it sends) -> ``app`` (the HTTP handlers),
``state`` (what it counted and timed), ``running`` (start it, or run it in a thread).
"""

from .app import STATE, build_app
from .chunks import TOKEN_PIECES, answer_text
from .config import FAULT_KINDS, MockConfig
from .running import RunningMock, mock_in_thread, serve_forever, start
from .state import MockState, ServerTiming

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
