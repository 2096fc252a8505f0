"""`compile`: pre-warm a stack's compiled-artifact cache before a rollout."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import STACK_HELP, console_for_this_run, input_errors


@app.command("compile")
def compile_(
    stack: str = typer.Option("dev", help=STACK_HELP),
    output: Annotated[
        Path | None,
        typer.Option(help="The job's user data file (default: compile-<stack>.user-data.gz)."),
    ] = None,
    script: bool = typer.Option(False, "--script", help="Print the job's script instead."),
) -> None:
    """Pre-warm the artifact cache before a rollout: writes the user data of a one-off job and
    prints the command that runs it. The job boots like a node of the stack (its launch
    template, role, image, weights and container command), compiles once, publishes the
    artifacts and terminates; the first node of the rollout then downloads them."""
    from ..plan.prewarm import prewarm_job

    console = console_for_this_run()
    with input_errors(console):
        job = prewarm_job(stack)
    if script:
        sys.stdout.write(job.script)
        return
    path = output or Path(f"compile-{job.stack}.user-data.gz")
    with input_errors(console):
        try:
            path.write_bytes(job.user_data)
        except OSError as error:
            raise ValueError(
                f"--output {path}: cannot write the job's user data there ({error.strerror}); "
                "give a file in an existing, writable folder"
            ) from None
    for line in (
        f"artifact cache {job.cache_prefix} (static key {job.static_key}; the weights' digest "
        "is added at boot)",
        f"wrote {path} ({len(job.user_data):,} bytes, gzip); run it once, after `pulumi up` "
        "created the launch template and before the rollout:",
        job.command(str(path)),
        f"done when `aws s3 ls {shlex.quote(job.cache_prefix)} --recursive` lists a "
        "manifest.json; "
        "`aws ec2 get-console-output` shows the job's log",
    ):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
