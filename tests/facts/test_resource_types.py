"""The resource-type registry (facts/resource_types.py): every type a stack of ours, an example or
the scaffold registers has a row, so `plan`, `plan --against`, the strict harness and the mocks
all know it; and the strict rules a row names are rules that exist."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.facts.aws_rules import RULES, STACK_RULES
from graviton_llm.facts.resource_types import OURS, RESOURCE_TYPES, TEAM
from graviton_llm.plan.build import build_plan
from graviton_llm.plan.project import build_project_plan
from graviton_llm.testing import run_program

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "__main__.py").exists())
# Rules that judge every type (names and tags read each row's name rule or the tags' shape).
EVERY_TYPE = {"aws-names", "aws-tags"}


def _custom_types(resources) -> set[str]:
    """The types of the resources AWS (or the engine, for a dynamic resource) creates: not the
    components, which are ours and only group them."""
    return {r.type for r in resources if r.custom}


FAILED: dict[str, BaseException] = {}  # example -> what stopped it (the collection goes on)


@pytest.fixture(scope="module")
def registered(tmp_path_factory) -> dict[str, set[str]]:
    """Each type registered, with where it comes from (a shipped stack, an example, a stack of
    the scaffolded project). An example that fails still gives the types it registered before
    (a type with no row has no mock answer: a subnet id of AWS's format, say)."""
    seen: dict[str, set[str]] = {}

    def add(types: set[str], where: str) -> None:
        for type_ in types:
            seen.setdefault(type_, set()).add(where)

    for stack in ("dev", "prod"):
        add(_custom_types(build_plan(stack).result.resources), f"stacks/Pulumi.{stack}.yaml")
    for example in EXAMPLES:
        main = str(example / "__main__.py")
        result = run_program(lambda main=main: runpy.run_path(main), catch=True)
        add(_custom_types(result.resources), f"examples/{example.name}")
        if result.error is not None:
            FAILED[example.name] = result.error
    project = tmp_path_factory.mktemp("scaffold") / "registry-check"
    created = CliRunner().invoke(app, ["new", str(project)])
    assert created.exit_code == 0, created.output
    for stack in ("dev", "prod"):
        rows = build_project_plan(project, stack).document()["resources"]
        add({row["type"] for row in rows if row["custom"]}, f"scaffold stack {stack}")
    return seen


@pytest.mark.slow  # runs every stack, example and a scaffolded project
def test_every_registered_type_has_a_registry_row(registered):
    missing = {t: sorted(where) for t, where in registered.items() if t not in RESOURCE_TYPES}
    assert not missing, (
        f"types with no row in graviton_llm/facts/resource_types.py: {missing}; add a "
        "ResourceType row (review keys, replacing inputs, name rule, mock answer)"
    )


@pytest.mark.slow  # runs every stack, example and a scaffolded project
def test_every_example_ran_to_the_end(registered):
    assert not FAILED, f"examples that failed under the harness: {FAILED}"


@pytest.mark.slow  # runs every stack, example and a scaffolded project
def test_the_stacks_register_the_types_the_checks_and_costs_rely_on(registered):
    """The harness really ran them: the cluster's types are among those collected (so the test
    above cannot pass on an empty collection)."""
    for token in ("aws:ec2/launchTemplate:LaunchTemplate", "aws:autoscaling/group:Group",
                  "aws:ec2/vpc:Vpc", "pulumi-python:dynamic:Resource"):  # fmt: skip
        assert token in registered


def test_each_type_has_one_row():
    tokens = [row.token for row in (*OURS, *TEAM)]
    assert len(tokens) == len(set(tokens)) == len(RESOURCE_TYPES)


def test_the_rules_a_row_names_exist_and_each_type_specific_rule_has_a_type():
    ids = {rule.id for rule in (*RULES, *STACK_RULES)}
    named = {rule for row in RESOURCE_TYPES.values() for rule in row.rules}
    assert named <= ids, f"rows name rules that do not exist: {sorted(named - ids)}"
    assert ids - EVERY_TYPE <= named, (
        f"rules no row names (they would judge nothing): {sorted(ids - EVERY_TYPE - named)}"
    )


def test_a_type_without_a_row_is_shown_as_unknown():
    """A team's type the registry does not know: no review keys, and `plan --against` says "may
    replace" on any change (has_replacement_rule is False), never "update"."""
    from graviton_llm.facts.aws_replacements import has_replacement_rule, replacing_inputs
    from graviton_llm.facts.resource_types import resource_type

    row = resource_type("aws:ec2/networkAcl:NetworkAcl")
    assert row.review_keys == () and row.mock_answer is None
    assert not has_replacement_rule(row.token) and replacing_inputs(row.token) == ()
