"""The plan's second run: the program as the engine previews it the first time, before anything
exists (graviton_llm.testing's first_preview: every attribute AWS computes on create is
unknown). A program that only works with the mocks' made-up ids fails here, as its first
`pulumi preview` would; one that works says which inputs only the deployment will know, and
each cluster which of its checks wait for deploy-time values (args/deferred.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi.output import Unknown

from ..args.deferred import DeferredCheck
from ..testing import ProgramResult


@dataclass(frozen=True)
class FirstPreview:
    resource_count: int
    unknown_inputs: tuple[str, ...]  # "<resource>.<input>", sorted

    def section(self) -> dict[str, Any]:
        return {
            "resource_count": self.resource_count,
            "unknown_inputs": list(self.unknown_inputs),
        }


def _holds_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(_holds_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_unknown(v) for v in value)
    return False


def first_preview_of(result: ProgramResult) -> FirstPreview:
    unknown = sorted(
        f"{r.name}.{key}"
        for r in result.resources
        for key, value in r.inputs.items()
        if _holds_unknown(value)
    )
    return FirstPreview(len(result.resources), tuple(unknown))


def checked_at_deploy(cluster: Any) -> list[dict[str, str]]:
    """A cluster's checks that wait for values given as Outputs."""
    checks: tuple[DeferredCheck, ...] = cluster.checked_at_deploy
    return [{"field": c.field, "checks": c.checks} for c in checks]
