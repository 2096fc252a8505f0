"""Tags every child carries, merged once per component."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

MANAGED_BY = "graviton-llm"
Tags = dict[str, pulumi.Input[str]]  # a value may be an Output (a tag given as one)


def merged_tags(component_name: str, user_tags: Mapping[str, pulumi.Input[str]]) -> Tags:
    """Our tags first, the user's on top; a user may override Purpose, never lose ManagedBy.

    A component inside a cluster receives the cluster's merged tags, so its children keep the
    cluster's name in ``graviton-llm:component``.
    """
    return {
        "Purpose": "llm-serving",
        "graviton-llm:component": component_name,
        **user_tags,
        "ManagedBy": MANAGED_BY,
    }
