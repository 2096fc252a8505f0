"""`graviton-llm rollout status`: where a cluster's rollout is, read from EC2 Auto Scaling.

A cluster's group is found by its tags (components/parts/tagging.py: `graviton-llm:component` = the
cluster's name, ManagedBy = graviton-llm, and the stack's `graviton-llm:project` and
`graviton-llm:stack`), its refreshes from DescribeInstanceRefreshes (newest first), each shown
with a progress bar from PercentageComplete, the instances left, the version it moves to and,
when it failed or rolled back, AWS's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..components.parts.tagging import COMPONENT_TAG, MANAGED_BY, PROJECT_TAG, STACK_TAG
from ..documents.instance_refresh import (
    REJECTED,
    RUNNING,
    desired_template,
    group_after,
    next_steps,
)

BAR_WIDTH = 30


@dataclass(frozen=True)
class GroupRollout:
    cluster: str
    group: str
    refreshes: list[dict[str, Any]]

    @property
    def latest(self) -> dict[str, Any] | None:
        return self.refreshes[0] if self.refreshes else None

    @property
    def failed(self) -> bool:
        return self.latest is not None and self.latest.get("Status") in REJECTED


@dataclass(frozen=True)
class ClusterGroups:
    names: list[str]
    # Found by the cluster's name alone: groups deployed before the stack's lookup tags.
    untagged: bool = False


def cluster_groups(autoscaling: Any, cluster: str, project: str, stack: str) -> ClusterGroups:
    """The Auto Scaling groups of the cluster named ``cluster`` in ``project``'s ``stack``, by
    their tags (components/parts/tagging.py). Another stack's cluster of the same name is never
    one of them; a group deployed before the project and stack tags is, when no tagged group
    is found (``untagged``)."""
    filters = [
        {"Name": f"tag:{COMPONENT_TAG}", "Values": [cluster]},
        {"Name": "tag:ManagedBy", "Values": [MANAGED_BY]},
    ]
    ours: list[str] = []
    untagged: list[str] = []
    for page in autoscaling.get_paginator("describe_auto_scaling_groups").paginate(Filters=filters):
        for found in page.get("AutoScalingGroups", []):
            tags = {t.get("Key"): t.get("Value") for t in found.get("Tags", [])}
            name = found["AutoScalingGroupName"]
            if tags.get(PROJECT_TAG) == project and tags.get(STACK_TAG) == stack:
                ours.append(name)
            elif PROJECT_TAG not in tags and STACK_TAG not in tags:
                untagged.append(name)
    if ours:
        return ClusterGroups(sorted(ours))
    return ClusterGroups(sorted(untagged), untagged=bool(untagged))


def group_rollout(autoscaling: Any, cluster: str, group: str, history: int) -> GroupRollout:
    found = autoscaling.describe_instance_refreshes(
        AutoScalingGroupName=group, MaxRecords=history
    ).get("InstanceRefreshes", [])
    return GroupRollout(cluster, group, list(found))


def progress_bar(percent: Any, width: int = BAR_WIDTH) -> str:
    """`[###########-------------------]  37%`; unknown progress shows as `?`."""
    if not isinstance(percent, int | float):
        return "[" + "?" * width + "]    ?"
    done = round(width * max(0, min(100, percent)) / 100)
    return "[" + "#" * done + "-" * (width - done) + f"] {int(percent):3d}%"


def refresh_lines(refresh: dict[str, Any]) -> list[str]:
    """What an operator reads about one refresh."""
    status = refresh.get("Status", "?")
    started = refresh.get("StartTime")
    when = f" started {started:%Y-%m-%d %H:%M:%S %Z}".rstrip() if started is not None else ""
    target = desired_template(refresh.get("DesiredConfiguration"))
    to = f" to {target[0]} version {target[1]}" if target else ""
    lines = [f"{refresh.get('InstanceRefreshId', '?')} {status}{to}{when}"]
    left = refresh.get("InstancesToUpdate")
    remaining = "" if left is None else f", {left} instance(s) to update"
    if status in RUNNING or status == "Successful":
        lines.append(f"  {progress_bar(refresh.get('PercentageComplete'))}{remaining}")
    if refresh.get("StatusReason"):
        lines.append(f"  reason: {refresh['StatusReason']}")
    rollback = refresh.get("RollbackDetails") or {}
    if rollback:
        at = rollback.get("PercentageCompleteOnRollback")
        lines.append(
            f"  rolled back at {at if at is not None else '?'}%: "
            f"{rollback.get('RollbackReason') or 'no reason given'}"
        )
    if status in REJECTED:
        lines.append(f"  {group_after(refresh)}")
        lines.append(f"  next: {next_steps()}, then `pulumi up`")
    return lines
