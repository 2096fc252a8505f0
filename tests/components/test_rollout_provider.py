"""A cluster given an explicit aws.Provider rolls out with that provider's settings, and refuses
a region that is not the provider's (before, the rollout used the deploying machine's default
credentials and the component the stack's aws:region)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

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


def test_without_an_explicit_provider_the_stack_config_signs_it():
    result = run_program(lambda: NeuronServingCluster("llm", cluster_args()))
    (rollout,) = [r for r in result.of_type(DYNAMIC) if r.name == "llm-rollout"]
    assert "aws" not in rollout.inputs and rollout.inputs["region"] == "us-east-1"
