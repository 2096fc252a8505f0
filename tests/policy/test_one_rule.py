"""A rule is written once: change it in its one place and `plan` (its security checks and its
strict harness) and the policy pack change together."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from graviton_llm.facts import aws_rules
from graviton_llm.plan import findings
from graviton_llm.plan.findings import run_checks
from graviton_llm.testing import AwsRuleViolation, run_program
from policy_analyzer import analyze


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
