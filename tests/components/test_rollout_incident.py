"""A rollout the alarms rejected, as the operator lives it: `pulumi refresh` shows it, the next
`pulumi up` says so and starts nothing, scaling still applies, and only a new version or a
retry that moves forward rolls out again (testing.engine models RefreshStep; every AWS call
through botocore's Stubber)."""

from __future__ import annotations

import base64
import pickletools

import pytest

from graviton_llm.components.refresh_provider import RefreshProvider, RolloutFailedError
from graviton_llm.testing.aws_stubs import aws_stubs
from graviton_llm.testing.engine import DynamicProviderHost
from rollout_support import (
    LIST_LATEST,
    OLD_PICKLE,
    PREFS,
    FakeTime,
    inputs,
    refresh,
    request,
)

ROLLED_BACK = refresh("RollbackSuccessful", "2", PercentageComplete=50,
                      StatusReason="alarm a-error-rate in ALARM")  # fmt: skip


@pytest.fixture
def host():
    return DynamicProviderHost(RefreshProvider(), config={"aws:region": "us-east-1"})


def last(aws, *found: dict) -> None:
    aws.add("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": list(found)},
            LIST_LATEST)  # fmt: skip


def started_version_2(host):
    """A stack whose last `pulumi up` started the refresh to version 2 (without wait)."""
    created = host.create(inputs("1"))
    with aws_stubs() as aws:
        last(aws, refresh("Successful", "1"))
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2"})
        return host.update(created.id, created, inputs("2"))


@pytest.mark.slow
def test_refresh_shows_a_rolled_back_rollout_and_the_next_up_says_so(host, capsys):
    started = started_version_2(host)
    assert started.props["status"] == "Pending"
    with aws_stubs() as aws:
        aws.add("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": [ROLLED_BACK]},
                {**LIST_LATEST, "InstanceRefreshIds": ["r-2"]})  # fmt: skip
        refreshed = host.refresh(started)
    # Before: the refresh diff compared only request, region and retry: DIFF_NONE, nothing shown.
    assert refreshed.op == "update"
    state = refreshed.state
    assert state is not None and state.props["status"] == "RollbackSuccessful"
    said = capsys.readouterr().err
    assert "lt-0123 version 2 is not rolled out" in said and "rolled back" in said
    # The next `pulumi up` of the same program: pending, says why, starts nothing.
    with aws_stubs() as aws:
        assert host.diff(state.id, state, inputs("2")).changes
        last(aws, ROLLED_BACK)
        updated = host.update(state.id, state, inputs("2"))
    assert aws.made("autoscaling", "StartInstanceRefresh") == []
    assert "rollout.hold" in updated.props["note"] and "rollout.retry" in updated.props["note"]
    assert "not rolled out" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("status", ["RollbackSuccessful", "Failed", "Cancelled", "RollbackFailed"])
def test_after_a_rollback_a_node_count_change_applies_and_starts_nothing(host, status, capsys):
    # Version 2 was rejected (the state does not know yet); a node-count change moves
    # MinHealthyPercentage. Before, the preview failed: scaling was blocked by the incident.
    started = started_version_2(host)
    news = {**inputs("2"), "request": request("2", {**PREFS, "MinHealthyPercentage": 75})}
    with aws_stubs() as aws:
        assert host.diff(started.id, started, news).changes
        last(aws, refresh(status, "2", StatusReason="alarm a-error-rate"))
        updated = host.update(started.id, started, news)
    assert aws.made("autoscaling", "StartInstanceRefresh") == []
    preferences = updated.props["request"]["Preferences"]
    assert preferences["MinHealthyPercentage"] == 75  # kept for the next rollout
    assert updated.props["status"] == status
    assert "not rolled out" in capsys.readouterr().err


@pytest.mark.slow
def test_a_new_version_after_a_rollback_rolls_out(host, capsys):
    started = started_version_2(host)
    with aws_stubs() as aws:
        last(aws, ROLLED_BACK)  # the preview looks: a new version is not the rejected one
        assert host.diff(started.id, started, inputs("3")).changes
        last(aws, ROLLED_BACK)
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-3"}, request("3"))
        updated = host.update(started.id, started, inputs("3"))
    assert updated.props["instance_refresh_id"] == "r-3" and updated.props["note"] == ""
    assert "not rolled out" not in capsys.readouterr().err


@pytest.mark.slow
def test_the_preview_says_when_a_change_would_rerun_the_rejected_version(host, capsys):
    # The state still holds version 1 (a `wait` up failed, so nothing was stored); the program
    # asks for version 2 again, which rolled back.
    created = host.create(inputs("1"))
    with aws_stubs() as aws:
        last(aws, ROLLED_BACK)
        assert host.diff(created.id, created, inputs("2")).changes
        last(aws, ROLLED_BACK)
        updated = host.update(created.id, created, inputs("2"))
    assert aws.made("autoscaling", "StartInstanceRefresh") == []
    said = capsys.readouterr().err
    assert said.count("version 2 is not rolled out") == 2  # preview, then up
    assert updated.props["request"]["DesiredConfiguration"]["LaunchTemplate"]["Version"] == "2"


