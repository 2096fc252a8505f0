"""The rollout resource's provider against a stubbed Auto Scaling API (moto implements no
StartInstanceRefresh): what it sends, when, and what it refuses to do."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from graviton_llm.components.instance_refresh import (
    RefreshInProgressError,
    _RefreshProvider,
    start_refresh,
)
from graviton_llm.documents.instance_refresh import (
    refresh_preferences,
    start_instance_refresh_request,
)

PREFS = refresh_preferences(
    min_healthy_percent=66, max_healthy_percent=100, warmup_seconds=180, auto_rollback=True,
    alarms=["a-error-rate", "a-unhealthy-hosts"],
)  # fmt: skip


def request(version: str) -> dict:
    return start_instance_refresh_request(
        group_name="llm-asg-0123", launch_template_id="lt-0123", version=version, preferences=PREFS
    )


@pytest.fixture
def autoscaling():
    client = boto3.client("autoscaling", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")  # fmt: skip
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def test_the_request_is_valid_for_the_api_and_carries_the_version(autoscaling):
    client, stub = autoscaling
    stub.add_response("start_instance_refresh", {"InstanceRefreshId": "r-1"}, request("7"))
    assert start_refresh(client, request("7")) == "r-1"  # Stubber checks it against the model


def test_a_refresh_already_running_is_never_cancelled(autoscaling):
    client, stub = autoscaling
    stub.add_client_error(
        "start_instance_refresh", service_error_code="InstanceRefreshInProgress",
        http_status_code=400, expected_params=request("8"),
    )  # fmt: skip
    with pytest.raises(RefreshInProgressError, match="already runs on llm-asg-0123"):
        start_refresh(client, request("8"))


def test_only_a_changed_request_or_retry_counts_as_a_change():
    provider = _RefreshProvider()
    old = {"region": "us-east-1", "request": request("1"), "retry": 0}
    assert not provider.diff("id", old, dict(old)).changes
    assert provider.diff("id", old, {**old, "request": request("2")}).changes
    assert provider.diff("id", old, {**old, "retry": 1}).changes


def test_the_first_deployment_starts_nothing():
    # The group was just created on this version: nothing to roll out (and no AWS call).
    created = _RefreshProvider().create({"region": "us-east-1", "request": request("1")})
    assert created.id == "llm-asg-0123-refresh" and created.outs["instance_refresh_id"] == ""
