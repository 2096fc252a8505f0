"""The dynamic provider behind InstanceRefresh: what `pulumi up` runs on the deploying machine.

Pulumi pickles it (dill) into the stack and rebuilds it in its own provider process, then calls
`configure` with the stack's config; it keeps no other state. Deployed stacks hold the pickle,
which names this class by module path (a contract: keep the name importable; stacks from
before it moved name `instance_refresh._RefreshProvider`, an alias, and their pickle holds no
attributes: every attribute below has a class-level default).

- `create`: the group was just created on the version: nothing to roll out, unless the group
  existed before this resource (`rollout.enabled` turned on) and runs another version: then it
  rolls the new one out now.
- `diff`: a change to the request or region, or a raised `retry`, is a change (none while
  `hold` is set: the stored request stays the last one rolled out, so releasing the hold rolls
  the new version out); so are stored outputs that say the version asked for was rejected
  (drift, what `pulumi refresh` read). rollout_decision.py says which changes start a refresh.
- `update`: StartInstanceRefresh with the request typed by botocore's model (the engine hands
  numbers over as floats) when the decision is to start; with `wait`, polls
  DescribeInstanceRefreshes until the refresh succeeds, and fails `pulumi up` when it fails, is
  cancelled or rolls back. Otherwise it stores the change and says why nothing started.
- `read` (`pulumi refresh`): the group's refresh as AWS reports it, so a rollback shows as drift.

What it says beyond its outputs goes to stderr, which the engine shows for dynamic providers
(pulumi `sdk/go/common/resource/plugin/plugin.go`: a dynamic provider's output is not hidden).
"""

from __future__ import annotations

import datetime
import sys
import time
from collections.abc import Callable
from typing import Any

