"""This project's stacks, planned offline under graviton-llm's mock engine: no AWS account, no
Pulumi CLI. Run `python -m pytest tests` before every `pulumi up` (and in CI)."""

import base64
import ipaddress
import runpy
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from graviton_llm import ResolvedClusterArgs
from graviton_llm.plan.findings import is_secret_value
from graviton_llm.plan.project import ProjectPlan, build_project_plan
from graviton_llm.project.files import load_project, load_stack
from graviton_llm.testing import run_program

PROJECT = Path(__file__).resolve().parent.parent
STACKS = load_project(PROJECT).stacks()


@cache
def _plan(stack: str) -> ProjectPlan:
    """The stack planned twice: with the mocks' values, and as its first `pulumi preview`
    (every id and ARN AWS assigns on create unknown)."""
    return build_project_plan(PROJECT, stack)


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_plans_one_cluster_that_passes_the_security_checks(stack: str) -> None:
    document = _plan(stack).document()
    assert len(document["clusters"]) == 1
    assert document["first_preview"]["resource_count"] == document["resource_count"]
    assert document["security"]["passed"], document["security"]["checks"]
    assert document["cost"]["total"] is not None, document["cost"]["note"]


def _args(stack: str) -> ResolvedClusterArgs:
    (cluster,) = _plan(stack).run.clusters
    args: ResolvedClusterArgs = cluster.args
    return args


def _widest(cidrs: Any) -> int:
    return max(ipaddress.ip_network(cidr).num_addresses for cidr in cidrs)


def test_prod_is_stricter_than_dev() -> None:
    dev, prod = _args("dev"), _args("prod")
    assert isinstance(prod.subnet_ids, list)
    assert prod.min_size >= len(prod.subnet_ids) >= 2 and prod.min_size > dev.min_size
    assert _widest(prod.allowed_cidrs) <= _widest(dev.allowed_cidrs)
    assert prod.monitoring.alarm_topic and not dev.monitoring.alarm_topic
    assert prod.rollout.error_rate_percent < dev.rollout.error_rate_percent


def test_a_secret_api_key_parameter_stays_secret() -> None:
    project = load_project(PROJECT)
    config = dict(load_stack(project, "dev").config)
    config[f"{project.name}:apiKeyParameter"] = "/team/dev/api-key"

    result = run_program(
        lambda: runpy.run_path(str(PROJECT / "__main__.py")),
        config=config,
        project=project.name,
        stack="dev",
    )
    pointer = result.one("aws:ssm/parameter:Parameter")
    assert is_secret_value(pointer.inputs["value"])
    assert is_secret_value(result.named("llm-dev-node-ops").inputs["policy"])
    template = result.one("aws:ec2/launchTemplate:LaunchTemplate")
    user_data = base64.b64decode(template.inputs["userData"]).decode()
    assert "/team/dev/api-key" not in user_data
