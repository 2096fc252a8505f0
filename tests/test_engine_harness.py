"""The engine harness reproduces what the real engine does to a dynamic provider's values, and
the AWS stubs refuse what botocore refuses (graviton_llm.testing.engine / aws_stubs)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ParamValidationError, UnStubbedResponseError
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider

from graviton_llm.components.api_shapes import ShapeMismatchError, conform_request
from graviton_llm.testing.aws_stubs import aws_stubs
from graviton_llm.testing.engine import (
    UNKNOWN,
    DynamicProviderHost,
    SecretLeakError,
    is_unknown,
    secret,
)


class Echo(ResourceProvider):
    """Returns its inputs, and copies `password` under another name when asked to."""

    def create(self, props):
        outs = dict(props)
        if props.get("copy"):
            outs["copied"] = props["password"]
        return CreateResult("id-1", outs)

    def diff(self, _id, olds, news):
        return DiffResult(changes=olds.get("size") != news.get("size"))


def test_numbers_arrive_as_floats_and_none_disappears():
    created = DynamicProviderHost(Echo()).create({"size": 3, "gone": None})
    assert created.props["size"] == 3.0 and isinstance(created.props["size"], float)
    assert "gone" not in created.props


def test_a_preview_diff_sees_unknown_values():
    class Spy(Echo):
        def diff(self, _id, olds, news):
            # The provider runs from its pickle (another process under the engine): it can
            # only answer, not write to the test's objects.
            return DiffResult(changes=None if is_unknown(news["size"]) else True)

    host = DynamicProviderHost(Spy())
    assert host.diff("id-1", host.create({"size": 1}), {"size": UNKNOWN}).changes is None
    assert host.diff("id-1", host.create({"size": 1}), {"size": 2}).changes is True


def test_a_secret_under_its_own_name_is_stored_encrypted():
    created = DynamicProviderHost(Echo()).create({"password": secret("hunter22")})
    assert created.props["password"] == "hunter22"  # the provider sees plain text
    assert "password" in created.secret_paths


def test_a_secret_copied_under_another_name_is_a_leak():
    with pytest.raises(SecretLeakError, match="'copied'"):
        DynamicProviderHost(Echo()).create({"password": secret("hunter22"), "copy": True})


def test_the_provider_is_rebuilt_from_its_pickle_and_configured():
    class Configured(Echo):
        region = None

        def configure(self, req):
            self.region = req.config.get("aws:region")

    host = DynamicProviderHost(Configured(), config={"aws:region": "eu-west-1"})
    assert host.provider.region == "eu-west-1"


def test_a_float_where_the_model_wants_an_integer_is_typed_or_refused():
    request = {"AutoScalingGroupName": "g", "Preferences": {"MinHealthyPercentage": 66.0}}
    conformed = conform_request("autoscaling", "StartInstanceRefresh", request)
    assert conformed["Preferences"]["MinHealthyPercentage"] == 66
    assert type(conformed["Preferences"]["MinHealthyPercentage"]) is int
    with pytest.raises(ShapeMismatchError, match=r"Preferences\.MinHealthyPercentage"):
        conform_request(
            "autoscaling",
            "StartInstanceRefresh",
            {"AutoScalingGroupName": "g", "Preferences": {"MinHealthyPercentage": 66.5}},
        )


def test_stubs_validate_every_call_and_refuse_unqueued_ones():
    with aws_stubs(strict=False) as aws:
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-1"})
        client = boto3.client("autoscaling", region_name="us-east-1")
        with pytest.raises(ParamValidationError, match="MinHealthyPercentage"):
            client.start_instance_refresh(
                AutoScalingGroupName="g", Preferences={"MinHealthyPercentage": 66.0}
            )
    assert aws.calls == [] and aws.pending() == ["autoscaling.StartInstanceRefresh"]
    with aws_stubs() as aws, pytest.raises(UnStubbedResponseError):
        boto3.client("autoscaling", region_name="us-east-1").describe_instance_refreshes(
            AutoScalingGroupName="g"
        )
