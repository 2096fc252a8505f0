"""`plan --against` on a team's project (issue 22, item 6): each property old -> new with secrets
masked, why each replacement happens, the provider's replacement rules for the types teams
declare beside ours, "may-replace" for a type without one (never a plain update), and the monthly
cost change."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.facts.aws_replacements import has_replacement_rule
from graviton_llm.facts.prices import on_demand
from graviton_llm.plan.diff import cost_change, diff_plans
from graviton_llm.plan.project import build_project_plan

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "team_project"
runner = CliRunner()


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> Path:
    copy_ = tmp_path_factory.mktemp("team") / "team_project"
    shutil.copytree(FIXTURE, copy_)
    return copy_


# Every test reads the team project planned under the mocks (the module fixture, ~3 s).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def staging(team) -> dict:
    return json.loads(json.dumps(build_project_plan(team, "staging").document()))


def _row(document: dict, type_: str, name: str) -> dict:
    (row,) = [r for r in document["resources"] if (r["type"], r["name"]) == (type_, name)]
    return row


def _changes(old: dict, new: dict) -> dict[str, object]:
    return {c.name + " " + c.type.rsplit(":", 1)[-1]: c for c in diff_plans(old, new)}


SUBNET = "aws:ec2/subnet:Subnet"


def test_a_subnets_new_cidr_replaces_it_and_says_why(staging):
    new = copy.deepcopy(staging)
    _row(new, SUBNET, "search-private-us-east-1a")["inputs"]["cidrBlock"] = "10.42.99.0/24"
    changes = _changes(staging, new)
    subnet = changes["search-private-us-east-1a Subnet"]
    assert subnet.action == "replace" and subnet.because == ("cidrBlock",)
    (prop,) = subnet.properties
    assert (prop.path, prop.old, prop.new, prop.forces_replacement) == (
        "cidrBlock", "10.42.10.0/24", "10.42.99.0/24", True,
    )  # fmt: skip
    assert "ForceNew in the AWS provider's schema for aws:ec2/subnet:Subnet" in subnet.reason
    # Its association names its id through subnetId (ForceNew): replaced too; the groups and
    # load balancers that list it are updated in place.
    association = changes["search-private-us-east-1a RouteTableAssociation"]
    assert association.action == "replace"
    assert association.because == ("new id of search-private-us-east-1a",)
    assert changes["search-chat-asg Group"].action == "update"
    assert changes["search-chat-nlb LoadBalancer"].action == "update"


def test_an_update_lists_each_property_old_to_new(staging):
    new = copy.deepcopy(staging)
    _row(new, "aws:ec2/vpc:Vpc", "search")["inputs"]["enableDnsHostnames"] = False
    (change,) = diff_plans(staging, new)
    assert change.action == "update"
    assert [(p.path, p.old, p.new) for p in change.properties] == [
        ("enableDnsHostnames", True, False)
    ]


def test_a_type_without_a_rule_may_be_replaced_never_a_plain_update(staging):
    assert not has_replacement_rule("aws:ec2/networkAcl:NetworkAcl")
    old, new = copy.deepcopy(staging), copy.deepcopy(staging)
    acl = {"depth": 0, "type": "aws:ec2/networkAcl:NetworkAcl", "name": "acl", "parent": None,
           "protect": False, "ignore_changes": [], "retain_on_delete": False, "properties": {},
           "replace_on_change": {}, "inputs_sha256": "a", "inputs": {"vpcId": "vpc-1"},
           "custom": True}  # fmt: skip
    old["resources"].append(acl)
    new["resources"].append({**acl, "inputs_sha256": "b", "inputs": {"vpcId": "vpc-2"}})
    (change,) = diff_plans(old, new)
    assert change.action == "may-replace"
    assert "no replacement rule for aws:ec2/networkAcl:NetworkAcl" in change.reason


def test_a_secret_is_compared_and_shown_masked(staging):
    """The document holds "[secret]", never the value: a change from plain to secret shows
    as such, and no secret text reaches the diff."""
    new = copy.deepcopy(staging)
    row = _row(new, "aws:ssm/parameter:Parameter", next(
        r["name"] for r in new["resources"] if r["type"] == "aws:ssm/parameter:Parameter"))
    assert row["inputs"]["value"] == "[secret]"
    row["inputs"]["value"] = "a-plain-name"
    (change,) = [c for c in diff_plans(staging, new) if c.type == "aws:ssm/parameter:Parameter"]
    (prop,) = change.properties
    assert (prop.old, prop.new) == ("[secret]", "a-plain-name")


def test_the_cost_change_is_shown_by_resource(team, staging, tmp_path):
    stack = team / "stacks" / "Pulumi.staging.yaml"
    text = stack.read_text()
    stack.write_text(text.replace("    desired_capacity: 2", "    desired_capacity: 3")
                     .replace("    max_size: 2", "    max_size: 3"))  # fmt: skip
    try:
        old = tmp_path / "old.json"
        old.write_text(json.dumps(staging))
        as_json = runner.invoke(app, ["plan", str(team), "--stack", "staging", "--json",
                                      "--against", str(old)])  # fmt: skip
        printed = runner.invoke(app, ["plan", str(team), "--stack", "staging", "--against",
                                      str(old)], env={"COLUMNS": "250"})  # fmt: skip
    finally:
        stack.write_text(text)
    document = json.loads(as_json.stdout)
    costs = document["cost_change"]
    assert costs == cost_change(staging, document)
    chat = next(r for r in costs["resources"] if r["resource"] == "search-chat")
    price = on_demand("inf2.8xlarge", "us-east-1")
    assert price is not None  # one more node a month; its custom metrics are the cluster's
    assert chat["delta"] == pytest.approx(730 * price.usd_per_hour, abs=0.02)
    assert costs["delta"] == pytest.approx(
        costs["usd_per_month_new"] - costs["usd_per_month_old"], abs=0.02
    )
    assert "cost change: $" in printed.stdout and "search-chat: $" in printed.stdout
    (group,) = [c for c in document["changes"] if c["name"] == "search-chat-asg"]
    assert {"path": "maxSize", "old": 2, "new": 3, "forces_replacement": False} in group[
        "properties"]


def test_an_earlier_document_without_a_stack_cost_says_so(staging):
    old = {k: v for k, v in staging.items() if k != "stack_cost"}
    assert cost_change(old, staging) is None
