"""`plan --against`: create, update, replace and delete, read from two plan documents."""

from __future__ import annotations

import copy
import json

import pytest
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.plan import build_plan
from graviton_llm.plan.diff import diff_plans

ASG = "aws:autoscaling/group:Group"
LB = "aws:lb/loadBalancer:LoadBalancer"
LT = "aws:ec2/launchTemplate:LaunchTemplate"


@pytest.fixture(scope="module")
def prod() -> dict:
    return json.loads(json.dumps(build_plan("prod").document()))


def _row(document: dict, type_: str) -> dict:
    (row,) = [r for r in document["resources"] if r["type"] == type_]
    return row


def _actions(old: dict, new: dict) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {c.name: (c.action, c.because) for c in diff_plans(old, new)}


@pytest.mark.slow
def test_the_same_plan_changes_nothing(prod):
    assert diff_plans(prod, copy.deepcopy(prod)) == []


def test_a_changed_lifecycle_hook_replaces_the_auto_scaling_group(prod):
    new = copy.deepcopy(prod)
    hooks = _row(new, ASG)["replace_on_change"]["initialLifecycleHooks"]
    hooks[0]["heartbeatTimeout"] = 1800
    assert _actions(prod, new) == {"llm-prod-asg": ("replace", ("initialLifecycleHooks",))}


def test_a_renamed_load_balancer_is_replaced(prod):
    new = copy.deepcopy(prod)
    _row(new, LB)["replace_on_change"]["name"] = "llm-prod-api"
    assert _actions(prod, new) == {"llm-prod-nlb": ("replace", ("name",))}


@pytest.mark.slow
def test_a_new_instance_count_is_an_update_in_place(prod):
    # desiredCapacity is no ForceNew input: the group is updated, not replaced.
    changed = build_plan("prod")
    group = next(r for r in changed.result.resources if r.type == ASG)
    group.inputs["desiredCapacity"] = 5.0
    group.inputs["maxSize"] = 5.0
    assert _actions(prod, changed.document()) == {"llm-prod-asg": ("update", ())}


def test_resources_only_in_one_plan_are_created_or_deleted(prod):
    new = copy.deepcopy(prod)
    dropped = new["resources"].pop()
    new["resources"].append({**dropped, "name": "llm-prod-extra"})
    actions = _actions(prod, new)
    assert actions[dropped["name"]] == ("delete", ())
    assert actions["llm-prod-extra"] == ("create", ())


@pytest.mark.slow
def test_the_cli_prints_the_replacement_and_reports_it_in_json(prod, tmp_path):
    old = copy.deepcopy(prod)
    _row(old, ASG)["replace_on_change"]["initialLifecycleHooks"][0]["name"] = "old-hook"
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    runner = CliRunner()
    text = runner.invoke(app, ["plan", "--stack", "prod", "--against", str(path)],
                         env={"COLUMNS": "200"})  # fmt: skip
    assert text.exit_code == 0, text.output
    assert "replace" in text.output and "llm-prod-asg" in text.output
    assert "1 resource(s) would be replaced" in text.output
    as_json = runner.invoke(app, ["plan", "--stack", "prod", "--json", "--against", str(path)])
    changes = json.loads(as_json.output)["changes"]
    assert [{k: c[k] for k in ("action", "type", "name", "because", "kept")} for c in changes] == [
        {"action": "replace", "type": ASG, "name": "llm-prod-asg",
         "because": ["initialLifecycleHooks"],
         "kept": ["desiredCapacity", "launchTemplate.version"]},
    ]  # fmt: skip
    # Said in words too: the new group starts on the old version (ignore_changes applies).
    assert "keeps desiredCapacity, launchTemplate.version from the old resource" in text.output


def test_a_file_that_is_not_a_plan_document_exits_2(tmp_path):
    bad = tmp_path / "old.json"
    bad.write_text("[1, 2]")
    result = CliRunner().invoke(app, ["plan", "--stack", "dev", "--against", str(bad)])
    assert result.exit_code == 2 and "not a plan document" in result.output
    bad.write_text("{")
    result = CliRunner().invoke(app, ["plan", "--stack", "dev", "--against", str(bad)])
    assert result.exit_code == 2 and "not a plan document" in result.output


@pytest.mark.slow
def test_a_new_model_rolls_out_through_the_refresh_not_a_group_update(prod, tmp_path):
    """The group ignores its template version (the refresh carries it, so a rollback restores
    the old one): a new launch template shows as an update of the template and of the rollout,
    the group itself unchanged."""
    changed = build_plan("prod")
    template = next(
        r for r in changed.result.resources if r.type == "aws:ec2/launchTemplate:LaunchTemplate"
    )
    template.inputs["userData"] = "changed"
    group = next(r for r in changed.result.resources if r.type == ASG)
    group.inputs["launchTemplate"] = {**group.inputs["launchTemplate"], "version": "2"}
    rollout = next(r for r in changed.result.resources if r.name == "llm-prod-rollout")
    rollout.inputs["request"]["DesiredConfiguration"]["LaunchTemplate"]["Version"] = "2"
    assert _actions(prod, changed.document()) == {
        "llm-prod-lt": ("update", ()),
        "llm-prod-rollout": ("update", ()),
    }


@pytest.mark.slow
def test_a_changed_launch_template_carries_its_new_version_into_the_rollout(prod):
    # Under the mocks the template's version stays 1, so the rollout's own inputs match; in AWS
    # the update publishes version 2 and the rollout starts an instance refresh with it.
    changed = build_plan("prod")
    template = next(r for r in changed.result.resources if r.type == LT)
    template.inputs["userData"] = "changed"
    assert _actions(prod, changed.document()) == {
        "llm-prod-lt": ("update", ()),
        "llm-prod-rollout": ("update", ("new version of llm-prod-lt",)),
    }
