"""The CloudWatch agent's config, judged as the agent judges it on EC2."""

from __future__ import annotations

import copy

import pytest

from graviton_llm.documents.cloudwatch_agent import (
    agent_config_problems,
    cloudwatch_agent_config,
    prometheus_scrape_config,
)

SCRAPE = prometheus_scrape_config(8000, 9100, 9101, neuron=True, group="llm-asg-0123")


def test_our_config_is_one_the_agent_accepts():
    assert (
        agent_config_problems(cloudwatch_agent_config(True, "/graviton-llm/x/metrics"), SCRAPE)
        == []
    )


def test_a_prometheus_section_without_a_log_group_is_refused():
    # The config every node ran before: the agent's translator refused it on EC2 ("prometheus
    # does not have log group name"), so no node was ever released.
    config = cloudwatch_agent_config(True, "/graviton-llm/x/metrics")
    del config["logs"]["metrics_collected"]["prometheus"]["log_group_name"]
    assert agent_config_problems(config, SCRAPE) == [
        "logs.metrics_collected.prometheus has no log_group_name (required on EC2)"
    ]


@pytest.mark.parametrize(
    ("path", "key"),
    [
        (("logs", "metrics_collected", "prometheus"), "retention_in_days"),
        (("logs", "metrics_collected", "prometheus", "emf_processor"), "dedup"),
    ],
)
def test_a_key_the_schema_does_not_allow_is_refused(path, key):
    config = cloudwatch_agent_config(True, "/g")
    target = config
    for part in path:
        target = target[part]
    target[key] = 7
    assert any(key in problem for problem in agent_config_problems(config, SCRAPE))


def test_a_dimension_no_scrape_job_labels_would_give_no_metric():
    config = copy.deepcopy(cloudwatch_agent_config(False, "/g"))
    unlabelled = SCRAPE.replace("AutoScalingGroupName", "SomethingElse")
    problems = agent_config_problems(config, unlabelled)
    assert problems and all("sets no AutoScalingGroupName label" in p for p in problems)