from pulumi.dynamic import (
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from ..documents.instance_refresh import (
    REJECTED,
    SUCCEEDED,
    describe_outcome,
    group_after,
    next_steps,
)
from . import aws_session
from .api_shapes import conform_request
from .rollout_decision import (
    Decision,
    decide,
    lowered_note,
    moves,
    rejected_drift,
    rejected_note,
    rejects,
    retry_lowered,
    seen,
    started_retry,
    stored_changes,
    template_target,
)

POLL_SECONDS = 30  # ours: a node takes minutes; DescribeInstanceRefreshes is cheap
NO_CHANGE = DiffResult(changes=False, replaces=[], delete_before_replace=False)


class RefreshInProgressError(RuntimeError):
    """A refresh already runs (perhaps a rollback): starting another would cancel it."""


class RolloutFailedError(RuntimeError):
    """The refresh failed, was cancelled or rolled back (see the message for what runs)."""


def start_refresh(client: Any, request: dict[str, Any]) -> str:
    """StartInstanceRefresh, refusing to cancel one already running. Returns the refresh id.
    ``request`` is typed by the API model first: the engine hands numbers over as floats."""
    request = conform_request("autoscaling", "StartInstanceRefresh", request)
    try:
        response = client.start_instance_refresh(**request)
    except client.exceptions.InstanceRefreshInProgressFault:
        group = request["AutoScalingGroupName"]
        raise RefreshInProgressError(
            f"an instance refresh already runs on {group} (perhaps rolling back); wait for it "
            f"(graviton-llm rollout status, or aws autoscaling describe-instance-refreshes "
            f"--auto-scaling-group-name {group}) or cancel it, then run `pulumi up` again"
        ) from None
    return str(response["InstanceRefreshId"])


def latest_refresh(client: Any, group: str, refresh_id: str | None = None) -> dict[str, Any] | None:
    """The group's refresh ``refresh_id``, or its latest (AWS lists the newest first)."""
    request: dict[str, Any] = {"AutoScalingGroupName": group, "MaxRecords": 1}
    if refresh_id:
        request["InstanceRefreshIds"] = [refresh_id]
    found = client.describe_instance_refreshes(**request).get("InstanceRefreshes", [])
    return found[0] if found else None


def wait_for_refresh(
    client: Any,
    group: str,
    refresh_id: str,
    *,
    timeout_seconds: float,
    sleep: Callable[[float], Any] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Poll until the refresh succeeds (returned) or fails, is cancelled or rolls back
    (RolloutFailedError); give up after ``timeout_seconds`` (TimeoutError, the refresh goes on)."""
    deadline = clock() + timeout_seconds
    while True:
        refresh = latest_refresh(client, group, refresh_id) or {"InstanceRefreshId": refresh_id}
        status = refresh.get("Status")
        if status in SUCCEEDED:
            return refresh
        if status in REJECTED:
            raise RolloutFailedError(
                f"the rollout on {group} did not complete: {describe_outcome(refresh)}; it "
                f"{group_after(refresh)}. Next: {next_steps()}, then `pulumi up` again"
            )
        if clock() >= deadline:
            raise TimeoutError(
                f"the rollout on {group} is still running after {timeout_seconds:g} s "
                f"({describe_outcome(refresh)}); it goes on: follow it with `graviton-llm "
                "rollout status`, or raise rollout.wait_timeout_minutes"
            )
        sleep(POLL_SECONDS)


def say(note: str) -> None:
    """A line the engine shows with the deployment's diagnostics."""
    print(f"graviton-llm rollout: {note}", file=sys.stderr, flush=True)


class RefreshProvider(ResourceProvider):
    """Starts a refresh when the version changes; never re-runs a rejected one silently."""

    def __init__(
        self,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        super().__init__()
        # ``now``: the credentials' clock (tests move it); None is botocore's own.
        self._sleep, self._clock, self._now = sleep, clock, now
        self._stack_aws: dict[str, Any] = {}

    # A pickle from before the provider moved holds no attributes (nothing __init__ set):
    # the methods read them with these defaults.
    def _timing(self) -> tuple[Callable[[float], Any], Callable[[], float]]:
        return getattr(self, "_sleep", time.sleep), getattr(self, "_clock", time.monotonic)

    def configure(self, req: ConfigureRequest) -> None:
        self._stack_aws = aws_session.settings_from_config(req.config.get)

    def _client(self, props: dict[str, Any]) -> Any:
        settings = aws_session.merged(getattr(self, "_stack_aws", {}), props.get("aws"))
        region = props["region"]
        now = getattr(self, "_now", None)
        return aws_session.session(settings, region, now=now).client(
            "autoscaling", region_name=region
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        group = props["request"]["AutoScalingGroupName"]
        outs: dict[str, Any] = {**props, "instance_refresh_id": "", "note": ""}
        outs["started_retry"] = props.get("retry", 0)
        running = props.get("group_version")
        target = template_target(props)
        if running is not None and target is not None and str(running) != target[1]:
            # The group existed before this resource (rollout.enabled just turned on) and
            # keeps the version it runs (ignore_changes): roll the new one out now.
            outs.update(self._roll(None, props, running=str(running)))
        return CreateResult(id_=f"{group}-refresh", outs=outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if news.get("hold") is True:
            return NO_CHANGE
        if retry_lowered(olds, news):
            say(lowered_note(news, olds))
        drift = rejected_drift(olds, news)
        changes = stored_changes(olds, news) or drift
        # On a first preview the request, or an explicit provider's keys, may not be known:
        # update decides again before it starts anything.
        if changes and _known(news.get("request")) and _known(news.get("aws")):
            self._preview_note(olds, news, drift)
        return DiffResult(changes=changes, replaces=[], delete_before_replace=False)

    def _preview_note(self, olds: dict[str, Any], news: dict[str, Any], drift: bool) -> None:
        """Say at preview (and on `pulumi refresh`) when `pulumi up` will not roll out."""
        if drift:
            refresh = {
                "InstanceRefreshId": olds.get("instance_refresh_id"),
                "Status": olds.get("status"),
                "StatusReason": olds.get("status_reason"),
                "PercentageComplete": olds.get("percentage_complete"),
            }
            say(rejected_note(news, refresh, started_retry(olds)))
        elif moves(olds, news) and "request" in olds:
            last = latest_refresh(self._client(news), news["request"]["AutoScalingGroupName"])
            if decide(olds, news, last) is Decision.DEFER and last is not None:
                say(rejected_note(news, last, started_retry(olds)))

    def _roll(
        self, olds: dict[str, Any] | None, news: dict[str, Any], running: str | None = None
    ) -> dict[str, Any]:
        """Start the refresh ``news`` asks for unless the decision is not to: the outputs
        that say what happened."""
        client = self._client(news)
        group = news["request"]["AutoScalingGroupName"]
        last = latest_refresh(client, group)
        decision = decide(olds, news, last)
        if decision is not Decision.START or news.get("hold") is True:
            kept = dict(seen(last)) if last is not None else {}
            if last is not None and rejects(last, news):
                retry = started_retry(olds) if olds is not None else float(news.get("retry", 0))
                kept["note"] = rejected_note(news, last, retry)
                say(kept["note"])
            if running is not None:  # created, nothing started: remember what the group runs
                kept["request"] = _with_version(news["request"], running)
            return kept
        refresh_id = start_refresh(client, news["request"])
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        status = "Pending"
        if news.get("wait"):
            timeout = float(news.get("wait_timeout_seconds") or 0)
            sleep, clock = self._timing()
            done = wait_for_refresh(
                client, group, refresh_id, timeout_seconds=timeout, sleep=sleep, clock=clock
            )
            status = str(done.get("Status"))
        target = template_target(news)
        return {
            "instance_refresh_id": refresh_id,
            "started_at": started,
            "status": status,
            "status_reason": None,
            "percentage_complete": None,
            "refresh_target": list(target) if target else None,
            "started_retry": news.get("retry", 0),
            "note": "",
        }

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        carried = {
            key: olds.get(key)
            for key in ("instance_refresh_id", "started_at", "status", "status_reason",
                        "percentage_complete", "refresh_target")
        }  # fmt: skip
        carried["started_retry"] = started_retry(olds)
        outs = {**news, **carried, "note": "", **self._roll(olds, news)}
        return UpdateResult(outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        group = props["request"]["AutoScalingGroupName"]
        refresh_id = props.get("instance_refresh_id") or None
        refresh = latest_refresh(self._client(props), group, refresh_id)
        outs = {**props, **(seen(refresh) if refresh is not None else {})}
        return ReadResult(id_=id_, outs=outs)


def _with_version(request: dict[str, Any], version: str) -> dict[str, Any]:
    """``request`` moving the group to ``version`` instead (same template)."""
    desired = dict(request.get("DesiredConfiguration") or {})
    if "LaunchTemplate" in desired:
        desired["LaunchTemplate"] = {**desired["LaunchTemplate"], "Version": version}
    elif "MixedInstancesPolicy" in desired:
        policy = dict(desired["MixedInstancesPolicy"])
        template = dict(policy.get("LaunchTemplate") or {})
        spec = {**(template.get("LaunchTemplateSpecification") or {}), "Version": version}
        policy["LaunchTemplate"] = {**template, "LaunchTemplateSpecification": spec}
        desired["MixedInstancesPolicy"] = policy
    return {**request, "DesiredConfiguration": desired}


def _known(value: Any) -> bool:
    """Not an engine Unknown anywhere (a first preview): nothing to compare with AWS yet."""
    from pulumi.output import Unknown

    if isinstance(value, Unknown):
        return False
    if isinstance(value, dict):
        return all(_known(v) for v in value.values())
    if isinstance(value, list):
        return all(_known(v) for v in value)
    return True
