"""InstanceRefresh: starts the refresh that rolls a new launch template version out, so that a
rollback restores the previous version (documents/instance_refresh.py says why the provider's own
refresh cannot).

A Pulumi dynamic resource (components/refresh_provider.py): `pulumi preview` compares its request
with the last one and with the group's last refresh in AWS; `pulumi up` calls
StartInstanceRefresh through boto3 signed as the stack's AWS provider (its config, or the
explicit `aws.Provider` the cluster was given), and returns once AWS has accepted the refresh,
or with `wait` once it succeeded (failing when it fails or rolls back). The first deployment
starts nothing: the group was just created on this version.
"""

from __future__ import annotations

from typing import Any

import pulumi

from .refresh_provider import (
    RefreshInProgressError,
    RefreshProvider,
    RolloutFailedError,
    start_refresh,
)

# Stacks deployed before the provider moved hold a pickle naming this module's class.
_RefreshProvider = RefreshProvider

__all__ = [
    "InstanceRefresh",
    "RefreshInProgressError",
    "RolloutFailedError",
    "explicit_provider_settings",
    "start_refresh",
]


def explicit_provider_settings(
    provider: pulumi.ProviderResource | None,
) -> pulumi.Output[dict[str, Any]] | None:
    """What the rollout needs from an explicit `aws.Provider`: the outputs pulumi-aws exposes
    (profile and static keys, the keys secret). Its `assume_roles` are not exposed to a
    program: the rollout chains the stack config's `aws:assumeRoles` from these credentials
    (aws_session.merged, docs/teams.md)."""
    if provider is None:
        return None
    values = [
        getattr(provider, name, None) for name in ("profile", "access_key", "secret_key", "token")
    ]
    return pulumi.Output.all(*values).apply(
        lambda v: {
            "profile": v[0],
            "access_key": v[1],
            "secret_key": v[2],
            "token": v[3],
        }
    )


class InstanceRefresh(pulumi.dynamic.Resource):
    """Rolls the group onto the request's launch template version when the request changes."""

    instance_refresh_id: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        region: pulumi.Input[str],
        request: pulumi.Input[dict[str, Any]],
        retry: int = 0,
        hold: bool = False,
        wait: bool = False,
        wait_timeout_seconds: int = 0,
        aws: pulumi.Input[dict[str, Any]] | None = None,
        group_version: pulumi.Input[str | None] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``group_version``: the launch template version the group's own state names, so that
        a rollout resource added to a running group (rollout.enabled turned on) rolls out a
        version the group does not run yet."""
        settings = None if aws is None else pulumi.Output.secret(aws)
        super().__init__(
            RefreshProvider(),
            name,
            {
                "region": region,
                "request": request,
                "retry": retry,
                "hold": hold,
                "wait": wait,
                "wait_timeout_seconds": wait_timeout_seconds,
                "aws": settings,
                "group_version": group_version,
                "instance_refresh_id": None,
                "status": None,
            },
            opts,
        )
