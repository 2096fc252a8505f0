"""`graviton-llm rollout status`: a cluster's refreshes as DescribeInstanceRefreshes reports
them (botocore's Stubber validates every call and answer against the Auto Scaling model)."""

from __future__ import annotations

import datetime

import pytest
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.plan.rollout_status import progress_bar
from graviton_llm.scaffold import create_project
from graviton_llm.testing.aws_stubs import aws_stubs

runner = CliRunner()
GROUP = "llm-dev-asg-4f2a9c1"
TAGS = [
    {"Name": "tag:graviton-llm:component", "Values": ["llm-dev"]},
    {"Name": "tag:ManagedBy", "Values": ["graviton-llm"]},
]
STARTED = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=datetime.UTC)


def group(name: str = GROUP) -> dict:
    return {
        "AutoScalingGroupName": name, "MinSize": 1, "MaxSize": 1, "DesiredCapacity": 1,
        "DefaultCooldown": 300, "AvailabilityZones": ["us-east-1a"], "HealthCheckType": "ELB",
        "CreatedTime": STARTED,
    }  # fmt: skip


def refresh(status: str, **extra) -> dict:
    return {
        "InstanceRefreshId": "r-0abc", "AutoScalingGroupName": GROUP, "Status": status,
        "StartTime": STARTED,
        "DesiredConfiguration": {"LaunchTemplate": {"LaunchTemplateId": "lt-0123", "Version": "7"}},
        **extra,
    }  # fmt: skip


def status(aws, *refreshes: dict, args=("rollout", "status", "--stack", "dev")):
    aws.add("autoscaling", "describe_auto_scaling_groups", {"AutoScalingGroups": [group()]},
            {"Filters": TAGS})  # fmt: skip
    aws.add("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": list(refreshes)},
            {"AutoScalingGroupName": GROUP, "MaxRecords": 1})  # fmt: skip
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_a_refresh_in_progress_shows_its_progress():
    with aws_stubs() as aws:
        result = status(aws, refresh("InProgress", PercentageComplete=50, InstancesToUpdate=1))
    assert result.exit_code == 0, result.output
    assert f"llm-dev: group {GROUP} (us-east-1)" in result.output
    assert "r-0abc InProgress to lt-0123 version 7 started 2026-12-07 10:00:00 UTC" in result.output
    assert f"{progress_bar(50)}, 1 instance(s) to update" in result.output


def test_a_successful_refresh_is_complete():
    with aws_stubs() as aws:
        result = status(aws, refresh("Successful", PercentageComplete=100, InstancesToUpdate=0))
    assert result.exit_code == 0
    assert progress_bar(100) in result.output and "Successful" in result.output


def test_a_rolled_back_refresh_says_why_and_fails():
    rollback = {"RollbackReason": "Alarm llm-dev-error-rate went into ALARM",
                "PercentageCompleteOnRollback": 50}  # fmt: skip
    with aws_stubs() as aws:
        result = status(aws, refresh("RollbackSuccessful", RollbackDetails=rollback,
                                     StatusReason="rolled back"))  # fmt: skip
    assert result.exit_code == 1
    assert "rolled back at 50%: Alarm llm-dev-error-rate went into ALARM" in result.output
    assert "raise rollout.retry" in result.output


def test_a_failed_refresh_says_why_and_fails():
    reason = "Instance i-0 failed to launch: lifecycle hook abandoned"
    with aws_stubs() as aws:
        result = status(aws, refresh("Failed", StatusReason=reason))
    assert result.exit_code == 1 and reason in result.output


def test_a_refresh_that_stopped_without_a_rollback_says_what_runs_where():
    # AutoRollback off: the nodes it replaced keep the new version (before: "the group keeps
    # its previous version", which only a rollback makes true).
    with aws_stubs() as aws:
        result = status(aws, refresh("Failed", PercentageComplete=50, StatusReason="alarm"))
    assert "stopped at 50% without a rollback: the instances it replaced run version 7" in (
        result.output
    )
    assert "set rollout.hold: true" in result.output


def test_a_group_never_refreshed_says_so():
    with aws_stubs() as aws:
        result = status(aws)
    assert result.exit_code == 0 and "no instance refresh yet" in result.output


def test_a_team_project_finds_its_clusters_by_their_names(tmp_path, monkeypatch):
    project = tmp_path / "search"
    create_project(project, name="search")
    monkeypatch.chdir(tmp_path)
    with aws_stubs() as aws:
        aws.add("autoscaling", "describe_auto_scaling_groups", {"AutoScalingGroups": []},
                {"Filters": [{**TAGS[0], "Values": ["llm-prod"]}, TAGS[1]]})  # fmt: skip
        result = runner.invoke(app, ["rollout", "status", str(project), "--stack", "prod"])
    assert result.exit_code == 0, result.output
    assert "llm-prod: no Auto Scaling group tagged graviton-llm:component=llm-prod" in result.output


@pytest.mark.parametrize(("percent", "bar"), [(0, "-" * 30), (100, "#" * 30), (None, "?" * 30)])
def test_the_bar(percent, bar):
    assert bar in progress_bar(percent)
