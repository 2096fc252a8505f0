"""`graviton-llm rollout status`: a cluster's refreshes as DescribeInstanceRefreshes reports
them (botocore's Stubber validates every call and answer against the Auto Scaling model)."""

from __future__ import annotations

import datetime

import pytest
import yaml
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.plan.rollout_status import progress_bar
from graviton_llm.project import STACKS_DIR
from graviton_llm.scaffold import create_project
from graviton_llm.testing.aws_stubs import aws_stubs

runner = CliRunner()
GROUP = "llm-dev-asg-4f2a9c1"
TAGS = [
    {"Name": "tag:graviton-llm:component", "Values": ["llm-dev"]},
    {"Name": "tag:ManagedBy", "Values": ["graviton-llm"]},
]
STARTED = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=datetime.UTC)


def group(name: str = GROUP, project: str | None = "graviton-llm", stack: str = "dev") -> dict:
    """A group as DescribeAutoScalingGroups lists it, tagged by ``project``'s ``stack``
    (``project`` None: deployed before those tags)."""
    tags = [("graviton-llm:component", "llm-dev"), ("ManagedBy", "graviton-llm")]
    if project is not None:
        tags += [("graviton-llm:project", project), ("graviton-llm:stack", stack)]
    return {
        "AutoScalingGroupName": name, "MinSize": 1, "MaxSize": 1, "DesiredCapacity": 1,
        "DefaultCooldown": 300, "AvailabilityZones": ["us-east-1a"], "HealthCheckType": "ELB",
        "CreatedTime": STARTED,
        "Tags": [{"Key": k, "Value": v, "ResourceId": name, "ResourceType": "auto-scaling-group",
                  "PropagateAtLaunch": True} for k, v in tags],
    }  # fmt: skip


def caller(aws, account: str = "123456789012") -> None:
    arn = f"arn:aws:iam::{account}:user/operator"
    aws.add(
        "sts", "get_caller_identity", {"Account": account, "Arn": arn, "UserId": "AIDAOPERATOR"}
    )


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


@pytest.mark.slow
def test_a_refresh_in_progress_shows_its_progress():
    with aws_stubs() as aws:
        result = status(aws, refresh("InProgress", PercentageComplete=50, InstancesToUpdate=1))
    assert result.exit_code == 0, result.output
    assert f"llm-dev: group {GROUP} (us-east-1)" in result.output
    assert "r-0abc InProgress to lt-0123 version 7 started 2026-12-07 10:00:00 UTC" in result.output
    assert f"{progress_bar(50)}, 1 instance(s) to update" in result.output


@pytest.mark.slow
def test_a_successful_refresh_is_complete():
    with aws_stubs() as aws:
        result = status(aws, refresh("Successful", PercentageComplete=100, InstancesToUpdate=0))
    assert result.exit_code == 0
    assert progress_bar(100) in result.output and "Successful" in result.output


@pytest.mark.slow
def test_a_rolled_back_refresh_says_why_and_fails():
    rollback = {"RollbackReason": "Alarm llm-dev-error-rate went into ALARM",
                "PercentageCompleteOnRollback": 50}  # fmt: skip
    with aws_stubs() as aws:
        result = status(aws, refresh("RollbackSuccessful", RollbackDetails=rollback,
                                     StatusReason="rolled back"))  # fmt: skip
    assert result.exit_code == 1
    assert "rolled back at 50%: Alarm llm-dev-error-rate went into ALARM" in result.output
    assert "raise rollout.retry" in result.output


@pytest.mark.slow
def test_a_failed_refresh_says_why_and_fails():
    reason = "Instance i-0 failed to launch: lifecycle hook abandoned"
    with aws_stubs() as aws:
        result = status(aws, refresh("Failed", StatusReason=reason))
    assert result.exit_code == 1 and reason in result.output


@pytest.mark.slow
def test_a_refresh_that_stopped_without_a_rollback_says_what_runs_where():
    # AutoRollback off: the nodes it replaced keep the new version (before: "the group keeps
    # its previous version", which only a rollback makes true).
    with aws_stubs() as aws:
        result = status(aws, refresh("Failed", PercentageComplete=50, StatusReason="alarm"))
    assert "stopped at 50% without a rollback: the instances it replaced run version 7" in (
        result.output
    )
    assert "set rollout.hold: true" in result.output


