"""The rollout's provider as the engine runs it (testing.engine) against a stubbed Auto Scaling
API (testing.aws_stubs; moto implements no StartInstanceRefresh): what it sends, when, with whose
credentials, and what it refuses to do."""

from __future__ import annotations

import pytest

from graviton_llm.components.refresh_provider import (
    RefreshInProgressError,
    RefreshProvider,
    RolloutFailedError,
    RolloutRejectedError,
    wait_for_refresh,
)
from graviton_llm.documents.instance_refresh import (
    bake_time_seconds,
    refresh_preferences,
    start_instance_refresh_request,
)
from graviton_llm.testing.aws_stubs import aws_stubs
from graviton_llm.testing.engine import DynamicProviderHost, secret

GROUP = "llm-asg-0123"
PREFS = refresh_preferences(
    min_healthy_percent=66, max_healthy_percent=100, warmup_seconds=180, auto_rollback=True,
    alarms=["a-error-rate", "a-unhealthy-hosts"],
    bake_time_seconds=bake_time_seconds(3, alarms=True),
)  # fmt: skip
LIST_LATEST = {"AutoScalingGroupName": GROUP, "MaxRecords": 1}


def request(version: str, prefs: dict = PREFS) -> dict:
    return start_instance_refresh_request(
        group_name=GROUP, launch_template_id="lt-0123", version=version, preferences=prefs
    )


def inputs(version: str, **extra) -> dict:
    return {"region": "us-east-1", "request": request(version), "retry": 0, **extra}


def refresh(status: str, version: str, **extra) -> dict:
    return {
        "InstanceRefreshId": f"r-{version}",
        "AutoScalingGroupName": GROUP,
        "Status": status,
        "DesiredConfiguration": {
            "LaunchTemplate": {"LaunchTemplateId": "lt-0123", "Version": version}
        },
        **extra,
    }  # fmt: skip


def before(aws) -> None:
    """The check `update` makes before it starts anything: the group's last refresh."""
    aws.add("autoscaling", "describe_instance_refreshes",
            {"InstanceRefreshes": [refresh("Successful", "1")]}, LIST_LATEST)  # fmt: skip


class FakeTime:
    """A clock that moves only when the provider sleeps: no wall-clock waits in tests."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


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


@pytest.mark.parametrize("status", ["RollbackSuccessful", "Failed", "Cancelled", "RollbackFailed"])
def test_an_unrelated_change_never_reruns_a_rejected_version(host, status):
    # Version 2 rolled back; a later node-count change moves MinHealthyPercentage only. Before,
    # the next `pulumi up` silently started version 2 again.
    rolled_back = host.create(inputs("2"))
    news = {**inputs("2"), "request": request("2", {**PREFS, "MinHealthyPercentage": 75})}
    with aws_stubs() as aws:
        aws.add("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": [
            refresh(status, "2", StatusReason="alarm a-error-rate in ALARM",
                    RollbackDetails={"RollbackReason": "alarm"})]}, LIST_LATEST)  # fmt: skip
        with pytest.raises(RolloutRejectedError, match=r"version 2 .*Raise rollout\.retry"):
            host.diff(rolled_back.id, rolled_back, news)


def test_a_raised_retry_or_a_new_version_rolls_out_after_a_rollback(host):
    rolled_back = host.create(inputs("2"))
    with aws_stubs() as aws:
        assert host.diff(rolled_back.id, rolled_back, inputs("2", retry=1)).changes  # no lookup
        last = {"InstanceRefreshes": [refresh("RollbackSuccessful", "2")]}
        aws.add("autoscaling", "describe_instance_refreshes", last, LIST_LATEST)
        assert host.diff(rolled_back.id, rolled_back, inputs("3")).changes


def test_a_refresh_already_running_is_never_cancelled(host):
    created = host.create(inputs("1"))
    with aws_stubs() as aws:
        before(aws)
        aws.add_error("autoscaling", "start_instance_refresh", "InstanceRefreshInProgress",
                      expected_params=request("8"))  # fmt: skip
        with pytest.raises(RefreshInProgressError, match=f"already runs on {GROUP}"):
            host.update(created.id, created, inputs("8"))


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


def test_the_refresh_is_signed_as_the_stack_config_says():
    # aws:profile is not on this machine: the provider must not fall back to other credentials.
    config = {"aws:region": "us-east-1", "aws:profile": "deployer-nowhere"}
    host = DynamicProviderHost(RefreshProvider(), config=config)
    created = host.create(inputs("1"))
    with aws_stubs(strict=False), pytest.raises(Exception, match="deployer-nowhere"):
        host.update(created.id, created, inputs("2"))


def test_assumed_roles_from_the_stack_config_sign_the_refresh():
    roles = '[{"roleArn": "arn:aws:iam::210987654321:role/deployer", "duration": "1h"}]'
    config = {"aws:region": "us-east-1", "aws:assumeRoles": roles,
              "aws:accessKey": "AKIABASE", "aws:secretKey": "base-secret"}  # fmt: skip
    host = DynamicProviderHost(RefreshProvider(), config=config)
    created = host.create(inputs("1"))
    with aws_stubs() as aws:
        aws.add("sts", "assume_role", {"Credentials": {
            "AccessKeyId": "ASIAROLEROLEROLE00", "SecretAccessKey": "s", "SessionToken": "t",
            "Expiration": "2030-01-01T00:00:00Z"}},
            {"RoleArn": "arn:aws:iam::210987654321:role/deployer",
             "RoleSessionName": "graviton-llm-rollout", "DurationSeconds": 3600})  # fmt: skip
        before(aws)
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2"})
        host.update(created.id, created, inputs("2"))
    (assume,) = aws.made("sts", "AssumeRole")
    (start,) = aws.made("autoscaling", "StartInstanceRefresh")
    assert assume.access_key == "AKIABASE" and start.access_key == "ASIAROLEROLEROLE00"


def test_an_explicit_providers_keys_sign_the_refresh_and_stay_out_of_the_outputs():
    explicit = {"profile": None, "assume_roles": [], "access_key": "AKIAEXPLICIT",
                "secret_key": "explicit-secret", "token": None}  # fmt: skip
    host = DynamicProviderHost(RefreshProvider(), config={"aws:profile": "stack-profile"})
    created = host.create(inputs("1", aws=secret(explicit)))
    assert "explicit-secret" not in str(created.props) and "aws" in created.secret_paths
    with aws_stubs() as aws:
        before(aws)
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2"})
        updated = host.update(created.id, created, inputs("2", aws=secret(explicit)))
    (start,) = aws.made("autoscaling", "StartInstanceRefresh")
    assert start.access_key == "AKIAEXPLICIT"
    assert "explicit-secret" not in str(updated.props)


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
