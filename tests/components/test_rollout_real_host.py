"""The rollout's provider in the real dynamic-provider host (`python -m pulumi.dynamic`) over
gRPC, against Auto Scaling faked on 127.0.0.1 (real_host.py): what `pulumi refresh` asks of it
after a rollback, and a stack deployed before the provider moved."""

from __future__ import annotations

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from graviton_llm.components.refresh_provider import RefreshProvider
from real_host import deserialize, fake_auto_scaling, real_host, serialize
from rollout_support import OLD_PICKLE, inputs, refresh

# Starts the dynamic provider host process.
pytestmark = pytest.mark.slow

CONFIG = {"aws:region": "us-east-1", "aws:accessKey": "AKIASTACKCONFIG000",
          "aws:secretKey": "stack-secret"}  # fmt: skip


@pytest.fixture(scope="module")
def aws_and_host():
    with fake_auto_scaling() as (fake, endpoint), real_host(endpoint, CONFIG) as host:
        yield fake, host


def program(version: str, pickled: str) -> dict:
    return {**inputs(version), "__provider": pickled}


def test_pulumi_refresh_after_a_rollback_is_drift_on_the_real_host(aws_and_host):
    fake, host = aws_and_host
    pickled = serialize_provider(RefreshProvider())
    created = host.create(program("1", pickled))
    fake.refreshes, fake.started = [refresh("Successful", "1")], "r-2"
    updated = host.update(created.id, created.properties, program("2", pickled))
    assert deserialize(updated.properties)["instance_refresh_id"] == "r-2"
    # The alarms roll version 2 back; `pulumi refresh` reads it, then asks Diff(olds = the
    # refreshed outputs, news = the stored inputs) (pulumi RefreshStep.Apply, #16146).
    fake.refreshes = [refresh("RollbackSuccessful", "2", StatusReason="alarm fired")]
    stored_inputs = serialize(program("2", pickled))
    read = host.read(created.id, updated.properties, stored_inputs)
    assert read.id == created.id
    assert deserialize(read.properties)["status"] == "RollbackSuccessful"
    # Before: DIFF_NONE, the rollback stored silently.
    assert host.diff(created.id, read.properties, stored_inputs) == "DIFF_SOME"
    assert "rolled back" in host.stderr.wait_for("version 2 is not rolled out")
    signed = {r["access_key"] for r in fake.requests}
    assert signed == {"AKIASTACKCONFIG000"}  # the stack config's keys, not the machine's


def test_a_stack_deployed_before_the_provider_moved_reads_and_deletes_on_the_real_host(
    aws_and_host,
):
    fake, host = aws_and_host
    fake.refreshes = [refresh("Successful", "1")]
    state = serialize({**inputs("1"), "instance_refresh_id": "", "__provider": OLD_PICKLE})
    read = host.read("llm-asg-0123-refresh", state, state)
    assert deserialize(read.properties)["status"] == "Successful"
    assert deserialize(read.properties)["__provider"] == OLD_PICKLE
    host.delete("llm-asg-0123-refresh", read.properties)
