"""InstanceRefresh: starts the refresh that rolls a new launch template version out, so that a
rollback restores the previous version (documents/instance_refresh.py says why the provider's own
refresh cannot).

A Pulumi dynamic resource: `pulumi preview` only compares its request with the last one; `pulumi up`
calls StartInstanceRefresh through boto3 with the credentials of the deploying machine, and
returns once AWS has accepted the refresh (which then takes about one cold start per node). The
first deployment starts nothing: the group was just created on this version.
"""

from __future__ import annotations

import time
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult


class RefreshInProgressError(RuntimeError):
    """A refresh already runs (perhaps a rollback): starting another would cancel it."""


def start_refresh(client: Any, request: dict[str, Any]) -> str:
    """StartInstanceRefresh, refusing to cancel one already running. Returns the refresh id."""
    try:
        response = client.start_instance_refresh(**request)
    except client.exceptions.InstanceRefreshInProgressFault:
        group = request["AutoScalingGroupName"]
        raise RefreshInProgressError(
            f"an instance refresh already runs on {group} (perhaps rolling back); wait for it "
            "(aws autoscaling describe-instance-refreshes --auto-scaling-group-name "
            f"{group}) or cancel it, then run `pulumi up` again"
        ) from None
    refresh_id: str = response["InstanceRefreshId"]
    return refresh_id


class _RefreshProvider(ResourceProvider):
    """Pickled into the stack by Pulumi (dill): keep it free of state and closures."""

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


class InstanceRefresh(pulumi.dynamic.Resource):
    """Rolls the group onto the request's launch template version when the request changes."""

    instance_refresh_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        region: str,
        request: pulumi.Input[dict[str, Any]],
        retry: int = 0,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            _RefreshProvider(),
            name,
            {"region": region, "request": request, "retry": retry, "instance_refresh_id": None},
            opts,
        )
