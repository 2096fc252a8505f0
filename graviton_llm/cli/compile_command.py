"""`compile`: pre-warm a stack's compiled-artifact cache before a rollout."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from .common import (
    CLUSTER_HELP,
    PROJECT_DIR_HELP,
    STACK_HELP,
    console_for_this_run,
    input_errors,
    program_timeout_option,
)


def compile_(
    project_dir: Annotated[
        Path | None, typer.Argument(help=PROJECT_DIR_HELP, show_default=False)
    ] = None,
    stack: str = typer.Option("dev", help=STACK_HELP),
    cluster: str | None = typer.Option(None, help=CLUSTER_HELP),
    output: Annotated[
        Path | None,
        typer.Option(help="The job's user data file (default: compile-<stack>.user-data.sh)."),
    ] = None,
    script: bool = typer.Option(False, "--script", help="Print the job's script instead."),
    program_timeout: float = program_timeout_option(),
) -> None:
    """Pre-warm the artifact cache before a rollout: writes the user data of a one-off job and
    prints the command that runs it. The job boots like a node of the stack (its launch
    template, role, image, weights and container command), compiles once, publishes the
    artifacts and terminates; the first node of the rollout then downloads them."""
    from ..plan.compile_job import stack_compile_job
    from .projects import project_to_plan

    console = console_for_this_run()
    with input_errors(console):
        job = stack_compile_job(
            stack, project_to_plan(project_dir), cluster, timeout=program_timeout
        )
    if script:
        sys.stdout.write(job.script)
        return
    path = output or Path(f"compile-{job.stack}.user-data.sh")
    with input_errors(console):
        try:
            path.write_bytes(job.user_data)
        except OSError as error:
            raise ValueError(
                f"--output {path}: cannot write the job's user data there ({error.strerror}); "
                "give a file in an existing, writable folder"
            ) from None
    hold = (
        "the stack holds its rollout (rollout.hold: true): if its last `pulumi up` ran with this "
        "config, the node role may publish under this key and nothing rolled out yet"
        if job.held
        else "first set rollout.hold: true in the cluster's args and `pulumi up`: the node role "
        "may publish only under the key its stack deploys, and the hold deploys this key's "
        "grant and launch template without rolling the fleet"
    )
    run_as = (
        f"; as the role the stack assumes ({', '.join(job.assumed_roles)}): the AWS CLI takes "
        "a role through a profile (role_arn, source_profile), so run these with one"
        if job.assumed_roles
        else ""
    )
    for line in (
        f"artifact cache {job.cache_prefix} (static key {job.static_key}; the weights' digest "
        "is added at boot)",
        f"wrote {path} ({len(job.user_data):,} bytes)",
        f"1. {hold}",
        f"2. run the job once{run_as}:",
        job.command(str(path)),
        f"3. done when `aws s3 ls {shlex.quote(job.cache_prefix)} --recursive"
        f"{job.profile_option}` lists a manifest.json (`aws ec2 get-console-output` shows the "
        "job's log)",
        "4. set rollout.hold back to false and `pulumi up`: the rollout's first node downloads "
        "the set",
    ):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("compile")(compile_)
