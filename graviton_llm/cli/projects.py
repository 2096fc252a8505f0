"""Thin commands for teams' own projects: `new` (scaffold), `init-env` (a new environment's
stack file), `state-backend` (the backend's login and secrets-provider lines), and which
project `plan` plans. Registered on the app by ``register``."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from .common import console_for_this_run, input_errors, program_timeout_option


def register(app: typer.Typer) -> None:
    app.command()(new)
    app.command("init-env")(init_env)
    app.command("state-backend")(state_backend_lines)


def project_to_plan(project_dir: Path | None) -> Path | None:
    """PROJECT_DIR; else the current folder when it holds a project other than this
    repository's own (whose stacks are the shipped ones)."""
    from ..project import PROJECT
    from ..project.files import project_name

    if project_dir is not None:
        return project_dir
    name = project_name(Path.cwd())
    return Path.cwd() if name is not None and name != PROJECT else None


def new(
    directory: Annotated[Path, typer.Argument(help="The folder to create the project in.")],
    name: str = typer.Option(None, help="Pulumi project name (default: the folder's name)."),
    state_backend: bool = typer.Option(
        False, "--state-backend", help="The account's state bucket and secrets key instead."
    ),
    force: bool = typer.Option(False, help="Write into a folder that is not empty."),
    requirement: str = typer.Option(
        None,
        help="The requirements.txt line that installs graviton-llm: graviton-llm==VERSION from "
        "your index (default: this version), a wheel file's path or URL, or "
        "'graviton-llm @ git+https://...@TAG'.",
    ),
) -> None:
    """Scaffold a team project: Pulumi.yaml, a program composing one cluster from typed config,
    dev and (stricter) prod stacks, pinned requirements, offline tests and a README on going
    live. Exit codes: 0 written, 2 refused (e.g. a folder that is not empty, without --force)."""
    from ..scaffold import create_project

    console = console_for_this_run()
    with input_errors(console):
        written = create_project(
            directory, name=name, kind="state-backend" if state_backend else "cluster",
            force=force, requirement=requirement,
        )  # fmt: skip
    console.print(f"project {written.project} in {directory}:", highlight=False)
    for path in written.files:
        console.print(f"  {path.relative_to(directory)}", highlight=False)
    console.print(
        f"next: cd {shlex.quote(str(directory))}; read README.md; graviton-llm plan --stack "
        f"{'account' if state_backend else 'dev'}",
        highlight=False,
    )


