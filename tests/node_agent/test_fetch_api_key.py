"""The agent's API key reader (fetch-api-key) on its own, against a fake AWS CLI: with a
pointer, the secret parameter name is read from it and appears in no message, even when AWS's
own error text quotes it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agent_support import config_for, install, run_agent

POINTER = "/graviton-llm/team/prod/llm/api-key-parameter"
SECRET_NAME = "/llm/prod/secret-name-of-the-key"
# `aws ssm get-parameter --name NAME ...`: the pointer holds the secret name; the secret name's
# parameter is missing, and AWS's message quotes it.
FAKE_AWS = f"""#!/bin/bash
name="$5"
if [ "$name" = "{POINTER}" ]; then echo "{SECRET_NAME}"; exit 0; fi
if [ "$name" = "/llm/plain" ]; then echo "sk-plain"; exit 0; fi
echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: Parameter \
$name not found." >&2
exit 254
"""


def _run(tmp_path: Path, parameter: str, pointer: bool = False) -> subprocess.CompletedProcess[str]:
    """`graviton-llm-agent fetch-api-key` (the vLLM unit's ExecStartPre) on a node whose config
    names ``parameter`` (the key's, or with ``pointer`` the one holding its name)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "aws").write_text(FAKE_AWS)
    (bin_dir / "aws").chmod(0o755)
    config = config_for(api_key_ssm_parameter="/llm/anything")
    config["api_key"] = {"parameter": parameter, "pointer": pointer}
    root = tmp_path / "root"
    install(root, config)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "GRAVITON_LLM_BACKOFF_SECONDS": "0"}
    return run_agent(root, "fetch-api-key", env=env)


def test_a_pointer_to_a_missing_parameter_fails_without_naming_it(tmp_path):
    run = _run(tmp_path, POINTER, pointer=True)
    assert run.returncode == 1
    assert f"reading the SSM parameter named in {POINTER} failed: (ParameterNotFound)" in run.stderr
    assert f"cannot read the API key from SSM parameter named in {POINTER}" in run.stderr
    assert SECRET_NAME not in run.stderr + run.stdout
    config = (tmp_path / "root/opt/graviton-llm/etc/node.json").read_text()
    assert SECRET_NAME not in config


@pytest.mark.slow
def test_a_plain_name_is_read_or_reported_by_name_as_before(tmp_path):
    run = _run(tmp_path, "/llm/plain")
    assert run.returncode == 0, run.stderr
    key_file = tmp_path / "root/run/graviton-llm/api-key"
    assert key_file.read_text().strip() == "sk-plain" and key_file.stat().st_mode & 0o077 == 0
    missing = _run(tmp_path / "missing", "/llm/missing")
    assert missing.returncode == 1
    assert "Parameter /llm/missing not found." in missing.stderr  # AWS's own words
    assert "cannot read the API key from SSM parameter /llm/missing" in missing.stderr
