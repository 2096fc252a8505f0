"""What each security check could not judge: an input it reads whose value only the deployment
will know (an unknown on a preview, e.g. a CIDR from another stack's StackReference output that
the plan was not given). The checks read such a value as absent (reads.view), so without
this a check over a value it never saw would say "pass". The check runs again through a view that
notes each unknown it reads, the one the policy pack watches: an unknown it never looks at (a
group's new VPC id) is not listed. `plan` lists these under each check as "not judged: unknown
until deployed".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..facts.rules import EngineResource
from .checks import CHECKS
from .findings import Revealed
from .reads import Reads, view
from .resource_rows import UNKNOWN_UNTIL_DEPLOYED


@dataclass(frozen=True)
class NotJudged:
    """A resource whose ``inputs`` (paths such as ``ingress[0].cidrBlocks``) a check could not
    see."""

    check: str
    resource: str
    type: str
    inputs: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "type": self.type,
            "inputs": list(self.inputs),
            "reason": UNKNOWN_UNTIL_DEPLOYED,
        }


def not_judged(check: str, resources: Iterable[EngineResource]) -> list[NotJudged]:
    """Each resource with an unknown input the check read when it ran over ``resources``
    (reads.view notes them: an unknown the check never looks at does not count), by name."""
    (rule,) = [r for r in CHECKS if r.id == check]
    watched = [(r, Reads()) for r in resources]
    rule([Revealed(r.type, r.name, view(r.inputs, seen)) for r, seen in watched])
    found = [
        NotJudged(check, r.name, r.type, tuple(dict.fromkeys(_shown(p) for p, _ in seen.unknown)))
        for r, seen in watched
        if seen.unknown
    ]
    return sorted(found, key=lambda n: n.resource)


def _shown(path: tuple[str, ...]) -> str:
    """``("ingress", "0", "cidrBlocks")`` as ``ingress[0].cidrBlocks``."""
    shown = ""
    for part in path:
        shown += f"[{part}]" if part.isdigit() else (f".{part}" if shown else part)
    return shown
