"""How long a team's program may run under the mock engine: a default the CLI's options show
without importing the engine (plan/isolation.py enforces it)."""

from __future__ import annotations

DEFAULT_TIMEOUT_S = 300.0
"""Ours: the largest project we plan takes under 20 s on two cores; a program still running after
five minutes under mocks waits on something that never comes."""
