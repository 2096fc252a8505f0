"""Names AWS accepts, for any cluster and stack name a user gives (the strict harness checks
each registered name against AWS's limits; see graviton_llm/facts/aws_rules.py)."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from graviton_llm import project
from graviton_llm.args import ArgsError
from graviton_llm.project.main import default_cluster_name
from graviton_llm.testing import AwsRuleViolation, run_program
from support import build_cluster, cluster_args, error_messages


def test_the_harness_refuses_a_load_balancer_name_aws_would_refuse():
    # 25 characters + "-" + 7 random: 33, over ELBv2's 32 (the provider fails at preview).
    result = run_program(
        lambda: aws.lb.LoadBalancer("a-cluster-name-of-25-char", internal=True), catch=True
    )
    assert isinstance(result.error, AwsRuleViolation)
    assert "over the 32 allowed" in str(result.error)


@pytest.mark.parametrize(
    "name", ["a-cluster-name-too-long", "has.dot", "under_score", "9starts-with-digit", "ends-"]
)
def test_a_cluster_name_aws_could_not_carry_is_refused_before_anything_registers(name):
    result = build_cluster(cluster_args(), name=name, catch=True)
    assert isinstance(result.error, ArgsError)
    assert "name" in error_messages(result.error)
    assert result.resources == []


@pytest.mark.slow
@pytest.mark.parametrize("stack", ["dev", "staging-eu-west-1", "team.a_prod", "x" * 100])
def test_every_stack_name_pulumi_allows_gives_names_aws_accepts(stack):
    """The shipped program names its cluster from the stack; the strict harness would refuse any
    resulting name AWS refuses (load balancer, target group, role, dashboard, alarms)."""
    config = project.load_stack_config("dev")
    result = run_program(project.main, config=config, stack=stack)
    dashboard = result.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardName"]
    assert set(dashboard) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert len(default_cluster_name(stack)) <= 20


def test_short_stack_names_keep_the_names_deployed_stacks_have():
    # A rename would change every URN: the default stays "llm-<stack>" wherever it fits.
    assert default_cluster_name("prod") == "llm-prod"
    assert default_cluster_name("staging-eu-west-1") != default_cluster_name("staging-eu-west-2")
