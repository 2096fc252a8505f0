"""Tags every child carries, merged once per component."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

MANAGED_BY = "graviton-llm"
Tags = dict[str, pulumi.Input[str]]  # a value may be an Output (a tag given as one)
COMPONENT_TAG = "graviton-llm:component"


def merged_tags(component_name: str, user_tags: Mapping[str, pulumi.Input[str]]) -> Tags:
    """Our tags first, the user's on top; a user may override Purpose, never lose ManagedBy.

    A component inside a cluster receives the cluster's merged tags, so its children keep the
    cluster's name in ``graviton-llm:component``.
    """
    return {
        "Purpose": "llm-serving",
        COMPONENT_TAG: component_name,
        **user_tags,
        "ManagedBy": MANAGED_BY,
    }


# Tags that say which Pulumi stack owns a resource, so the CLI finds a stack's group and
# launch template and never another stack's cluster of the same name (`rollout status`, the
# pre-warm job). Only on resources a lookup needs (the group, untagged at launch, and the
# launch template itself, not its instance tags: those are template data, and a change there
# would be a new version the fleet rolls out). Adding them updates tags in place.
PROJECT_TAG = "graviton-llm:project"
STACK_TAG = "graviton-llm:stack"


def lookup_tags(project: str, stack: str) -> dict[str, str]:
    return {PROJECT_TAG: project, STACK_TAG: stack}