@pytest.mark.slow
def test_a_group_never_refreshed_says_so():
    with aws_stubs() as aws:
        result = status(aws)
    assert result.exit_code == 0 and "no instance refresh yet" in result.output


@pytest.mark.slow
def test_a_team_project_finds_its_clusters_by_their_names(tmp_path, monkeypatch):
    project = tmp_path / "search"
    create_project(project, name="search")
    monkeypatch.chdir(tmp_path)
    with aws_stubs() as aws:
        aws.add("autoscaling", "describe_auto_scaling_groups", {"AutoScalingGroups": []},
                {"Filters": [{**TAGS[0], "Values": ["llm-prod"]}, TAGS[1]]})  # fmt: skip
        caller(aws)
        result = runner.invoke(app, ["rollout", "status", str(project), "--stack", "prod"])
    # Not deployed here: not a success (before: exit 0, as if all were well).
    assert result.exit_code == 4, result.output
    assert "llm-prod: no Auto Scaling group of project search stack prod in account " in (
        result.output
    )


@pytest.mark.slow
def test_another_stacks_cluster_of_the_same_name_is_not_this_one():
    # Before, the group was found by the cluster's name alone: `--stack dev` reported the
    # rollout of a `llm-dev` cluster some other project or stack deployed in the account.
    with aws_stubs() as aws:
        aws.add("autoscaling", "describe_auto_scaling_groups",
                {"AutoScalingGroups": [group("other-asg", project="search", stack="dev")]},
                {"Filters": TAGS})  # fmt: skip
        caller(aws, "210987654321")
        result = runner.invoke(app, ["rollout", "status", "--stack", "dev"])
    assert result.exit_code == 4, result.output
    assert "other-asg" not in result.output
    assert "account 210987654321 us-east-1" in " ".join(result.output.split())


@pytest.mark.slow
def test_a_group_deployed_before_the_stack_tags_is_still_found():
    with aws_stubs() as aws:
        aws.add("autoscaling", "describe_auto_scaling_groups",
                {"AutoScalingGroups": [group(project=None)]}, {"Filters": TAGS})  # fmt: skip
        aws.add("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": []},
                {"AutoScalingGroupName": GROUP, "MaxRecords": 1})  # fmt: skip
        result = runner.invoke(app, ["rollout", "status", "--stack", "dev"])
    assert result.exit_code == 0, result.output
    assert f"group {GROUP}" in result.output and "found by its cluster name only" in result.output


@pytest.mark.slow
def test_the_stack_files_assumed_role_signs_the_lookup(tmp_path):
    # Before: the machine's default credentials, whatever account the stack deploys to.
    stack_file = tmp_path / "Pulumi.dev.yaml"
    document = yaml.safe_load((STACKS_DIR / "Pulumi.dev.yaml").read_text())
    document["config"].update({
        "aws:assumeRoles": [{"roleArn": "arn:aws:iam::210987654321:role/deployer"}],
        "aws:accessKey": "AKIASTACKFILE00000", "aws:secretKey": {"secure": "v1:AAAA"},
    })  # fmt: skip
    stack_file.write_text(yaml.safe_dump(document))
    credentials = {"AccessKeyId": "ASIAROLEROLEROLE00", "SecretAccessKey": "s",
                   "SessionToken": "t", "Expiration": "2030-01-01T00:00:00Z"}  # fmt: skip
    with aws_stubs() as aws:
        aws.add("sts", "assume_role", {"Credentials": credentials})
        result = status(aws, refresh("Successful"), args=("rollout", "status", "--stack",
                                                          str(stack_file)))  # fmt: skip
    assert result.exit_code == 0, result.output
    (lookup,) = aws.made("autoscaling", "DescribeAutoScalingGroups")
    assert lookup.access_key == "ASIAROLEROLEROLE00"
    assert "aws:secretKey encrypted in the stack file" in result.output


@pytest.mark.parametrize(("percent", "bar"), [(0, "-" * 30), (100, "#" * 30), (None, "?" * 30)])
def test_the_bar(percent, bar):
    assert bar in progress_bar(percent)