def init_env(
    name: Annotated[str, typer.Argument(help="The new environment's stack name.")],
    project_dir: Annotated[
        Path, typer.Argument(help="The project's folder (Pulumi.yaml).", show_default=False)
    ] = Path("."),
    base: str = typer.Option(None, "--from", help="Start from this stack's cluster config."),
    region: str = typer.Option(None, help="AWS region (default: --from's, else us-east-1)."),
    vpc_id: str = typer.Option(None, help="The VPC (vpc-...)."),
    subnet_id: Annotated[
        list[str] | None, typer.Option(help="A private subnet per zone (repeat).")
    ] = None,
    instance_type: str = typer.Option(None, help="e.g. inf2.8xlarge, r8g.8xlarge."),
    model: str = typer.Option(None, help="Model id, e.g. meta-llama/Llama-3.1-8B-Instruct."),
    weights_uri: str = typer.Option(None, help="s3://bucket/prefix/ of the weights."),
    min_size: int = typer.Option(None, help="Group minimum size."),
    max_size: int = typer.Option(None, help="Group maximum size."),
    desired_capacity: int = typer.Option(None, help="Nodes at creation."),
    max_model_len: int = typer.Option(None, help="Max tokens (prompt + output)."),
    max_num_seqs: int = typer.Option(None, help="Max concurrent sequences per node."),
    max_num_batched_tokens: int = typer.Option(None, help="Tokens per scheduler step."),
    tensor_parallel_size: int = typer.Option(None, help="NeuronCores per model replica."),
    allowed_cidr: Annotated[
        list[str] | None, typer.Option(help="A client CIDR allowed to the API (repeat).")
    ] = None,
    owner: str = typer.Option(None, help="Owner tag."),
    environment: str = typer.Option(None, help="Environment tag (default: NAME)."),
    force: bool = typer.Option(False, help="Overwrite an existing Pulumi.<NAME>.yaml."),
    program_timeout: float = program_timeout_option(),
) -> None:
    """Write Pulumi.<NAME>.yaml for a new environment from --from's cluster and the flags,
    validated and planned before it is kept, then print its plan summary. Only for projects
    whose config sets `<project>:cluster` (those `graviton-llm new` writes). Exit codes: 0
    written (1 when its plan fails a security check), 2 bad input or a plan that fails (nothing
    written; an existing file left as it was)."""
    from ..plan.project import project_plan_document
    from ..plan.project_report import print_project_summary
    from ..project.environments import undo, write_environment

    settings = {
        "vpc_id": vpc_id, "subnet_ids": subnet_id or None, "instance_type": instance_type,
        "model": model, "weights_uri": weights_uri, "min_size": min_size, "max_size": max_size,
        "desired_capacity": desired_capacity, "max_model_len": max_model_len,
        "max_num_seqs": max_num_seqs, "max_num_batched_tokens": max_num_batched_tokens,
        "tensor_parallel_size": tensor_parallel_size, "allowed_cidrs": allowed_cidr or None,
        "owner": owner, "environment": environment,
    }  # fmt: skip
    console = console_for_this_run()
    with input_errors(console):
        written = write_environment(
            project_dir, name, settings, base=base, region=region, force=force
        )
        try:  # the new stack must plan too: exit 2 leaves the file as it was (or none)
            document = project_plan_document(project_dir, name, timeout=program_timeout)
        except BaseException:
            undo(written)
            raise
    kept = "; every other key, secret and the secrets provider kept" if written.rewritten else ""
    console.print(f"wrote {written.path}{kept}", highlight=False)
    for field, value in written.placeholders:
        console.print(
            f"warning: {field} is a placeholder ({value}){' copied from ' + base if base else ''}"
            f": set it (--{_flag(field)}) before `pulumi up`",
            highlight=False, markup=False,
        )  # fmt: skip
    for field in written.not_copied:
        console.print(
            f"note: {field} is secret in Pulumi.{base}.yaml: not copied (its ciphertext belongs "
            "to that stack); set it with `pulumi config set --secret` once the stack exists",
            highlight=False, markup=False,
        )  # fmt: skip
    print_project_summary(console, document)
    if not document["security"]["passed"]:
        raise typer.Exit(1)


def _flag(field: str) -> str:
    """The init-env flag that sets a cluster field (subnet_ids.0 -> subnet-id)."""
    top = field.split(".")[0]
    name = {"model": "weights-uri", "subnet_ids": "subnet-id"}.get(top, top.replace("_", "-"))
    return name


def state_backend_lines(
    account: str = typer.Option(..., help="The AWS account id (12 digits)."),
    region: str = typer.Option(..., help="The backend's region."),
    name_prefix: str = typer.Option("pulumi-state", help="As the backend's `name_prefix`."),
    bucket: str = typer.Option(None, help="As the backend's `bucket_name`, if set."),
    stack: str = typer.Option("<stack>", help="The stack to create with the secrets provider."),
) -> None:
    """The `pulumi login` and `--secrets-provider` lines of the account's state backend (made
    once per account by a `graviton-llm new DIR --state-backend` project), offline."""
    from ..project.state_backend import setup_lines

    console = console_for_this_run()
    with input_errors(console):
        lines = setup_lines(
            account, region, name_prefix=name_prefix, bucket_name=bucket, stack=stack
        )
    for line in lines:
        sys.stdout.write(line + "\n")
