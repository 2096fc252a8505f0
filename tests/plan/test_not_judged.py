"""A security check never says "pass" over a value it could not see: an input only the
deployment knows (here a CIDR read from another stack) is listed under the check as "not judged:
unknown until deployed", in the text plan and the JSON; `plan --stack-references FILE` gives the
other stack's outputs, and the check judges them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import ClassVar

import pytest
from pulumi.output import Unknown
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.plan.checks import CHECKS
from graviton_llm.plan.project import build_project_plan
from graviton_llm.plan.unjudged import NotJudged, not_judged

TEAM = Path(__file__).resolve().parent.parent / "fixtures" / "team_project"
SG = "aws:ec2/securityGroup:SecurityGroup"
runner = CliRunner()
OFFICE = """
shared = pulumi.StackReference("acme/network/prod")
aws.ec2.SecurityGroup(
    "search-office",
    vpc_id=vpc.id,
    ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443,
              "cidr_blocks": [shared.get_output("office_cidr")]}],
)
"""


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "team"
    shutil.copytree(TEAM, project)
    main = project / "infra" / "__main__.py"
    main.write_text(
        main.read_text().replace("import pulumi\n", "import pulumi\nimport pulumi_aws as aws\n")
        + OFFICE
    )
    return project


def _check(document: dict, check: str) -> dict:
    (found,) = [c for c in document["security"]["checks"] if c["id"] == check]
    return found


def _resource(type_: str, name: str, inputs: dict) -> object:
    class Resource:
        pass

    r = Resource()
    r.type, r.name, r.inputs = type_, name, inputs  # type: ignore[attr-defined]
    return r


POLICY = "aws:iam/rolePolicy:RolePolicy"


def test_every_check_lists_only_the_unknowns_it_reads():
    """Each check of the registry runs; an unknown in an input none reads (a group's VPC id)
    is judged by none of them."""
    group = _resource(SG, "sg", {"vpcId": Unknown(), "ingress": []})
    assert {rule.id: not_judged(rule.id, [group]) for rule in CHECKS} == {
        rule.id: [] for rule in CHECKS
    }


def test_a_stack_check_lists_the_unknown_policy_it_could_not_compare():
    """s3-weights-overwrite compares the stack's policies together: a write grant whose
    resource is unknown cannot be compared with the weights prefix."""
    weights = {"Version": "2012-10-17", "Statement": [{
        "Sid": "ReadModelWeights", "Effect": "Allow", "Action": ["s3:GetObject"],
        "Resource": ["arn:aws:s3:::weights/llama/*"]}]}  # fmt: skip
    writes = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [Unknown()]}]}  # fmt: skip
    found = not_judged(
        "s3-weights-overwrite",
        [_resource(POLICY, "read", {"policy": weights}),
         _resource(POLICY, "write", {"policy": writes})],
    )  # fmt: skip
    unseen = ("policy.Statement[0].Resource[0]",)
    assert [(n.resource, n.inputs) for n in found] == [("write", unseen)]


def test_an_unknown_cidr_is_not_judged_naming_the_resource_and_the_input():
    class Group:
        type, name = SG, "sg"
        inputs: ClassVar = {
            "ingress": [{"protocol": "tcp", "cidrBlocks": ["10.0.0.0/8", Unknown()]}]
        }

    assert not_judged("public-ingress", [Group()]) == [
        NotJudged("public-ingress", "sg", SG, ("ingress[0].cidrBlocks[1]",))
    ]
    assert not_judged("imdsv1", [Group()]) == []


@pytest.mark.slow
def test_a_check_over_another_stacks_value_is_not_judged_in_text_and_json(tmp_path):
    project = _project(tmp_path)
    as_json = runner.invoke(app, ["plan", str(project), "--stack", "staging", "--json"])
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    public = _check(document, "public-ingress")
    assert public["passed"] is True  # nothing it saw is public ...
    assert public["not_judged"] == [  # ... and it says what it did not see
        {"resource": "search-office", "type": SG, "inputs": ["ingress[0].cidrBlocks[0]"],
         "reason": "unknown until deployed"}
    ]  # fmt: skip
    assert _check(document, "imdsv1")["not_judged"] == []
    text = runner.invoke(app, ["plan", str(project), "--stack", "staging"])
    assert text.exit_code == 0, text.output
    assert (
        "not judged: search-office (aws:ec2/securityGroup:SecurityGroup): "
        "ingress[0].cidrBlocks[0] unknown until deployed"
    ) in text.stdout


@pytest.mark.slow
@pytest.mark.parametrize(("cidr", "exit_code"), [("0.0.0.0/0", 1), ("10.8.0.0/16", 0)])
def test_plan_takes_the_other_stacks_outputs_and_judges_them(tmp_path, cidr, exit_code):
    project = _project(tmp_path)
    references = tmp_path / "references.yaml"
    references.write_text(f"acme/network/prod:\n  office_cidr: {cidr}\n")
    result = runner.invoke(
        app,
        ["plan", str(project), "--stack", "staging", "--json",
         "--stack-references", str(references)],
    )  # fmt: skip
    assert result.exit_code == exit_code, result.output
    public = _check(json.loads(result.stdout), "public-ingress")
    assert public["not_judged"] == []
    assert [f["resource"] for f in public["findings"]] == (["search-office"] if exit_code else [])
    # The same from a team's own tests.
    plan = build_project_plan(
        project, "staging", stack_references={"acme/network/prod": {"office_cidr": cidr}}
    )
    assert plan.secure is (exit_code == 0)


def test_a_malformed_stack_references_file_is_bad_input(tmp_path):
    references = tmp_path / "references.yaml"
    references.write_text("- acme/network/prod\n")
    result = runner.invoke(
        app, ["plan", str(TEAM), "--stack", "staging", "--stack-references", str(references)]
    )
    assert result.exit_code == 2
    assert "not a mapping of stacks" in result.stdout
