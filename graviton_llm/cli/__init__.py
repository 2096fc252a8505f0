"""`graviton-llm`: thin commands. Each parses its options, calls the layer that does the work,
prints, and sets the exit code: 0 done, 1 a check failed, 2 bad input (never a traceback)."""

from __future__ import annotations

import sys

from ..bench.cli import register as register_bench

# Each module adds its commands to the app.
from . import plan, prewarm, pricing, projects, rollout, size  # noqa: F401
from .app import app

register_bench(app)
projects.register()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


__all__ = ["app", "main"]
