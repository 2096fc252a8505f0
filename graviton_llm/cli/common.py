"""What every command shares: this run's console, the one bad-input path (exit code 2 and a
readable list, never a traceback), guards for numeric options, the stack's args and AWS
clients (one place, so tests replace them)."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from ..args import ResolvedClusterArgs
from ..args.base import ArgsModel
from ..args.refusals import ArgsError, FieldProblem, from_validation_error, models_by_name

if TYPE_CHECKING:
    from ..program.cluster_stacks import ClusterStack


def console_for_this_run() -> Console:
    """This invocation's output. Piped or in CI, rich assumes 80 columns and folds the resource
    table; 140 keeps rows whole (a terminal, or COLUMNS, still decides when present)."""
    wide = sys.stdout.isatty() or "COLUMNS" in os.environ
    return Console(width=None if wide else 140)


def _field_problems(error: Exception) -> list[FieldProblem] | None:
    """Bad args as FieldProblems: a component's refusal, or a model's ValidationError (a stack's
    cluster validated before any program runs) in the same words."""
    if isinstance(error, ArgsError):
        return list(error.problems)
    if isinstance(error, ValidationError):
        model = models_by_name(ArgsModel).get(error.title)
        return from_validation_error(error, model, None, "cluster")
    return None


def error_document(error: Exception) -> dict[str, Any]:
    """Bad input as `--json` reports it: {"errors": [{"cluster", "component", "field", "value",
    "fix"}]}; "cluster" names the cluster a problem belongs to (null when not a cluster's)."""
    problems = _field_problems(error)
    if problems is not None:
        return {
            "errors": [
                {
                    "cluster": p.component if p.kind == "cluster" else None,
                    "component": p.where,
                    "field": p.field,
                    "value": p.value,
                    "fix": p.fix,
                }
                for p in problems
            ]
        }
    return {"errors": [{"cluster": None, "component": None, "field": None, "value": None,
                        "fix": str(error)}]}  # fmt: skip


def print_error(console: Console, error: Exception) -> None:
    problems = _field_problems(error)
    if problems is None:
        console.print(Text.assemble(("Invalid configuration", "bold red"), f": {error}"))
        return
    console.print(f"[bold red]Invalid configuration[/]: {len(problems)} problem(s)")
    for p in problems:
        # User text is never read as markup: a value may hold "[...]" (Output[str]).
        where = f"{p.where}: " if p.component else ""
        line = Text.assemble("  ", where, (p.field, "bold"), " = ", p.shown_value)
        console.print(line, highlight=False)
        console.print(f"      fix: {p.fix}", markup=False, highlight=False)


@contextmanager
def input_errors(console: Console, as_json: bool = False) -> Iterator[None]:
    """Bad input: a readable list (or JSON) and exit code 2, never a traceback. Every layer
    reports bad input as a ValueError (pydantic's ValidationError, the stack files'
    ConfigError, the pricing and performance models' own) or, from a component, an ArgsError;
    unreadable files as OSError."""
    try:
        yield
    except (ValueError, OSError, ArithmeticError, ArgsError) as error:
        if as_json:
            sys.stdout.write(json.dumps(error_document(error), indent=2, default=str) + "\n")
        else:
            print_error(console, error)
        raise typer.Exit(2) from None


def finite(
    minimum: float, maximum: float, *, open_minimum: bool = False
) -> Callable[[float | None], float | None]:
    """A typer callback: the option, when given, is a finite number in range (click's
    FloatRange lets nan through: every comparison with it is false)."""

    def check(value: float | None) -> float | None:
        if value is None:
            return None
        low_ok = value > minimum if open_minimum else value >= minimum
        if not (math.isfinite(value) and low_ok and value <= maximum):
            low = f"> {minimum:g}" if open_minimum else f">= {minimum:g}"
            raise typer.BadParameter(f"{value!r} is not a finite number {low} and <= {maximum:g}")
        return value

    return check


STACK_HELP = "Stack name (stacks/Pulumi.<name>.yaml, in the wheel too) or a stack file's path."
PLAN_STACK_HELP = (
    "Stack name: with PROJECT_DIR (or run in a project's folder), the project's "
    "Pulumi.<name>.yaml; otherwise a shipped stack (stacks/) or a stack file's path."
)


def stack_args_and_config(stack: str) -> tuple[ResolvedClusterArgs, dict[str, Any]]:
    """The stack's cluster args, validated without running the program, and its raw config."""
    from ..program import stack_cluster_args

    return stack_cluster_args(stack)


PROJECT_DIR_HELP = (
    "A team's Pulumi project (its Pulumi.yaml; the cluster's args under `<project>:cluster`, "
    "as `graviton-llm new` writes them). Default: the current folder when it holds one, else "
    "this package's shipped stacks."
)


CLUSTER_HELP = "With a team project declaring several clusters: the one to act on (its name)."


def stack_cluster(stack: str, project_dir: Path | None, cluster: str | None = None) -> ClusterStack:
    """The stack's cluster (plan/stack_cluster.py): a team project's when PROJECT_DIR is
    given or the current folder holds one, else a shipped stack or a stack file's path."""
    from ..plan.stack_cluster import stack_cluster as find
    from .projects import project_to_plan

    return find(stack, project_to_plan(project_dir), cluster)


def stack_aws_settings(config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The AWS settings a stack's resources deploy with (`aws:profile`, `aws:assumeRoles`,
    static keys), read from its stack file as the rollout's provider reads them
    (components/aws_session.py), and the keys left out: an encrypted value (`secure:`) cannot
    be read without the stack's secrets provider, so the default chain supplies it."""
    from ..components import aws_session

    skipped: list[str] = []

    def get(key: str) -> Any:
        value = config.get(key)
        if isinstance(value, dict) and "secure" in value:
            skipped.append(key)
            return None
        return value

    return aws_session.settings_from_config(get), skipped


def stack_session(config: dict[str, Any], region: str, console: Console | None = None) -> Any:
    """A boto3 session signing as the stack's own AWS provider (its profile, its roles)."""
    from ..components import aws_session

    settings, skipped = stack_aws_settings(config)
    if skipped and console is not None:
        console.print(
            f"note: {', '.join(skipped)} encrypted in the stack file: this machine's default "
            "AWS credentials stand in for it",
            highlight=False,
            markup=False,
        )
    return aws_session.session(settings, region)


def client(
    service: str,
    region: str,
    config: dict[str, Any] | None = None,
    console: Console | None = None,
) -> Any:
    """An AWS client for ``region``; with the stack's ``config``, signed as its resources are."""
    return stack_session(config or {}, region, console).client(service, region_name=region)


def ec2_client(
    region: str, config: dict[str, Any] | None = None, console: Console | None = None
) -> Any:
    return client("ec2", region, config, console)
