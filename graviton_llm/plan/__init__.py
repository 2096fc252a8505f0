"""Offline review: build the plan under the mock engine, judge it (security findings), print it."""

from .build import SCHEMA_VERSION, Plan, build_plan, to_json

__all__ = ["SCHEMA_VERSION", "Plan", "build_plan", "to_json"]
