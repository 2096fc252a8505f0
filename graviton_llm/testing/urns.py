"""Resource URNs as the engine makes them, and its refusal of a second resource with the same one.

The engine builds a URN from the stack, the project, the parent's qualified type (its own type
after every ancestor's, the root stack left out), the resource's type and its name, and fails the
deployment on a second registration of a URN it has seen ("Duplicate resource URN '...'; try
giving it a unique name": pulumi/pulumi pkg/resource/deploy/step_generator.go, generateURN;
pkg/resource/deploy/deployment.go, generateURN; sdk/go/common/diag/errors.go,
GetDuplicateResourceURNError). Pulumi's MockMonitor accepts the second one and overwrites the
first, and keeps only the parent's last type, so two clusters named alike planned as one stack of
twice the resources. Parents' names are not part of a URN: two children named alike under
two parents of one type collide too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


class DuplicateResourceUrn(Exception):
    """A second resource with a URN the program registered before: the engine refuses it."""

    urn: str
    type: str
    name: str

    def __init__(self, urn: str, type_: str, name: str, first: str | None, second: str | None):
        self.urn, self.type, self.name = urn, type_, name
        kind = type_.rsplit(":", 1)[-1]
        where = ""
        if first or second:
            where = f" (at {first or 'an unknown place'} and at {second or 'an unknown place'})"
        super().__init__(
            f"Duplicate resource URN '{urn}'; try giving it a unique name: two {kind} resources "
            f"are named {name!r}{where}. A URN is the type, the parents' types and the name, so "
            f"each {kind} in a stack needs a name of its own (the engine refuses the second)"
        )


def engine_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """The URN the engine gives ``type_`` named ``name`` under the resource of URN ``parent``."""
    if parent:
        qualified = parent.split("::")[2]
        if qualified != ROOT_STACK_TYPE:
            type_ = f"{qualified}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def declared_at(request: Any) -> str | None:
    """Where the program declared a registered resource (the SDK's source position), as
    ``file:line`` relative to the working directory when it is below it."""
    position = getattr(request, "sourcePosition", None)
    if position is None or not position.uri:
        return None
    path = Path(unquote(urlparse(position.uri).path))
    with contextlib.suppress(ValueError):  # elsewhere: shown whole
        path = path.relative_to(Path(os.getcwd()))
    return f"{path}:{position.line}"
