"""Offline review: build the plan under the mock engine, judge it (security findings), print it.

The names below are imported on first use (PEP 562): the CLI reads plan.limits at its start
without loading Pulumi.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .build import SCHEMA_VERSION, Plan, build_plan, to_json


__all__ = ["SCHEMA_VERSION", "Plan", "build_plan", "to_json"]
__getattr__ = lazy_attributes(__name__, dict.fromkeys(__all__, ".build"), globals())
