"""`plan` (a stack or a team's project, offline) and `ami` (pin the nodes' image)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import common, projects
from .common import (
    PLAN_STACK_HELP,
    STACK_HELP,
    console_for_this_run,
    input_errors,
)

if TYPE_CHECKING:
    from rich.console import Console


def plan(
    project_dir: Annotated[
        Path | None,
        typer.Argument(
            help="A Pulumi project's folder (Pulumi.yaml): plan the team's own program. "
            "Default: the current folder when it holds a project, else this package's program.",
            show_default=False,
        ),
    ] = None,
    stack: str = typer.Option("dev", help=PLAN_STACK_HELP),
    json_output: bool = typer.Option(False, "--json", help="Print the plan as JSON instead."),
    full: bool = typer.Option(False, help="Include the whole rendered user data."),
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="An earlier `plan --json` document: show what deploying this plan would "
            "create, update, replace or delete.",
        ),
    ] = None,
    stack_references: Annotated[
        Path | None,
        typer.Option(
            "--stack-references",
            help="A YAML or JSON file mapping each stack a StackReference of the project reads "
            "('org/project/stack') to its outputs (as `pulumi stack output --json` prints "
            "them). Without it those values are unknown and the checks over them not judged.",
        ),
    ] = None,
    program_timeout: float = common.program_timeout_option(),
) -> None:
    """Run the stack program offline under the mock engine and print what it would create.

    With a project (PROJECT_DIR, or the current folder's Pulumi.yaml): every resource the team's
    program declares, every cluster in it, the security findings and the cost of all clusters.
    A team's program runs in a child process, stopped after --program-timeout seconds.
    Exit codes: 0 clean, 1 a security check failed, 2 bad configuration (a program that fails,
    loops or ends its process included), 70 a bug of ours.
    """
    from ..plan import build_plan, to_json
    from ..plan.changes_report import print_changes
    from ..plan.diff import cost_change, diff_plans, load_plan_document
    from ..plan.project import project_plan_document
    from ..plan.project_report import print_project_plan
    from ..plan.report import print_plan
    from ..project.stack_references import load_stack_references

    console = console_for_this_run()
    with input_errors(console, as_json=json_output):
        project = projects.project_to_plan(project_dir)
        old = load_plan_document(against) if against is not None else None
        if project is not None:
            references = None
            if stack_references is not None:
                references = load_stack_references(stack_references)
            document = project_plan_document(
                project, stack, full=full, timeout=program_timeout, stack_references=references
            )
        else:
            document = build_plan(stack).document(full=full)
    changes = None if old is None else diff_plans(old, document)
    costs = None if old is None else cost_change(old, document)
    if json_output:
        if changes is not None:
            document["changes"] = [change.as_dict() for change in changes]
            document["cost_change"] = costs
        sys.stdout.write(to_json(document))
    else:
        (print_project_plan if project is not None else print_plan)(console, document)
        if changes is not None:
            print_changes(console, changes, str(against), costs)
        if project is not None:
            _warn_launch_problems(console, project)
    if not document["security"]["passed"]:
        raise typer.Exit(1)


def _warn_launch_problems(console: Console, project_dir: Path) -> None:
    """What would keep `pulumi up` from starting the project's plugins (the rollout's dynamic
    provider among them), though the offline plan ran."""
    from ..project.files import project_file
    from ..project.plugin_launch import plugin_launch_problems

    found = project_file(project_dir.resolve())
    for problem in plugin_launch_problems(found) if found else []:
        console.print(f"warning: {found}: {problem}", highlight=False, markup=False)


def ami(
    project_dir: Annotated[
        Path | None, typer.Argument(help=common.PROJECT_DIR_HELP, show_default=False)
    ] = None,
    stack: str = typer.Option("dev", help=STACK_HELP),
    cluster: str | None = typer.Option(None, help=common.CLUSTER_HELP),
    write: bool = typer.Option(False, "--write", help="Pin the latest image in the stack file."),
    program_timeout: float = common.program_timeout_option(),
) -> None:
    """The stack's pinned AMI against the latest its SSM parameter names (needs AWS
    credentials); --write pins the latest, for review with `plan --against`."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ..project import ami_pin

    console = console_for_this_run()
    with input_errors(console):
        target = common.stack_cluster(stack, project_dir, cluster, program_timeout)
        args, region = target.args, target.region
    try:
        ec2 = common.ec2_client(region, target.config, console)
        ssm = common.client("ssm", region, target.config)
        parameter, newest = ami_pin.latest(ssm, ec2, args.spec)
        pinned = ami_pin.describe(ec2, args.ami_id) if isinstance(args.ami_id, str) else None
    except (BotoCoreError, ClientError) as error:
        raise common.aws_failed(console, "AWS lookup failed", error) from None
    for label, image in (("pinned", pinned), ("latest", newest)):
        if image is None:
            console.print(f"{label}: none: every deploy takes the latest ({parameter})")
        else:
            console.print(
                f"{label}: {image.image_id} {image.name or ''} created {image.created or '?'} "
                f"root {image.root_device or '?'}",
                highlight=False,
            )
    if pinned is not None and pinned.image_id == newest.image_id:
        console.print("the pin is the latest image")
    elif write:
        with input_errors(console):
            if not target.key:
                raise ValueError(
                    "--write: this project's program builds its clusters from its own config; "
                    f"set ami_id: {newest.image_id} where it reads the cluster's args"
                )
            ami_pin.write_pin(target.path, newest.image_id, key=target.key)
        console.print(f"pinned {newest.image_id}; review the rollout with `plan --against`")


def register(app: typer.Typer) -> None:
    app.command()(plan)
    app.command()(ami)
