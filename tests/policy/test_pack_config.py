"""A platform team's configuration is honoured entirely or refused naming what is wrong: the
engine checks a setting's type against the policy's schema but passes a misspelled option name
through (pulumi/pkg/resource/analyzer/config.go, convertSchema: no additionalProperties), and
one bad range in allowedCidrs must not quietly switch the allow list off."""

from __future__ import annotations

import pytest

from graviton_llm.facts.rules import RuleConfigError
from graviton_llm.plan.findings import run_checks
from policy_analyzer import Declared, analyze

SG = "aws:ec2/securityGroup:SecurityGroup"
PARTNER = Declared(SG, "partner", {"ingress": [
    {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["52.94.76.0/24"]},
]})  # fmt: skip


def test_a_range_that_is_not_a_cidr_is_refused_by_its_index() -> None:
    config = {"public-ingress": {"allowedCidrs": ["52.94.76.0/24", "52.94.76.0/33", "office"]}}
    with pytest.raises(RuleConfigError) as refused:
        analyze([PARTNER], config)
    assert refused.value.rule == "public-ingress"
    assert [p.split(":")[0] for p in refused.value.problems] == [
        "allowedCidrs[1] = '52.94.76.0/33'", "allowedCidrs[2] = 'office'",
    ]  # fmt: skip
    assert "such as 52.94.76.0/24" in str(refused.value)


def test_a_misspelled_option_is_refused_with_the_name_it_meant() -> None:
    config = {"public-ingress": {"allowedCidr": ["52.94.76.0/24"]}}
    with pytest.raises(RuleConfigError, match="'allowedCidr' is not an option of this policy "
                       r"\(did you mean 'allowedCidrs'\?\)"):  # fmt: skip
        analyze([PARTNER], config)
    with pytest.raises(RuleConfigError, match="'strict' is not an option of this policy "
                       r"\(options: none\)"):  # fmt: skip
        analyze([PARTNER], {"imdsv1": {"strict": True}})


def test_the_allow_list_as_given_is_what_is_judged() -> None:
    assert analyze([PARTNER], {"public-ingress": {"allowedCidrs": ["52.94.0.0/16"]}}) == []
    config = {"public-ingress": {"allowInternetFacingLoadBalancers": "yes"}}
    with pytest.raises(RuleConfigError, match="give true or false"):
        analyze([PARTNER], config)


def test_plan_refuses_the_same_configuration() -> None:
    with pytest.raises(RuleConfigError, match=r"allowedCidrs\[0\] = 5: not a CIDR block"):
        run_checks([PARTNER], {"public-ingress": {"allowedCidrs": [5]}})
