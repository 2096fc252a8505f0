"""Attributes a package imports on first use (PEP 562), so importing the package costs nothing
until a name is read: `graviton-llm --help` and the policy pack load no component."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_attributes(
    package: str, where: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """The package's ``__getattr__``: ``where`` maps each name to the module (relative to
    ``package``) that defines it; a name read once is stored in ``namespace``, so the next
    lookup is an ordinary one."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(where[name], package), name)
        namespace[name] = value
        return value

    return __getattr__
