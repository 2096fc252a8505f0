"""Every unit whose programs call AWS reads the region from aws.env (before: the unit that
completes the lifecycle hook had none and worked only through AWS CLI v2's instance-metadata
fallback, which docs/sources.md says the node must not rely on)."""

from __future__ import annotations

import re

import pytest

from graviton_llm import NeuronServingClusterArgs
from graviton_llm.node.node_files import node_files
from graviton_llm.node.paths import AWS_ENV_FILE
from support import cluster_args


@pytest.mark.parametrize("instance_type", ["inf2.8xlarge", "r8g.4xlarge"])
def test_every_unit_that_runs_the_aws_cli_has_the_region(instance_type):
    args = NeuronServingClusterArgs.model_validate(cluster_args(instance_type=instance_type))
    files = {f.path: f.text for f in node_files(args)}
    units = {path: text for path, text in files.items() if path.endswith(".service")}
    checked = 0
    for path, unit in units.items():
        programs = re.findall(r"^Exec\w+=(\S+)", unit, flags=re.MULTILINE)
        calls_aws = any(re.search(r"\baws (\w|-)", files.get(p, "")) for p in programs)
        calls_aws = calls_aws or any("model-store" in p for p in programs)
        if calls_aws:
            checked += 1
            assert f"EnvironmentFile={AWS_ENV_FILE}" in unit, path
    assert checked >= 1  # the release unit at least (Neuron nodes also publish)
