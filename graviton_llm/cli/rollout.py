"""`rollout status`: a cluster's instance refreshes, from EC2 Auto Scaling, signed as the
stack's own AWS provider (its aws:profile, aws:assumeRoles). Exit codes (safeio/exits.py): 0
nothing failed, 1 the latest refresh failed or rolled back, 2 bad input, 3 an AWS call failed,
4 a cluster has no group this stack deployed there (another account or region, or not deployed
yet)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from ..safeio.exits import ExitCode
from . import common
from .common import STACK_HELP, console_for_this_run, input_errors

rollout_app = typer.Typer(help="Follow a cluster's rollouts (instance refreshes).")


@dataclass(frozen=True)
class StackClusters:
    clusters: list[str]
    region: str
    project: str
    stack: str
    config: dict[str, Any]


def _clusters(stack: str, project_dir: Path | None, timeout: float) -> StackClusters:
    """The names of the stack's clusters, its region and AWS settings: a shipped stack's one
    cluster, or every NeuronServingCluster a team's program declares (run offline in a child
    process with a time limit, as `plan` runs it)."""
    from ..plan.stack_cluster import project_clusters
    from ..project.main import PROJECT
    from .projects import project_to_plan

    project = project_to_plan(project_dir)
    if project is None:
        target = common.stack_cluster(stack, None)
        return StackClusters(
            [target.shipped_cluster_name], target.region, PROJECT, target.stack, target.config
        )
    found = project_clusters(project, stack, timeout=timeout)
    return StackClusters(
        found.names, found.stack.region, found.project.name, found.stack.stack, found.stack.config
    )


@rollout_app.command("status")
def status(
    project_dir: Annotated[
        Path | None, typer.Argument(help=common.PROJECT_DIR_HELP, show_default=False)
    ] = None,
    stack: str = typer.Option("dev", help=STACK_HELP),
    group: str | None = typer.Option(
        None,
        help="The Auto Scaling group (`pulumi stack output auto_scaling_group`) instead of "
        "finding it by the cluster's tags.",
    ),
    history: int = typer.Option(1, min=1, max=100, help="Refreshes to show per group."),
    program_timeout: float = common.program_timeout_option(),
) -> None:
    """Where the stack's rollout is: each refresh's status, a progress bar, the instances left,
    the launch template version it moves to, and why it failed or rolled back."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ..plan.rollout_status import cluster_groups, group_rollout, refresh_lines

    console = console_for_this_run()
    with input_errors(console):
        found = _clusters(stack, project_dir, program_timeout)
    rollouts, missing = [], []
    try:
        session = common.stack_session(found.config, found.region, console)
        autoscaling = session.client("autoscaling", region_name=found.region)
        for cluster in found.clusters:
            groups = cluster_groups(autoscaling, cluster, found.project, found.stack)
            names = [group] if group else groups.names
            if groups.untagged and not group:
                console.print(
                    f"note: {cluster}: found by its cluster name only: its group predates the "
                    "graviton-llm:project and graviton-llm:stack tags (the next `pulumi up` "
                    "adds them); make sure it is this stack's",
                    highlight=False, markup=False,
                )  # fmt: skip
            if not names:
                missing.append(cluster)
            rollouts += [group_rollout(autoscaling, cluster, g, history) for g in names]
        account = _account(session, found.region) if missing else ""
    except (BotoCoreError, ClientError) as error:
        raise common.aws_failed(console, "AWS lookup failed", error) from None
    for cluster in missing:
        console.print(
            f"{cluster}: no Auto Scaling group of project {found.project} stack {found.stack} "
            f"in {account}{found.region}: not deployed there (another account or region?), or "
            "give --group",
            highlight=False, markup=False,
        )  # fmt: skip
    for rollout in rollouts:
        console.print(f"{rollout.cluster}: group {rollout.group} ({found.region})", markup=False)
        if not rollout.refreshes:
            console.print("  no instance refresh yet: the group runs the version it was created on")
        for refresh in rollout.refreshes:
            for line in refresh_lines(refresh):
                console.print(line, highlight=False, markup=False, soft_wrap=True)
    if any(rollout.failed for rollout in rollouts):
        raise typer.Exit(ExitCode.CHECK_FAILED)
    if missing:
        raise typer.Exit(ExitCode.NOT_FOUND)


def _account(session: Any, region: str) -> str:
    """``account 123456789012 `` of the credentials in use, to tell a wrong account at once."""
    identity = session.client("sts", region_name=region).get_caller_identity()
    return f"account {identity['Account']} "


def register(app: typer.Typer) -> None:
    app.add_typer(rollout_app, name="rollout")