@pytest.mark.slow
def test_retry_only_moves_forward(host, capsys):
    started = started_version_2(host)  # with retry 0; it rolled back
    with aws_stubs() as aws:
        last(aws, ROLLED_BACK)
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2b"})
        retried = host.update(started.id, started, inputs("2", retry=2))  # raised: runs again
    assert retried.props["started_retry"] == 2
    with aws_stubs() as aws:  # ...and rolls back again: `pulumi refresh` finds it
        aws.add("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": [ROLLED_BACK]})
        state = host.refresh(retried).state
    assert state is not None
    with aws_stubs() as aws:
        # Lowered: still pending (the version is rejected), and nothing starts. Before,
        # lowering retry counted as a retry and the update ran the rejected version again.
        assert host.diff(state.id, state, inputs("2", retry=1)).changes
        assert "only moves forward" in capsys.readouterr().err
        last(aws, ROLLED_BACK)
        host.update(state.id, state, inputs("2", retry=1))
        # 2 is what it last started with: the same.
        last(aws, ROLLED_BACK)
        host.update(state.id, state, inputs("2", retry=2))
        assert aws.made("autoscaling", "StartInstanceRefresh") == []
        last(aws, ROLLED_BACK)
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2c"})
        host.update(state.id, state, inputs("2", retry=3))


def test_a_lowered_retry_is_no_change(host, capsys):
    created = host.create(inputs("1", retry=4))
    with aws_stubs():  # before: a change, and its update started a refresh
        assert not host.diff(created.id, created, inputs("1", retry=3)).changes
    assert "only moves forward" in capsys.readouterr().err


@pytest.mark.slow
def test_a_refresh_preference_change_alone_starts_no_refresh(host):
    # Replacing every node to apply a new warmup would be a rollout nobody asked for.
    created = host.create(inputs("1"))
    news = {**inputs("1"), "request": request("1", {**PREFS, "InstanceWarmup": 300})}
    with aws_stubs() as aws:
        assert host.diff(created.id, created, news).changes  # no lookup: it moves nothing
        last(aws, refresh("Successful", "1"))
        updated = host.update(created.id, created, news)
    assert aws.made("autoscaling", "StartInstanceRefresh") == []
    assert updated.props["request"]["Preferences"]["InstanceWarmup"] == 300


@pytest.mark.slow
def test_turning_rollouts_on_with_a_template_change_rolls_the_new_version_out(host):
    # rollout.enabled turned on in the same `pulumi up` as a template change: the group keeps
    # version 1 (its version is now ignored) and the new rollout resource is created. Before,
    # create started nothing: the group never moved to version 2.
    with aws_stubs() as aws:
        last(aws)
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2"}, request("2"))
        created = host.create(inputs("2", group_version="1"))
    assert created.props["instance_refresh_id"] == "r-2"
    with aws_stubs() as aws:  # a group created on the version: nothing to ask, nothing to do
        fresh = host.create(inputs("2", group_version="2"))
    assert fresh.props["instance_refresh_id"] == "" and aws.calls == []


@pytest.mark.slow
def test_turning_rollouts_on_while_held_starts_nothing_until_the_hold_is_released(host):
    with aws_stubs() as aws:
        last(aws)
        held = host.create(inputs("2", group_version="1", hold=True))
    assert aws.made("autoscaling", "StartInstanceRefresh") == []
    with aws_stubs() as aws:
        last(aws)
        assert host.diff(held.id, held, inputs("2", group_version="1")).changes
        last(aws)
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2"}, request("2"))
        host.update(held.id, held, inputs("2", group_version="1"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("status", "done", "says"),
    [
        ("RollbackSuccessful", 50, "every instance runs the group's previous version"),
        # AutoRollback off: nothing rolls back; "keeps its previous version" was false.
        ("Failed", 50, "the instances it replaced run version 2"),
        ("Cancelled", 0, "before replacing an instance"),
        ("RollbackFailed", 50, "instances may run version 2 or the previous one"),
    ],
)
def test_a_failed_wait_says_what_the_group_runs(status, done, says):
    fake = FakeTime()
    host = DynamicProviderHost(RefreshProvider(sleep=fake.sleep, clock=fake.clock))
    created = host.create(inputs("1"))
    with aws_stubs() as aws:
        last(aws, refresh("Successful", "1"))
        aws.add("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "r-2"})
        aws.add("autoscaling", "describe_instance_refreshes",
                {"InstanceRefreshes": [refresh(status, "2", PercentageComplete=done)]})  # fmt: skip
        with pytest.raises(RolloutFailedError, match=says):
            host.update(created.id, created, inputs("2", wait=True, wait_timeout_seconds=3600))


@pytest.mark.slow
def test_a_stack_deployed_before_the_move_still_reads_refreshes_and_deletes(host):
    ops = pickletools.genops(base64.b64decode(OLD_PICKLE))
    named = [arg for _, arg, _ in ops if isinstance(arg, str)]
    assert named[:2] == ["graviton_llm.components.instance_refresh", "_RefreshProvider"]
    state = host.create(inputs("2")).with_provider(OLD_PICKLE)
    with aws_stubs() as aws:
        last(aws, ROLLED_BACK)
        read = host.read(state.id, state)  # the engine rebuilds the state's (old) pickle
        assert read is not None and read.props["status"] == "RollbackSuccessful"
        last(aws, ROLLED_BACK)
        assert host.refresh(state).op == "update"  # diffed by the stored inputs' old pickle
    host.delete(state.id, state)
