"""The rollout's provider as the engine runs it (testing.engine) against a stubbed Auto Scaling
API (testing.aws_stubs; moto implements no StartInstanceRefresh): what it sends, when, with whose
credentials, and what it refuses to do."""

from __future__ import annotations

import pytest

from graviton_llm.components.refresh_provider import (
    RefreshInProgressError,
    RefreshProvider,
    RolloutFailedError,
    wait_for_refresh,
)
from graviton_llm.facts.timing import bake_time_seconds
from graviton_llm.testing.aws_stubs import aws_stubs
from graviton_llm.testing.engine import DynamicProviderHost
from rollout_support import GROUP, LIST_LATEST, PREFS, FakeTime, before, inputs, refresh, request


@pytest.fixture
def host():
    return DynamicProviderHost(RefreshProvider(), config={"aws:region": "us-east-1"})


def test_the_bake_time_covers_the_rollback_alarms_window():
    # 3 one-minute periods, the metrics' delivery and one evaluation: the last node's alarm can
    # still fire while the refresh can roll back (before: no BakeTime, the refresh ended at once).
    assert PREFS["BakeTime"] == 300 > 3 * 60
    assert bake_time_seconds(3, alarms=False) == 0
    assert bake_time_seconds(10_000, alarms=True) == 172_800  # the API's maximum


def test_the_first_deployment_starts_nothing(host):
    created = host.create(inputs("1"))
    assert created.id == f"{GROUP}-refresh" and created.props["instance_refresh_id"] == ""


@pytest.mark.slow
def test_a_new_version_starts_a_refresh_typed_for_the_api(host):
    created = host.create(inputs("1"))
    with aws_stubs() as aws:
        aws.add("autoscaling", "describe_instance_refreshes",
                {"InstanceRefreshes": [refresh("Successful", "1")]}, LIST_LATEST)  # fmt: skip
        assert host.diff(created.id, created, inputs("2")).changes
        aws.add("autoscaling", "describe_instance_refreshes",
                {"InstanceRefreshes": [refresh("Successful", "1")]}, LIST_LATEST)  # fmt: skip
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2"}, request("2"))
        updated = host.update(created.id, created, inputs("2"))
    assert updated.props["instance_refresh_id"] == "r-2"


def test_an_unchanged_request_asks_nothing_and_changes_nothing(host):
    created = host.create(inputs("1"))
    with aws_stubs():
        assert not host.diff(created.id, created, inputs("1")).changes
        assert not host.diff(created.id, created, inputs("1", wait=True)).changes


@pytest.mark.slow
def test_a_refresh_already_running_is_never_cancelled(host):
    created = host.create(inputs("1"))
    with aws_stubs() as aws:
        before(aws)
        aws.add_error("autoscaling", "start_instance_refresh", "InstanceRefreshInProgress",
                      expected_params=request("8"))  # fmt: skip
        with pytest.raises(RefreshInProgressError, match=f"already runs on {GROUP}"):
            host.update(created.id, created, inputs("8"))


@pytest.mark.slow
def test_read_reports_a_rollback_as_drift(host):
    started = host.create(inputs("1"))
    with aws_stubs() as aws:
        seen = refresh("RollbackSuccessful", "1", PercentageComplete=50, StatusReason="alarm fired")
        aws.add("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": [seen]},
                LIST_LATEST)  # fmt: skip
        read = host.read(started.id, started)
    assert read.props["status"] == "RollbackSuccessful"
    assert read.props["status_reason"] == "alarm fired"


def wait_host(fake: FakeTime) -> DynamicProviderHost:
    return DynamicProviderHost(RefreshProvider(sleep=fake.sleep, clock=fake.clock))


@pytest.mark.slow
def test_wait_returns_when_the_refresh_succeeds():
    fake = FakeTime()
    host = wait_host(fake)
    created = host.create(inputs("1"))
    by_id = {"AutoScalingGroupName": GROUP, "MaxRecords": 1, "InstanceRefreshIds": ["r-2"]}
    with aws_stubs() as aws:
        before(aws)
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2"})
        for status in ("Pending", "InProgress", "Baking", "Successful"):
            aws.add("autoscaling", "describe_instance_refreshes",
                    {"InstanceRefreshes": [refresh(status, "2")]}, by_id)  # fmt: skip
        updated = host.update(
            created.id, created, inputs("2", wait=True, wait_timeout_seconds=3600)
        )
    assert updated.props["status"] == "Successful"
    # Polled until it succeeded (the provider runs from its pickle: its fake clock is a copy).
    assert len(aws.made("autoscaling", "DescribeInstanceRefreshes")) == 1 + 4  # check, polls


@pytest.mark.slow
@pytest.mark.parametrize("status", ["RollbackSuccessful", "Failed", "Cancelled", "RollbackFailed"])
def test_wait_fails_the_up_when_the_refresh_fails_or_rolls_back(status):
    fake = FakeTime()
    host = wait_host(fake)
    created = host.create(inputs("1"))
    with aws_stubs() as aws:
        before(aws)
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2"})
        aws.add("autoscaling", "describe_instance_refreshes",
                {"InstanceRefreshes": [refresh("InProgress", "2")]})  # fmt: skip
        aws.add("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": [
            refresh(status, "2", StatusReason="alarm a-error-rate")]})  # fmt: skip
        with pytest.raises(RolloutFailedError, match=f"{status}.*a-error-rate"):
            host.update(created.id, created, inputs("2", wait=True, wait_timeout_seconds=3600))


def test_wait_is_bounded_and_the_refresh_goes_on():
    fake = FakeTime()
    with aws_stubs() as aws:
        import boto3

        for _ in range(3):
            aws.add("autoscaling", "describe_instance_refreshes",
                    {"InstanceRefreshes": [refresh("InProgress", "2")]})  # fmt: skip
        client = boto3.client("autoscaling", region_name="us-east-1")
        with pytest.raises(TimeoutError, match="still running after 60 s"):
            wait_for_refresh(client, GROUP, "r-2", timeout_seconds=60, sleep=fake.sleep,
                             clock=fake.clock)  # fmt: skip
    assert fake.now == 60


@pytest.mark.slow
def test_a_replaced_group_is_refreshed_onto_the_current_version(host):
    # A replacement keeps the ignored launchTemplate.version: the new group starts on the old
    # version. Its new name changes the request, so the same `pulumi up` refreshes it onto the
    # version the request carries.
    created = host.create(inputs("3"))
    replaced = inputs("3")
    replaced["request"] = {**replaced["request"], "AutoScalingGroupName": "llm-asg-0456"}
    listing = {"AutoScalingGroupName": "llm-asg-0456", "MaxRecords": 1}
    with aws_stubs() as aws:
        aws.add("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": []}, listing)
        assert host.diff(created.id, created, replaced).changes
        aws.add("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": []}, listing)
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-9"})
        host.update(created.id, created, replaced)
    (start,) = aws.made("autoscaling", "StartInstanceRefresh")
    assert start.params["AutoScalingGroupName"] == "llm-asg-0456"
    assert start.params["DesiredConfiguration"]["LaunchTemplate"]["Version"] == "3"
