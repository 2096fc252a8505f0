"""Offline review: build the plan under the mock engine, judge it (security findings), print it.

The names below are imported on first use (PEP 562): the CLI reads plan.limits at its start
without loading Pulumi.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import SCHEMA_VERSION, Plan, build_plan, to_json


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(".build", __name__), name)
    globals()[name] = value
    return value


__all__ = ["SCHEMA_VERSION", "Plan", "build_plan", "to_json"]
