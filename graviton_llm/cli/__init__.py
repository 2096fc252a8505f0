"""`graviton-llm`: thin commands. Each parses its options, calls the layer that does the work,
prints, and sets the exit code: 0 done, 1 a check failed, 2 bad input (never a traceback)."""

from __future__ import annotations

import sys
from types import ModuleType

from ..bench import cli as bench
from . import compile_command, plan, pricing, projects, rollout, size
from .app import app

# Every command module adds its commands to the app the same way, through its
# ``register(app)``, in this order (the order `graviton-llm --help` lists them); none adds any
# when imported (tests/test_cli_registration.py).
COMMAND_MODULES: tuple[ModuleType, ...] = (
    plan,
    compile_command,
    pricing,
    rollout,
    size,
    bench,
    projects,
)
for _module in COMMAND_MODULES:
    _module.register(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


__all__ = ["app", "main"]
