"""A cluster given an explicit aws.Provider rolls out with that provider's settings, and refuses
a region that is not the provider's (before, the rollout used the deploying machine's default
credentials and the component the stack's aws:region)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from graviton_llm import NeuronServingCluster
from graviton_llm.testing import run_program
from support import cluster_args

DYNAMIC = "pulumi-python:dynamic:Resource"


def program(region: str | None):
    def run():
        provider = aws.Provider("team", region="eu-west-1", profile="team-deployer")
        args = cluster_args(instance_type="inf2.8xlarge", **({"region": region} if region else {}))
        NeuronServingCluster("llm", args, opts=pulumi.ResourceOptions(provider=provider))

    return run


def test_the_rollout_signs_as_the_explicit_provider_in_its_region():
    # An up: the provider's outputs are known (on a first preview its keys are not).
    result = run_program(program("eu-west-1"), preview=False)
    (rollout,) = [r for r in result.of_type(DYNAMIC) if r.name == "llm-rollout"]
    assert rollout.inputs["region"] == "eu-west-1"
    settings = rollout.inputs["aws"]
    settings = settings.get("value", settings)  # a secret as the engine carries it
    assert settings["profile"] == "team-deployer"


def test_a_cluster_region_other_than_its_providers_is_refused():
    result = run_program(program(None), catch=True)  # the stack's aws:region is us-east-1
    assert "its explicit aws.Provider deploys to eu-west-1" in str(result.error)
    assert "set `region: eu-west-1`" in str(result.error)


@pytest.mark.slow
def test_without_an_explicit_provider_the_stack_config_signs_it():
    result = run_program(lambda: NeuronServingCluster("llm", cluster_args()))
    (rollout,) = [r for r in result.of_type(DYNAMIC) if r.name == "llm-rollout"]
    assert "aws" not in rollout.inputs and rollout.inputs["region"] == "us-east-1"


def test_a_cluster_region_other_than_the_default_providers_is_refused():
    # Before: accepted; ARNs, prices and the catalog named eu-west-1 while the stack's
    # default provider created everything in us-east-1.
    args = cluster_args(instance_type="inf2.8xlarge", region="eu-west-1")
    result = run_program(lambda: NeuronServingCluster("llm", args), catch=True)
    assert "region" in str(result.error) and "deploys to us-east-1 (aws:region)" in str(
        result.error
    )
    assert result.resources == [] or all(r.type != "aws:ec2/launchTemplate:LaunchTemplate"
                                          for r in result.resources)  # fmt: skip


@pytest.mark.slow
def test_the_same_region_as_the_default_provider_is_accepted():
    args = cluster_args(instance_type="inf2.8xlarge", region="us-east-1")
    assert run_program(lambda: NeuronServingCluster("llm", args)).error is None


@pytest.mark.slow
def test_an_explicit_provider_in_a_parent_component_counts():
    class Team(pulumi.ComponentResource):
        def __init__(self) -> None:
            provider = aws.Provider("team", region="eu-west-1")
            super().__init__(
                "team:Team", "team", None, pulumi.ResourceOptions(providers=[provider])
            )

    def program():
        team = Team()
        args = cluster_args(instance_type="inf2.8xlarge", region="eu-west-1")
        NeuronServingCluster("llm", args, opts=pulumi.ResourceOptions(parent=team))

    assert run_program(program, preview=False).error is None
