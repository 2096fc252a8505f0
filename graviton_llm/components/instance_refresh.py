"""InstanceRefresh: starts the refresh that rolls a new launch template version out, so that a
rollback restores the previous version (documents/instance_refresh.py says why the provider's own
refresh cannot).

A Pulumi dynamic resource: `pulumi preview` only compares its request with the last one; `pulumi up`
calls StartInstanceRefresh through boto3 with the credentials of the deploying machine, and
returns once AWS has accepted the refresh (which then takes about one cold start per node). The
first deployment starts nothing: the group was just created on this version.
"""

from __future__ import annotations

from typing import Any

import pulumi

from .refresh_provider import RefreshInProgressError, RefreshProvider, start_refresh

# Stacks deployed before the provider moved hold a pickle naming this module's class.
_RefreshProvider = RefreshProvider


__all__ = ["InstanceRefresh", "RefreshInProgressError", "start_refresh"]


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
            RefreshProvider(),
            name,
            {"region": region, "request": request, "retry": retry, "instance_refresh_id": None},
            opts,
        )
