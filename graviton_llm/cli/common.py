"""What every command shares: this run's console (text printed as text, never as markup:
safeio/terminal.py), the one bad-input path (exit code 2 and one readable paragraph or list,
never a traceback), guards for numeric options, the stack's args and AWS clients (one place, so
tests replace them)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..plan.limits import DEFAULT_TIMEOUT_S
from ..safeio.bounds import finite_option
from ..safeio.exits import ExitCode
from ..safeio.json_text import to_json
from ..safeio.terminal import console_for_this_run as console_for_this_run
from ..safeio.terminal import styled

if TYPE_CHECKING:
    from rich.console import Console

    from ..args import ResolvedClusterArgs
    from ..project.cluster_stacks import ClusterStack

finite = finite_option


def error_document(error: Exception) -> dict[str, Any]:
    """Bad input as `--json` reports it: {"errors": [{"cluster", "component", "field", "value",
    "fix"}]}; "cluster" names the cluster a problem belongs to (null when not a cluster's)."""
    from ..args.refusals import field_problems

    problems = field_problems(error)
    if problems is not None:
        return {
            "errors": [
                {
                    "cluster": p.component if p.kind == "cluster" else None,
                    "component": p.where,
                    "field": p.field,
                    "value": _json_value(p.value),
                    "fix": p.fix,
                }
                for p in problems
            ]
        }
    return {"errors": [{"cluster": None, "component": None, "field": None, "value": None,
                        "fix": one_paragraph(str(error))}]}  # fmt: skip


def _json_value(value: Any) -> Any:
    """A refused value as JSON holds it, else its repr (an Output, a NaN, an object)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)
    return value


def one_paragraph(text: str) -> str:
    """A message on one line: a team program's or a file's words may hold newlines."""
    return " ".join(text.split()) or "(no message)"


def print_error(console: Console, error: Exception) -> None:
    from ..args.refusals import field_problems

    heading = ("Invalid configuration", "bold red")
    problems = field_problems(error)
    if problems is None:
        console.print(styled(heading, ": ", one_paragraph(str(error))))
        return
    console.print(styled(heading, f": {len(problems)} problem(s)"))
    for p in problems:
        # User text is never read as markup (safeio.terminal): a value may hold "[...]".
        where = f"{p.where}: " if p.component else ""
        console.print(styled("  ", where, (p.field, "bold"), " = ", p.shown_value))
        console.print(f"      fix: {p.fix}")


@contextmanager
def input_errors(console: Console, as_json: bool = False) -> Iterator[None]:
    """Bad input: a readable list (or JSON) and exit code 2, never a traceback. Every layer
    reports bad input as a ValueError (pydantic's ValidationError, the stack files'
    ConfigError, safeio's InputFileError, the pricing and performance models' own) or, from a
    component, an ArgsError;
    unreadable files as OSError. (ArgsError is imported only when one is raised: the CLI's
    start does not load Pulumi.)"""
    try:
        yield
    except (ValueError, OSError, ArithmeticError) as error:
        raise _bad_input(console, error, as_json) from None
    except Exception as error:
        from ..args.refusals import ArgsError

        if not isinstance(error, ArgsError):
            raise
        raise _bad_input(console, error, as_json) from None


def _bad_input(console: Console, error: Exception, as_json: bool) -> typer.Exit:
    if as_json:
        sys.stdout.write(to_json(error_document(error)))
    else:
        print_error(console, error)
    return typer.Exit(ExitCode.BAD_INPUT)


def aws_failed(console: Console, what: str, error: Exception) -> typer.Exit:
    """An AWS call that failed: one paragraph, exit code 3 (not 2: the input was fine). A
    profile the stack names (aws:profile) that this machine's AWS config lacks is bad input."""
    from botocore.exceptions import ProfileNotFound

    if isinstance(error, ProfileNotFound):
        print_error(console, ValueError(f"aws:profile: {error}; add it to your AWS config"))
        return typer.Exit(ExitCode.BAD_INPUT)
    console.print(styled((what, "bold red"), ": ", one_paragraph(str(error))))
    return typer.Exit(ExitCode.AWS_FAILED)


STACK_HELP = "Stack name (stacks/Pulumi.<name>.yaml, in the wheel too) or a stack file's path."
PLAN_STACK_HELP = (
    "Stack name: with PROJECT_DIR (or run in a project's folder), the project's "
    "Pulumi.<name>.yaml; otherwise a shipped stack (stacks/) or a stack file's path."
)


def stack_args_and_config(stack: str) -> tuple[ResolvedClusterArgs, dict[str, Any]]:
    """The stack's cluster args, validated without running the program, and its raw config."""
    from ..project import stack_cluster_args

    return stack_cluster_args(stack)


PROJECT_DIR_HELP = (
    "A team's Pulumi project (its Pulumi.yaml; the cluster's args under `<project>:cluster`, "
    "as `graviton-llm new` writes them). Default: the current folder when it holds one, else "
    "this package's shipped stacks."
)


CLUSTER_HELP = "With a team project declaring several clusters: the one to act on (its name)."


def program_timeout_option() -> Any:
    """--program-timeout, for every command that may run a team's program (in a child process,
    plan/isolation.py): a program that loops ends the command with exit code 2."""
    return typer.Option(
        DEFAULT_TIMEOUT_S,
        "--program-timeout",
        callback=finite(1, 86_400),
        envvar="GRAVITON_LLM_PROGRAM_TIMEOUT",
        help="Seconds a team's program may run under the mock engine before it is stopped.",
    )


def stack_cluster(
    stack: str,
    project_dir: Path | None,
    cluster: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> ClusterStack:
    """The stack's cluster (plan/stack_cluster.py): a team project's when PROJECT_DIR is
    given or the current folder holds one (its program run in a child process when the
    clusters are not in the stack file), else a shipped stack or a stack file's path."""
    from ..plan.stack_cluster import stack_cluster as find
    from .projects import project_to_plan

    return find(stack, project_to_plan(project_dir), cluster, timeout=timeout)


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
