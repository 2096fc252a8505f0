"""What every command shares: this run's console (text printed as text, never as markup:
safeio/terminal.py), the one bad-input path (exit code 2 and one readable paragraph or list,
never a traceback), guards for numeric options, the stack's args and AWS clients (one place, so
tests replace them)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console

from ..safeio.bounds import finite_option
from ..safeio.exits import ExitCode
from ..safeio.terminal import console_for_this_run as console_for_this_run
from ..safeio.terminal import styled

finite = finite_option


def _problems(error: Exception) -> list[dict[str, Any]] | None:
    """Each field problem of a validation error, as {field, value, fix, missing}: pydantic's
    own, or one a child process reported (plan/isolation.py ProgramProblems)."""
    if isinstance(error, ValidationError):
        return [
            {
                "field": ".".join(str(part) for part in entry["loc"]) or None,
                "value": entry.get("input"),
                "fix": entry["msg"],
                "missing": entry["type"] == "missing",
                "shown": repr(entry.get("input")),
            }
            for entry in error.errors()
        ]
    problems = getattr(error, "problems", None)
    return problems if isinstance(problems, list) else None


def error_document(error: Exception) -> dict[str, Any]:
    """Bad input as `--json` reports it: {"errors": [{"field", "value", "fix"}]}."""
    problems = _problems(error)
    if problems is not None:
        return {"errors": [{k: p[k] for k in ("field", "value", "fix")} for p in problems]}
    return {"errors": [{"field": None, "value": None, "fix": one_paragraph(str(error))}]}


def one_paragraph(text: str) -> str:
    """A message on one line: a team program's or a file's words may hold newlines."""
    return " ".join(text.split()) or "(no message)"


def print_error(console: Console, error: Exception) -> None:
    heading = ("Invalid configuration", "bold red")
    problems = _problems(error)
    if problems is not None:
        console.print(styled(heading, f": {len(problems)} problem(s)"))
        for problem in problems:
            # A missing field's "input" is the mapping it is missing from: say it is missing.
            given = "(missing)" if problem["missing"] else problem["shown"]
            console.print(styled("  ", (problem["field"] or "(args)", "bold"), f" = {given}"))
            console.print(f"      fix: {problem['fix']}")
    else:
        console.print(styled(heading, ": ", one_paragraph(str(error))))


@contextmanager
def input_errors(console: Console, as_json: bool = False) -> Iterator[None]:
    """Bad input: a readable list (or JSON) and exit code 2, never a traceback. Every layer
    reports bad input as a ValueError (pydantic's ValidationError, the stack files'
    ConfigError, safeio's InputFileError, the pricing and performance models' own);
    unreadable files as OSError."""
    try:
        yield
    except (ValueError, OSError, ArithmeticError) as error:
        if as_json:
            sys.stdout.write(json.dumps(error_document(error), indent=2, default=repr) + "\n")
        else:
            print_error(console, error)
        raise typer.Exit(ExitCode.BAD_INPUT) from None


def aws_failed(console: Console, what: str, error: Exception) -> typer.Exit:
    """An AWS call that failed: one paragraph, exit code 3 (not 2: the input was fine)."""
    console.print(styled((what, "bold red"), ": ", one_paragraph(str(error))))
    return typer.Exit(ExitCode.AWS_FAILED)


STACK_HELP = "Stack name (graviton_llm/stacks/Pulumi.<name>.yaml) or a path to a stack file."
PLAN_STACK_HELP = (
    "Stack name: with PROJECT_DIR (or run in a project's folder), the project's "
    "Pulumi.<name>.yaml; otherwise a shipped stack (graviton_llm/stacks) or a stack file's path."
)


def stack_args_and_config(stack: str):
    """The stack's cluster args, validated without running the program, and its raw config."""
    from ..program import stack_cluster_args

    return stack_cluster_args(stack)


def client(service: str, region: str):
    import boto3

    return boto3.client(service, region_name=region)


def ec2_client(region: str):
    import boto3

    return boto3.client("ec2", region_name=region)
