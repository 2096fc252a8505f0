"""A rule is written once: change it in its one place and `plan` (its security checks and its
strict harness) and the policy pack change together."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pytest

from graviton_llm.facts import aws_rules
from graviton_llm.facts.rules import Rule, Violation
from graviton_llm.plan import findings
from graviton_llm.plan.findings import run_checks
from graviton_llm.testing import AwsRuleViolation, run_program
from policy_analyzer import analyze, analyze_stack


def _read_only_attached() -> None:
    aws.iam.RolePolicyAttachment(
        "auditor", role="r", policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )


def _wildcard_verdicts() -> tuple[list, list]:
    resources = run_program(_read_only_attached).resources
    plan = next(c for c in run_checks(resources) if c.id == "wildcard-iam").findings
    pack = [d for d in analyze(resources) if d.policy == "wildcard-iam"]
    return list(plan), pack


def test_a_security_check_changed_in_findings_changes_plan_and_the_pack(monkeypatch) -> None:
    assert _wildcard_verdicts() == ([], [])
    # A platform decides read-only everything is a wildcard grant too: one tuple changes.
    monkeypatch.setattr(
        findings,
        "WILDCARD_MANAGED_POLICIES",
        (*findings.WILDCARD_MANAGED_POLICIES, "ReadOnlyAccess"),
    )
    plan, pack = _wildcard_verdicts()
    assert [f.detail for f in plan] == ["attaches arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert [(d.level, d.message.split("\n")[-1]) for d in pack] == [
        ("mandatory", "attaches arn:aws:iam::aws:policy/ReadOnlyAccess")
    ]


def _three_tags() -> None:
    aws.ec2.SecurityGroup("tagged", tags={"Team": "ml", "Owner": "ops", "Cost": "llm"})


def test_an_aws_rule_changed_in_aws_rules_changes_the_harness_and_the_pack(monkeypatch) -> None:
    resources = run_program(_three_tags).resources
    assert [d for d in analyze(resources) if d.policy == "aws-tags"] == []
    monkeypatch.setattr(aws_rules, "MAX_TAGS", 2)
    with pytest.raises(AwsRuleViolation, match="3 tags, over the 2 AWS allows"):
        run_program(_three_tags)
    assert [(d.policy, d.level, d.message.split("\n")[-1]) for d in analyze(resources)] == [
        ("aws-tags", "mandatory", "3 tags, over the 2 AWS allows per resource")
    ]


def _one_large_inline_policy() -> None:
    keys = [f"arn:aws:s3:::bucket/{'k' * 60}/{n}" for n in range(140)]
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": keys}
    aws.iam.RolePolicy("large", role="worker", policy=json.dumps({"Statement": [statement]}))


def test_a_role_policy_over_the_quota_alone_is_one_problem_for_the_harness_and_the_pack() -> None:
    with pytest.raises(AwsRuleViolation) as refused:
        run_program(_one_large_inline_policy)
    # The stack rule adds the role's policies up through the same rule the pack runs, which
    # leaves a policy over the quota by itself to the resource rule: one problem, not two.
    [problem] = refused.value.problems
    assert problem.startswith("inline policy for role 'worker': ") and "over IAM's" in problem
    resources = run_program(_one_large_inline_policy, strict=False).resources
    assert [(d.policy, d.level) for d in analyze(resources)] == [
        ("aws-role-policy-size", "mandatory")
    ]
    assert analyze_stack(resources) == []


def test_the_harness_adds_up_across_resources_through_the_stack_rules(monkeypatch) -> None:
    """The harness has no sum of its own: a stack rule changed in aws_rules changes it."""

    def one_per_role(resources: list, config: dict) -> list[Violation]:
        """A stricter rule: a role's second inline policy is refused."""
        seen: set[str] = set()
        found = []
        for r in resources:
            if r.type == "aws:iam/rolePolicy:RolePolicy":
                if r.inputs["role"] in seen:
                    found.append(Violation(r.name, r.type, "a second inline policy"))
                seen.add(r.inputs["role"])
        return found

    stricter = Rule("aws-role-inline-policy-size", "one inline policy per role", "stack",
                    "mandatory", "skipped", one_per_role)  # fmt: skip
    monkeypatch.setattr(aws_rules, "STACK_RULES", (stricter,))

    def two_small() -> None:
        for name in ("a", "b"):
            aws.iam.RolePolicy(name, role="worker", policy=json.dumps({"Statement": []}))

    with pytest.raises(AwsRuleViolation, match="a second inline policy") as refused:
        run_program(two_small)
    # The second to reach the engine is refused, as AWS refuses the second created: the program's
    # async registrations decide which that is.
    assert refused.value.name in {"a", "b"}
