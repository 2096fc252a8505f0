"""The engine harness reproduces what the real engine does to a dynamic provider's values, and
the AWS stubs refuse what botocore refuses (graviton_llm.testing.engine / aws_stubs)."""

from __future__ import annotations

import sys

import boto3
import pytest
from botocore.exceptions import ParamValidationError, UnStubbedResponseError
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider

from graviton_llm.components.api_shapes import ShapeMismatchError, conform_request
from graviton_llm.testing.aws_stubs import aws_stubs
from graviton_llm.testing.engine import (
    UNKNOWN,
    DynamicProviderHost,
    ProviderHostError,
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


class Gone(Echo):
    """Reads as the host would be told a resource no longer exists (or crashes it)."""

    def read(self, id_, props):
        return ReadResult(id_=None if props.get("gone") else id_, outs=props.get("outs"))


def test_a_blank_id_from_read_means_the_resource_is_gone():
    # The host answers with the id read returns; the engine drops a blank one from the state
    # (RefreshStep.Apply). Before, the harness kept the old id.
    host = DynamicProviderHost(Gone())
    created = host.create({"gone": True, "outs": {"size": 1}})
    assert host.read(created.id, created) is None
    assert host.refresh(created).op == "delete"


def test_read_returning_no_outputs_fails_as_the_host_does():
    host = DynamicProviderHost(Gone())
    with pytest.raises(ProviderHostError, match="no outputs"):
        host.read("id-1", host.create({"size": 1}))


class Reader(Echo):
    def read(self, id_, props):
        outs = {**props, "size": props.get("size", 0) + 1}
        if props.get("copy"):
            outs["copied"] = props["password"]
        return ReadResult(id_, outs)


def test_read_keeps_the_stored_outputs_secrets_and_refuses_a_copy():
    host = DynamicProviderHost(Reader())
    read = host.read("id-1", host.create({"password": secret("hunter22")}))
    assert read is not None and "password" in read.secret_paths  # annotateSecrets on Read
    with pytest.raises(SecretLeakError, match="'copied'"):
        host.read("id-1", host.create({"password": secret("hunter22"), "copy": True}))


class Old(Echo):
    def read(self, id_, props):
        return ReadResult(id_, {**props, "read_by": "old"})

    def delete(self, id_, props):
        raise RuntimeError("deleted by the old provider")


class New(Echo):
    def read(self, id_, props):
        return ReadResult(id_, {**props, "read_by": "new"})

    def diff(self, _id, olds, news):
        return DiffResult(changes=olds.get("read_by") is not None)


def test_read_and_delete_use_the_stored_pickle_diff_the_programs():
    # The host rebuilds the provider from the pickle each request carries: the state's for
    # Read and Delete, the program's (the new inputs') for Diff, Check and Update.
    deployed = DynamicProviderHost(Old()).create({"size": 1})
    host = DynamicProviderHost(New())
    state = deployed.with_provider(deployed.props["__provider"])
    read = host.read(state.id, state)
    assert read is not None and read.props["read_by"] == "old"
    with pytest.raises(RuntimeError, match="old provider"):
        host.delete(state.id, state)
    assert host.diff(state.id, read, {"size": 1}).changes is True  # New's diff


class Drifting(Echo):
    """The cloud says size 2 whatever was asked; its diff may or may not look at size."""

    def __init__(self, diff_size: bool) -> None:
        self.diff_size = diff_size

    def read(self, id_, props):
        return ReadResult(id_, {**props, "size": 2})

    def diff(self, _id, olds, news):
        return DiffResult(changes=self.diff_size and olds.get("size") != news.get("size"))


@pytest.mark.parametrize(("diff_size", "op"), [(False, "same"), (True, "update")])
def test_refresh_shows_drift_only_when_the_providers_diff_reports_it(diff_size, op):
    # pulumi >= 3.120 (#16146): Diff(olds = refreshed outputs, news = stored inputs); a diff
    # that ignores what read found stores the new outputs and shows nothing.
    host = DynamicProviderHost(Drifting(diff_size))
    refreshed = host.refresh(host.create({"size": 1}))
    assert refreshed.op == op
    assert refreshed.state is not None and refreshed.state.props["size"] == 2


def test_a_test_process_pickles_any_number_of_providers():
    # Pulumi's provider pickling wraps the pickler once more on every call and never restores
    # it (testing/pickling.py): a suite that builds many stacks in one process reached
    # RecursionError after about a thousand dynamic resources.
    class Local(Echo):  # pickled by value, dictionaries and all, as a program's own class is
        pass

    for _ in range(sys.getrecursionlimit() + 100):
        DynamicProviderHost(Local())
    assert DynamicProviderHost(Local()).create({"n": 1}).props["n"] == 1.0
