"""Every unit whose programs call AWS reads the region from aws.env (before: the unit that
completes the lifecycle hook had none and worked only through AWS CLI v2's instance-metadata
fallback, which docs/sources.md says the node must not rely on)."""

from __future__ import annotations

import re

import pytest

from agent_support import config_for
from graviton_llm.node_agent.node_files import node_files
from graviton_llm.node_agent.paths import AGENT, AWS_ENV_FILE

# The agent's commands that run the AWS CLI (release, fetch-api-key, model-store); the latency
# exporter only reads vLLM.
CALLS_AWS = ("release", "fetch-api-key", "model-store")


@pytest.mark.parametrize("instance_type", ["inf2.8xlarge", "r8g.4xlarge"])
def test_every_unit_that_runs_the_aws_cli_has_the_region(instance_type):
    config = config_for(instance_type=instance_type, api_key_ssm_parameter="/llm/key")
    units = {f.path: f.text for f in node_files(config) if f.path.endswith(".service")}
    checked = 0
    for path, unit in units.items():
        commands = re.findall(rf"^Exec\w+={re.escape(AGENT)} (\S+)", unit, flags=re.MULTILINE)
        if set(commands) & set(CALLS_AWS):
            checked += 1
            assert f"EnvironmentFile={AWS_ENV_FILE}" in unit, path
    # The release unit and the vLLM unit (its API key) at least; Neuron nodes also publish.
    assert checked >= (3 if instance_type.startswith("inf2") else 2)
