"""What the rollout provider's tests share: a group, its requests and refreshes as AWS
reports them, and a clock that moves only when the provider sleeps."""

from __future__ import annotations

import datetime

from graviton_llm.documents.instance_refresh import (
    refresh_preferences,
    start_instance_refresh_request,
)
from graviton_llm.facts.timing import bake_time_seconds

GROUP = "llm-asg-0123"
EPOCH = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
PREFS = refresh_preferences(
    min_healthy_percent=66, max_healthy_percent=100, warmup_seconds=180, auto_rollback=True,
    alarms=["a-error-rate", "a-unhealthy-hosts"],
    bake_time_seconds=bake_time_seconds(3, alarms=True),
)  # fmt: skip
LIST_LATEST = {"AutoScalingGroupName": GROUP, "MaxRecords": 1}

# What `serialize_provider(_RefreshProvider())` wrote into every stack deployed before the
# provider moved to refresh_provider.py (commit 94b172b): the class by its old path, no state.
OLD_PICKLE = (
    "gASVRAAAAAAAAACMKGdyYXZpdG9uX2xsbS5jb21wb25lbnRzLmluc3RhbmNlX3JlZnJlc2iUjBBfUmVmcmVzaFByb3"
    "ZpZGVylJOUKYGULg=="
)


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

    def wall(self) -> datetime.datetime:
        """The same clock as the credentials read it (botocore's time_fetcher)."""
        return EPOCH + datetime.timedelta(seconds=self.now)
