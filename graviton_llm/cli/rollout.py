"""`rollout status`: a cluster's instance refreshes, from EC2 Auto Scaling (needs AWS
credentials). Exit codes: 0 nothing failed, 1 the latest refresh failed or rolled back, 2 bad
input or AWS unreachable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common
from .app import app
from .common import STACK_HELP, console_for_this_run, input_errors

rollout_app = typer.Typer(help="Follow a cluster's rollouts (instance refreshes).")
app.add_typer(rollout_app, name="rollout")


def _clusters(stack: str, project_dir: Path | None) -> tuple[list[str], str]:
    """The names of the stack's clusters and its region: a shipped stack's one cluster, or
    every NeuronServingCluster a team's program declares (run offline, as `plan` does)."""
    from ..plan.project import build_project_plan
    from .projects import project_to_plan

    project = project_to_plan(project_dir)
    if project is None:
        target = common.stack_cluster(stack, None)
        return [target.shipped_cluster_name], target.region
    plan = build_project_plan(project, stack)
    return sorted(c._name for c in plan.run.clusters), plan.region


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
) -> None:
    """Where the stack's rollout is: each refresh's status, a progress bar, the instances left,
    the launch template version it moves to, and why it failed or rolled back."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ..plan.rollout_status import cluster_groups, group_rollout, refresh_lines

    console = console_for_this_run()
    with input_errors(console):
        clusters, region = _clusters(stack, project_dir)
    rollouts = []
    try:
        autoscaling = common.client("autoscaling", region)
        for cluster in clusters:
            groups = [group] if group else cluster_groups(autoscaling, cluster)
            if not groups:
                console.print(
                    f"{cluster}: no Auto Scaling group tagged graviton-llm:component={cluster} "
                    f"in {region} (not deployed, or give --group)",
                    highlight=False, markup=False,
                )  # fmt: skip
            rollouts += [group_rollout(autoscaling, cluster, g, history) for g in groups]
    except (BotoCoreError, ClientError) as error:
        console.print(f"[bold red]AWS lookup failed[/]: {error}", highlight=False)
        raise typer.Exit(2) from None
    for rollout in rollouts:
        console.print(f"{rollout.cluster}: group {rollout.group} ({region})", markup=False)
        if not rollout.refreshes:
            console.print("  no instance refresh yet: the group runs the version it was created on")
        for refresh in rollout.refreshes:
            for line in refresh_lines(refresh):
                console.print(line, highlight=False, markup=False, soft_wrap=True)
    if any(rollout.failed for rollout in rollouts):
        raise typer.Exit(1)
