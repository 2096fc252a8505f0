"""The one Typer app every command module adds its commands to, and what ends a command that
raised something no layer expected: one paragraph on stderr and exit code 70, never a traceback
that a CI gate would read as exit code 1 ("a check failed")."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from ..safeio.exits import ExitCode
from ..safeio.json_text import to_json
from ..safeio.terminal import console_for_this_run, styled

DEBUG_ENV = "GRAVITON_LLM_DEBUG"


# click's usage error (typer carries its own click): the base of BadParameter, which typer
# exports, and of every parse error (a missing value, an unknown option).
UsageError: type[Exception] = typer.BadParameter.__mro__[1]


class _Commands(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        words = [*getattr(ctx, "_protected_args", ()), *ctx.args]
        try:
            return super().invoke(ctx)
        except UsageError as error:
            if "--json" not in words:
                raise  # click prints the usage and the error, exit code 2
            # `--json` promises one JSON document on stdout, bad flags included.
            from .common import error_document

            message = str(getattr(error, "format_message", error.__str__)())
            sys.stdout.write(to_json(error_document(ValueError(message))))
            raise typer.Exit(ExitCode.BAD_INPUT) from None
        except (typer.Exit, typer.Abort, TyperException):  # chosen exit codes
            raise
        except Exception as error:
            if os.environ.get(DEBUG_ENV):
                raise
            report_internal_error(error)
            raise typer.Exit(ExitCode.INTERNAL_ERROR) from None


def report_internal_error(error: BaseException) -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("graviton-llm")
    except PackageNotFoundError:
        ours = "unknown"
    words = " ".join(str(error).split())[:500] or "(no message)"
    console_for_this_run(stderr=True).print(
        styled(
            ("internal error", "bold red"),
            f" (a bug in graviton-llm {ours}, exit code {int(ExitCode.INTERNAL_ERROR)}): "
            f"{type(error).__name__}: {words}. Please report it with the command you ran; "
            f"{DEBUG_ENV}=1 shows the traceback.",
        )
    )


app = typer.Typer(
    name="graviton-llm",
    cls=_Commands,
    help="LLM serving clusters on AWS Neuron and Graviton4: plan offline, cost, benchmark.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
