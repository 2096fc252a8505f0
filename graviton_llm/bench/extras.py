"""What a bench command needs from the ``graviton-llm[bench]`` extra, checked when it runs: a
light install leaves aiohttp, matplotlib and tokenizers out, and a command that needs one exits
with a usage error that says how to install it (never an ImportError)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable

import typer

from ..safeio.exits import ExitCode
from ..safeio.terminal import console_for_this_run, styled

EXTRA = "graviton-llm[bench]"


def require_extra(command: str, modules: Iterable[str]) -> None:
    """Exit 2, naming what is missing and how to install it, when a module ``command`` needs
    from the bench extra is not installed."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        message = (
            f"`graviton-llm {command}` needs {' and '.join(missing)} (optional dependencies of "
            f"{EXTRA}, not installed): pip install '{EXTRA}' (the same version as graviton-llm)"
        )
        console_for_this_run().print(styled(("error", "bold red"), f": {message}"))
        raise typer.Exit(ExitCode.BAD_INPUT)
