"""The user data's bootstrap, run for real in the boot sandbox: it fetches the node agent the
user data pins, verifies it and hands over; a changed or missing agent, or a config the agent's
schema refuses, stops the node before anything starts: one clear line on the console and in the
boot log, no heartbeat, no launch hook completed, no unit, no container (the group abandons the
node after the hook's timeout, so it never enters service)."""

from __future__ import annotations

import json

import pytest
from sandbox import AGENT, Run, Sandbox, scenario

from graviton_llm.node.agent_archive import agent_archive

# Boots nodes in the sandbox (moto, the AWS CLI, the agent on python3, fake units).
pytestmark = pytest.mark.slow

LOG = "var/log/graviton-llm-boot.log"


def _console(box: Sandbox) -> None:
    """A console the bootstrap can write to (a real node's /dev/console)."""
    (box.root / "dev").mkdir(exist_ok=True)
    (box.root / "dev/console").touch()


def _started_nothing(box: Sandbox, run: Run) -> None:
    assert run.returncode != 0
    assert run.argv("systemctl") == [] and run.argv("docker") == []
    assert [a for a in run.argv("aws") if a[0] == "autoscaling"] == []  # no heartbeat, no release
    assert not (box.root / "etc/systemd/system").exists()


@scenario
def a_tampered_agent_fails_closed(box: Sandbox) -> Run:
    _console(box)
    box.upload_weights("llama/")
    box.neuron_devices(1)
    box.publish_agent(agent_archive().data + b"\n# changed after it was published\n")
    return box.run(box.args())


def test_an_agent_whose_sha256_is_not_the_pinned_one_never_runs(scenarios):
    box, run = scenarios["a_tampered_agent_fails_closed"]
    _started_nothing(box, run)
    line = next(line for line in run.output.splitlines() if "FAILED" in line)
    assert "boot FAILED in step bootstrap: the node agent s3://" in line
    assert f"not the pinned {box.agent.sha256}" in line and "nothing was started" in line
    assert not (box.root / AGENT).exists()  # the changed archive was never installed
    assert line in (box.root / "dev/console").read_text().splitlines()
    assert line in (box.root / LOG).read_text().splitlines()


@scenario
def a_missing_agent_fails_closed(box: Sandbox) -> Run:
    _console(box)
    box.neuron_devices(1)
    box.agent_published = True  # as if `pulumi up` had not published it, or it was deleted
    return box.run(box.args())


def test_a_missing_agent_stops_the_node_at_once_naming_the_object(scenarios):
    box, run = scenarios["a_missing_agent_fails_closed"]
    _started_nothing(box, run)
    assert "NoSuchKey" in run.output
    assert f"cannot fetch the node agent s3://{box.bucket}/{box.agent.key}" in run.output
    fetches = [a for a in run.argv("aws") if a[:2] == ["s3api", "get-object"]]
    assert len(fetches) == 1  # no retry can make it appear
    assert "boot FAILED in step bootstrap" in (box.root / "dev/console").read_text()


@scenario
def an_unreachable_s3_is_retried_for_the_agent(box: Sandbox) -> Run:
    box.seed_weights()  # a CPU node with its weights: the fetch is what is tested
    return box.run(box.args(instance_type="r8g.16xlarge", max_num_seqs=32), GLT_AWS_FAIL_AGENT="2")


def test_the_agent_fetch_is_retried_then_the_node_boots(scenarios):
    box, run = scenarios["an_unreachable_s3_is_retried_for_the_agent"]
    assert run.returncode == 0, run.output
    assert run.output.count("Could not connect to the endpoint URL") >= 2
    assert len([a for a in run.argv("aws") if a[:2] == ["s3api", "get-object"]]) == 3
    assert (box.root / AGENT).read_bytes() == agent_archive().data
    assert "node released to group" in run.output


@scenario
def a_config_the_schema_refuses_fails_closed(box: Sandbox) -> Run:
    _console(box)
    box.upload_weights("llama/")
    box.neuron_devices(1)
    box.publish_agent()
    # The user data edited by hand: the port as a string, and a setting no agent knows.
    lines = box.render(box.args()).splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("{"))
    config = json.loads(lines[at])
    config.update(port=str(config["port"]), debug=True)
    lines[at] = json.dumps(config) + "\n"
    return box.run(box.args(), script="".join(lines))


def test_a_config_the_agent_refuses_stops_the_node_naming_each_problem(scenarios):
    box, run = scenarios["a_config_the_schema_refuses_fails_closed"]
    _started_nothing(box, run)
    (line,) = [line for line in run.output.splitlines() if "FAILED" in line]
    assert "boot FAILED in step config: the node config" in line
    assert "config.debug: not a setting of graviton-llm-node/1" in line
    assert "config.port:" in line and "is not integer" in line
    assert line in (box.root / "dev/console").read_text().splitlines()
    # The agent was fetched and verified, and refused to act on the config.
    assert (box.root / AGENT).read_bytes() == agent_archive().data
