"""The dynamic provider behind InstanceRefresh: what `pulumi up` runs on the deploying machine.

Pulumi pickles it (dill) into the stack and rebuilds it in its own provider process, then calls
`configure` with the stack's config; it keeps no other state. Deployed stacks hold the pickle,
which names this class by module path (a contract: keep the name importable).

- `create`: the group was just created on the version: nothing to roll out.
- `diff`: a changed request, region or retry is a rollout (none while `hold` is set: the group
  keeps its version, the stored request stays the last one rolled out, so releasing the hold
  rolls the new version out), unless the group's last refresh to
  that same launch template version failed or was rolled back: then the change (say a node
  count that moves MinHealthyPercentage) would silently roll the rejected version out again,
  and the preview fails saying so instead (raise `retry` to try it again on purpose).
- `update`: StartInstanceRefresh with the request typed by botocore's model (the engine hands
  numbers over as floats); with `wait`, polls DescribeInstanceRefreshes until the refresh
  succeeds, and fails `pulumi up` when it fails, is cancelled or rolls back.
- `read` (`pulumi refresh`): the group's refresh as AWS reports it, so a rollback shows as drift.
"""

from __future__ import annotations

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
    desired_template,
)
from . import aws_session
from .api_shapes import conform_request

POLL_SECONDS = 30  # ours: a node takes minutes; DescribeInstanceRefreshes is cheap
# Keys whose change starts a rollout; `wait` and the credentials only change how.
ROLLOUT_KEYS = ("request", "region", "retry")


class RefreshInProgressError(RuntimeError):
    """A refresh already runs (perhaps a rollback): starting another would cancel it."""


class RolloutFailedError(RuntimeError):
    """The refresh failed, was cancelled or rolled back: the group runs the old version."""


class RolloutRejectedError(RuntimeError):
    """The change would roll out again a version whose last refresh failed or rolled back."""


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
                f"the rollout on {group} did not complete: {describe_outcome(refresh)}; the "
                "group keeps its previous launch template version. Fix the cause, then raise "
                "rollout.retry (or deploy a new version) and run `pulumi up` again"
            )
        if clock() >= deadline:
            raise TimeoutError(
                f"the rollout on {group} is still running after {timeout_seconds:g} s "
                f"({describe_outcome(refresh)}); it goes on: follow it with `graviton-llm "
                "rollout status`, or raise rollout.wait_timeout_minutes"
            )
        sleep(POLL_SECONDS)


class RefreshProvider(ResourceProvider):
    """Starts a refresh when the request changes; never re-runs a rejected one silently."""

    def __init__(
        self,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._sleep, self._clock = sleep, clock
        self._stack_aws: dict[str, Any] = {}

    def configure(self, req: ConfigureRequest) -> None:
        self._stack_aws = aws_session.settings_from_config(req.config.get)

    def _client(self, props: dict[str, Any]) -> Any:
        explicit = props.get("aws")
        settings = aws_session.merged(getattr(self, "_stack_aws", {}), explicit)
        region = props["region"]
        return aws_session.session(settings, region).client("autoscaling", region_name=region)

    def _outs(self, props: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {**props, "aws": aws_session.without_credentials(props.get("aws")), **extra}

    def create(self, props: dict[str, Any]) -> CreateResult:
        group = props["request"]["AutoScalingGroupName"]
        return CreateResult(id_=f"{group}-refresh", outs=self._outs(props, instance_refresh_id=""))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if news.get("hold") is True:
            return DiffResult(changes=False, replaces=[], delete_before_replace=False)
        changed = [key for key in ROLLOUT_KEYS if olds.get(key) != news.get(key)]
        # On a first preview the request, or an explicit provider's keys, may not be known:
        # update checks again before it starts anything.
        if (
            changed
            and "request" in olds
            and _known(news.get("request"))
            and _known(news.get("aws"))
        ):
            self._refuse_rejected_version(olds, news)
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def _refuse_rejected_version(
        self, olds: dict[str, Any], news: dict[str, Any], client: Any = None
    ) -> None:
        """The group's last refresh, if it failed or rolled back on the version ``news`` asks
        for, must not be re-run by an unrelated change: only by a raised `retry`."""
        if olds.get("retry") != news.get("retry"):
            return
        group = news["request"]["AutoScalingGroupName"]
        last = latest_refresh(client or self._client(news), group)
        if last is None or last.get("Status") not in REJECTED:
            return
        target = desired_template(news["request"].get("DesiredConfiguration"))
        if target is not None and desired_template(last.get("DesiredConfiguration")) == target:
            raise RolloutRejectedError(
                f"the last rollout of launch template {target[0]} version {target[1]} on "
                f"{group} did not complete ({describe_outcome(last)}); this change would start "
                "it again. Raise rollout.retry to retry that version on purpose, or deploy a "
                "fixed one"
            )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self._client(news)
        self._refuse_rejected_version(olds, news, client)
        group = news["request"]["AutoScalingGroupName"]
        refresh_id = start_refresh(client, news["request"])
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        status = "Pending"
        if news.get("wait"):
            timeout = float(news.get("wait_timeout_seconds") or 0)
            done = wait_for_refresh(
                client, group, refresh_id, timeout_seconds=timeout,
                sleep=self._sleep, clock=self._clock,
            )  # fmt: skip
            status = str(done.get("Status"))
        outs = self._outs(news, instance_refresh_id=refresh_id, started_at=started, status=status)
        return UpdateResult(outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        group = props["request"]["AutoScalingGroupName"]
        refresh = latest_refresh(self._client(props), group, props.get("instance_refresh_id"))
        if refresh is None:
            return ReadResult(id_=id_, outs=self._outs(props))
        seen = {
            "status": refresh.get("Status"),
            "status_reason": refresh.get("StatusReason"),
            "percentage_complete": refresh.get("PercentageComplete"),
        }
        return ReadResult(id_=id_, outs=self._outs(props, **seen))


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
