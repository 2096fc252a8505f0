"""When the rollout's provider starts a refresh, and what it says when it will not: pure
functions over the resource's stored outputs (``olds``), the program's inputs (``news``) and
the group's last refresh as DescribeInstanceRefreshes reports it.

- A refresh starts when what it would move changes: the group (a replacement starts on the
  stale, ignored version), the launch template version, or the region; or when
  `rollout.retry` goes above the value the last rollout started with. Other request changes
  (a node count moving MinHealthyPercentage, warmup, alarms) are stored for the next
  rollout: replacing every node to apply a refresh preference would be a rollout nobody asked
  for.
- A refresh never starts on a version whose last refresh on the group failed or rolled back,
  unless `retry` moved forward: that is the version the alarms rejected. The change still
  applies (the stored request follows the program), so an incident never blocks scaling.
- `retry` only moves forward: lowering it starts nothing, and raising it back to a value a
  rollout already started with does not count.
- Drift: stored outputs that say the refresh of the version the program asks for failed or
  rolled back (what `read`, hence `pulumi refresh`, found) make the diff report a change, so
  `pulumi refresh` shows it and every `pulumi up` shows the rollout as pending (starting
  nothing) until a new version, a raised retry or the hold settles it.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from ..documents.instance_refresh import (
    REJECTED,
    describe_outcome,
    desired_template,
    group_after,
    next_steps,
)


class Decision(Enum):
    START = "start"  # StartInstanceRefresh
    DEFER = "defer"  # would re-run a rejected version: store the change, start nothing
    RECORD = "record"  # nothing to roll out: store the change


def group_of(props: dict[str, Any]) -> str:
    return str((props.get("request") or {}).get("AutoScalingGroupName"))


def template_target(props: dict[str, Any]) -> tuple[str, str] | None:
    """(launch template, version) the stored or new request moves the group to."""
    return desired_template((props.get("request") or {}).get("DesiredConfiguration"))


def started_retry(olds: dict[str, Any]) -> float:
    """The retry the last rollout started with (stacks from before this output: `retry`)."""
    value = olds.get("started_retry", olds.get("retry"))
    return float(value) if isinstance(value, int | float) else 0.0


def retried(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    value = news.get("retry")
    return isinstance(value, int | float) and float(value) > started_retry(olds)


def retry_lowered(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    value = news.get("retry")
    return isinstance(value, int | float) and float(value) < started_retry(olds)


def moves(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    """Whether the change would start a refresh, before asking AWS how the last one ended."""
    return (
        group_of(olds) != group_of(news)
        or template_target(olds) != template_target(news)
        or olds.get("region") != news.get("region")
        or retried(olds, news)
    )


def stored_changes(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    """Whether the stored request or region would change (retry only when it moves forward)."""
    return (
        olds.get("request") != news.get("request")
        or olds.get("region") != news.get("region")
        or retried(olds, news)
    )


def refresh_target(olds: dict[str, Any]) -> tuple[str, str] | None:
    """The (template, version) of the refresh whose status the outputs hold."""
    stored = olds.get("refresh_target")
    if isinstance(stored, list) and len(stored) == 2:
        return str(stored[0]), str(stored[1])
    return template_target(olds)


def rejected_drift(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    """The stored outputs say the version the program asks for was rejected on this group."""
    return (
        olds.get("status") in REJECTED
        and group_of(olds) == group_of(news)
        and refresh_target(olds) == template_target(news)
        and not retried(olds, news)
    )


def rejects(last: dict[str, Any] | None, news: dict[str, Any]) -> bool:
    """The group's last refresh failed or rolled back on the version ``news`` asks for."""
    return (
        last is not None
        and last.get("Status") in REJECTED
        and desired_template(last.get("DesiredConfiguration")) == template_target(news)
    )


def decide(
    olds: dict[str, Any] | None, news: dict[str, Any], last: dict[str, Any] | None
) -> Decision:
    """``olds`` None: the resource is being created (no retry to compare)."""
    if olds is not None and not moves(olds, news):
        return Decision.RECORD
    if rejects(last, news) and (olds is None or not retried(olds, news)):
        return Decision.DEFER
    return Decision.START


def seen(refresh: dict[str, Any]) -> dict[str, Any]:
    """The outputs that describe a refresh as AWS reports it."""
    target = desired_template(refresh.get("DesiredConfiguration"))
    return {
        "instance_refresh_id": refresh.get("InstanceRefreshId"),
        "status": refresh.get("Status"),
        "status_reason": refresh.get("StatusReason"),
        "percentage_complete": refresh.get("PercentageComplete"),
        "refresh_target": list(target) if target else None,
    }


def rejected_note(news: dict[str, Any], refresh: dict[str, Any], retry: float) -> str:
    """What an operator reads when the provider will not roll a rejected version out."""
    target = template_target(news)
    what = f"launch template {target[0]} version {target[1]}" if target else "this version"
    return (
        f"{group_of(news)}: {what} is not rolled out: its last refresh "
        f"({describe_outcome(refresh)}) {group_after(refresh)}. `pulumi up` does not start "
        f"it again: {next_steps(retry)}. Other changes still apply; the next rollout uses them"
    )


def lowered_note(news: dict[str, Any], olds: dict[str, Any]) -> str:
    return (
        f"{group_of(news)}: rollout.retry went down to {news.get('retry'):g}; it only moves "
        f"forward, so nothing starts (the last rollout started with {started_retry(olds):g}: "
        "raise it above that to run the version again)"
    )
