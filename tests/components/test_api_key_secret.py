"""A secret API key parameter name stays secret end to end: in the resources that receive it
(the cluster's pointer parameter, the node's policy) it is a secret input, and it appears in no
user data and no plan output; the checks still judge the policy that names it."""

from __future__ import annotations

import base64
import json
from typing import ClassVar

import pulumi
import pytest

from graviton_llm import ArgsError, NeuronServingCluster, render_user_data
from graviton_llm.args import NeuronServingClusterArgs
from graviton_llm.plan.build import Plan
from graviton_llm.plan.findings import is_secret_value, revealed, run_checks
from graviton_llm.testing import Unknown, run_program
from support import cluster_args

SECRET_NAME = "/llm/prod/very-secret-parameter-name"
POINTER = "/graviton-llm/team/prod/llm/api-key-parameter"
LT = "aws:ec2/launchTemplate:LaunchTemplate"


def _build(name=SECRET_NAME, secret=True, preview=True):
    holder = {}

    def program():
        parameter = pulumi.Output.secret(name) if secret else name
        holder["cluster"] = NeuronServingCluster(
            "llm", cluster_args(api_key_ssm_parameter=parameter)
        )

    result = run_program(program, project="team", stack="prod", catch=True, preview=preview)
    return result, holder


def test_the_secret_name_reaches_the_pointer_and_the_policy_as_secret_inputs():
    result, _ = _build()
    assert result.error is None, result.error
    pointer = result.named("llm-api-key-name")
    assert pointer.inputs["name"] == POINTER and pointer.inputs["type"] == "SecureString"
    assert is_secret_value(pointer.inputs["value"])
    assert revealed(pointer.inputs["value"]) == SECRET_NAME
    policy = result.named("llm-node-ops").inputs["policy"]
    assert is_secret_value(policy)
    statement = json.loads(revealed(policy))["Statement"][1]
    assert statement["Sid"] == "ReadApiKey"
    assert statement["Resource"] == [
        f"arn:aws:ssm:us-east-1:123456789012:parameter{POINTER}",
        f"arn:aws:ssm:us-east-1:123456789012:parameter{SECRET_NAME}",
    ]
    # Nodes launch only once the pointer exists.
    assert pointer.urn in result.one(LT).dependencies


@pytest.mark.slow
def test_the_secret_name_is_in_no_user_data_and_no_plan_output():
    result, holder = _build()
    cluster = holder["cluster"]
    user_data = base64.b64decode(result.one(LT).inputs["userData"]).decode()
    assert user_data == cluster.user_data
    assert SECRET_NAME not in user_data and POINTER in user_data
    plan = Plan(stack="prod", region="us-east-1", result=result, cluster=cluster)
    text = json.dumps(plan.document(full=True))
    assert SECRET_NAME not in text
    rows = {row["name"]: row for row in plan.resource_rows()}
    assert rows["llm-node-ops"]["properties"]["policy"] == "[secret]"
    assert rows["llm-api-key-name"]["properties"]["value"] == "[secret]"


@pytest.mark.slow
def test_a_plain_name_is_rendered_as_before_with_no_pointer():
    result, holder = _build(name="/llm/prod/api-key", secret=False)
    assert [r for r in result.resources if r.name == "llm-api-key-name"] == []
    assert '"parameter":"/llm/prod/api-key","pointer":false' in holder["cluster"].user_data
    policy = result.named("llm-node-ops").inputs["policy"]
    assert isinstance(policy, str) and '"Resource": "arn:aws:ssm:' in policy


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_a_malformed_secret_name_fails_without_showing_it(preview):
    result, _ = _build(name="not-a-parameter-name", preview=preview)
    assert isinstance(result.error, ArgsError)
    (problem,) = result.error.problems
    assert (problem.component, problem.field) == ("llm", "api_key_ssm_parameter")
    assert "api_key_ssm_parameter = [secret, not shown]" in str(result.error)
    assert "not-a-parameter-name" not in str(result.error)
    if preview:  # the refusal waits for every cluster's; the pointer's value stays unknown
        secret_value = result.named("llm-api-key-name").inputs["value"]
        assert isinstance(secret_value["value"], Unknown)  # a secret's wire form
    else:  # the launch template waits for the pointer, whose value failed its check: no node
        assert not result.of_type(LT)


def test_the_checks_judge_a_secret_policy():
    class Policy:
        type = "aws:iam/rolePolicy:RolePolicy"
        name = "p"
        inputs: ClassVar = {
            "policy": {
                "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                "value": json.dumps(
                    {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
                ),
            }
        }

    wildcard = next(c for c in run_checks([Policy()]) if c.id == "wildcard-iam")
    assert not wildcard.passed


def test_the_secret_marker_is_the_engines():
    from pulumi.runtime import rpc

    from graviton_llm.plan.findings import SECRET_SIG, SECRET_SIG_KEY

    assert (rpc._special_sig_key, rpc._special_secret_sig) == (SECRET_SIG_KEY, SECRET_SIG)


def test_rendering_an_output_name_needs_the_pointer():
    args = NeuronServingClusterArgs.model_validate(cluster_args()).model_copy(
        update={"api_key_ssm_parameter": pulumi.Output.from_input("/x")}
    )
    with pytest.raises(ValueError, match="give api_key_pointer"):
        render_user_data(args)
    assert "/x" not in render_user_data(args, api_key_pointer=POINTER)
