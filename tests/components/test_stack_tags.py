"""The group and the launch template say which stack owns them (graviton-llm:project and
graviton-llm:stack), so the CLI finds this stack's cluster and never another stack's of the same
name; adding the tags to a deployed stack changes nothing but tags."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from graviton_llm import NeuronServingCluster, NeuronServingClusterArgs
from graviton_llm.components import neuron_serving_cluster
from graviton_llm.testing import run_program
from support import cluster_args

LOOKUP = {"graviton-llm:project": "search", "graviton-llm:stack": "prod"}


def build(**args):
    program = lambda: NeuronServingCluster("llm", cluster_args(**args))  # noqa: E731
    return run_program(program, project="search", stack="prod")


@pytest.mark.slow
def test_the_group_and_template_name_their_stack():
    result = build()
    group_tags = {t["key"]: t for t in result.named("llm-asg").inputs["tags"]}
    for key, value in LOOKUP.items():
        # Not at launch: the instances need them for nothing, and the group's
        # instance-metadata tags stay as they were.
        assert group_tags[key]["value"] == value and not group_tags[key]["propagateAtLaunch"]
    template = result.named("llm-lt").inputs
    assert LOOKUP.items() <= template["tags"].items()
    for spec in template["tagSpecifications"]:
        assert not LOOKUP.keys() & spec["tags"].keys()


@pytest.mark.slow
def test_adding_them_to_a_deployed_stack_changes_only_tags(monkeypatch):
    # The second `pulumi up` after upgrading: a launch template's tags update in place, but
    # a change to its tag specifications (template data) would publish a new version and roll
    # the fleet (terraform-provider-aws resourceLaunchTemplateUpdate's updateKeys).
    after = build()
    monkeypatch.setattr(neuron_serving_cluster, "lookup_tags", lambda project, stack: {})
    before = build()
    for name in ("llm-lt", "llm-asg"):
        old, new = before.named(name).inputs, after.named(name).inputs
        assert {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)} == {"tags"}


@pytest.mark.slow
def test_the_tag_limit_counts_them():
    # 50 tags per group: ours are Purpose, graviton-llm:component, ManagedBy, Name,
    # Environment, Owner and the two lookup tags.
    most = {f"team:k{i}": "v" for i in range(42)}
    build(tags=most)  # the strict harness counts 50 on the group
    with pytest.raises(ValidationError, match=r"(?s)tags.*at most 42 tags"):
        NeuronServingClusterArgs.model_validate(cluster_args(tags={**most, "team:one-more": "v"}))
