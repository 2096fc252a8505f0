"""The dynamic provider behind InstanceRefresh: what `pulumi up` runs on the deploying machine.

Pulumi pickles it (dill) into the stack and rebuilds it in its own provider process, so it
keeps no state but what it is constructed with; deployed stacks hold the pickle, which names
this class by module path (a contract: keep the name importable).
"""

from __future__ import annotations

import time
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from .api_shapes import conform_request


class RefreshInProgressError(RuntimeError):
    """A refresh already runs (perhaps a rollback): starting another would cancel it."""


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
            "(aws autoscaling describe-instance-refreshes --auto-scaling-group-name "
            f"{group}) or cancel it, then run `pulumi up` again"
        ) from None
    return str(response["InstanceRefreshId"])


class RefreshProvider(ResourceProvider):
    """Starts a refresh when the request changes; the first deployment starts nothing."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        group = props["request"]["AutoScalingGroupName"]
        return CreateResult(id_=f"{group}-refresh", outs={**props, "instance_refresh_id": ""})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = ("request", "region", "retry")
        changed = [key for key in keys if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        import boto3  # on the deploying machine, only when a refresh really starts

        client = boto3.client("autoscaling", region_name=news["region"])
        refresh_id = start_refresh(client, news["request"])
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return UpdateResult(outs={**news, "instance_refresh_id": refresh_id, "started_at": started})
