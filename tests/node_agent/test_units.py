"""Static checks on what the agent installs (systemd units, the runner) and on the user data's
format."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from agent_support import install
from graviton_llm import NeuronServingClusterArgs, render_user_data
from graviton_llm.node.node_config import node_config
from graviton_llm.node_agent.node_files import NodeFile
from graviton_llm.node_agent.node_files import node_files as agent_files
from graviton_llm.node_agent.paths import (
    LATENCY_UNIT,
    METRICS_UNIT,
    PUBLISH_UNIT,
    RELEASE_UNIT,
    VLLM_UNIT,
)

VARIANTS = {
    "inf2": {"instance_type": "inf2.8xlarge"},
    "trn2-api-key": {
        "instance_type": "trn2.48xlarge",
        "region": "us-east-2",
        "api_key_ssm_parameter": "/llm/prod/api-key",
    },
    "graviton-api-key": {
        "instance_type": "r8g.16xlarge",
        "max_num_seqs": 32,
        "api_key_ssm_parameter": "/llm/prod/api-key",
    },
}
# Programs the AMI provides (AL2023 `docker` package; the Neuron tools on the Neuron DLAMI).
OS_PROGRAMS = [
    "/usr/bin/docker",
    "/bin/bash",
    "/usr/bin/python3",
    "/opt/aws/neuron/bin/neuron-monitor",
    "/opt/aws/neuron/bin/neuron-monitor-prometheus.py",
]


def _args(variant: str) -> NeuronServingClusterArgs:
    from support import cluster_args

    return NeuronServingClusterArgs.model_validate(cluster_args(**VARIANTS[variant]))


def node_files(args: NeuronServingClusterArgs) -> list[NodeFile]:
    return agent_files(node_config(args))


def _system_unit_dir() -> Path:
    for candidate in ("/usr/lib/systemd/system", "/lib/systemd/system"):
        if Path(candidate, "multi-user.target").exists():
            return Path(candidate)
    pytest.fail("no systemd unit directory with multi-user.target: run ./scripts/setup.sh")


def _node_root(tmp_path: Path, args: NeuronServingClusterArgs) -> Path:
    """The node's files as the boot script installs them, plus the OS around them."""
    root = tmp_path / "root"
    for node_file in node_files(args):
        path = root / node_file.path.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(node_file.text)
        path.chmod(node_file.mode)
    install(root)  # the agent every unit runs
    for program in OS_PROGRAMS:
        path = root / program.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    units = root / "usr/lib/systemd/system"
    units.mkdir(parents=True)
    for target in _system_unit_dir().glob("*.target"):
        shutil.copy(target, units)
    (units / "docker.service").write_text("[Service]\nExecStart=/usr/bin/docker\n")
    return root


def _verify(root: Path, unit: str) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze missing: run ./scripts/setup.sh (installs systemd)"
    return subprocess.run(
        [analyze, "verify", f"--root={root}", f"/etc/systemd/system/{unit}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize(
    "unit", [VLLM_UNIT, METRICS_UNIT, RELEASE_UNIT, LATENCY_UNIT, PUBLISH_UNIT]
)
def test_units_pass_systemd_analyze_verify(variant, unit, tmp_path):
    args = _args(variant)
    installed = {f.path.rsplit("/", 1)[-1] for f in node_files(args)}
    if unit not in installed:
        # Only Neuron nodes compile, so only they publish artifacts.
        assert unit == PUBLISH_UNIT and args.spec.accelerator == "cpu"
        return
    root = _node_root(tmp_path, args)
    verified = _verify(root, unit)
    # verify exits 0 on some problems it only warns about ("Unknown key ..., ignoring"): the
    # output must be empty too.
    assert verified.returncode == 0 and verified.stderr + verified.stdout == "", verified.stderr


def test_systemd_analyze_verify_catches_a_broken_unit(tmp_path):
    root = _node_root(tmp_path, _args("inf2"))
    unit = root / "etc/systemd/system" / VLLM_UNIT
    unit.write_text(unit.read_text().replace("LimitNOFILE=1048576", "LimitNOFILE=lots"))
    (root / "opt/graviton-llm/bin/run-vllm").unlink()
    verified = _verify(root, VLLM_UNIT)
    assert "Failed to parse resource value" in verified.stderr
    assert "run-vllm is not executable" in verified.stderr


def test_vllm_unit_restarts_on_failure_within_limits_and_logs_to_journald():
    unit = next(f.text for f in node_files(_args("trn2-api-key")) if f.path.endswith(VLLM_UNIT))
    for line in (
        "Restart=on-failure",
        "StartLimitBurst=5",
        "LimitNOFILE=1048576",
        "StandardOutput=journal",
        "ExecStartPre=/opt/graviton-llm/bin/graviton-llm-agent fetch-api-key",
        # Before every start (a warm-pool node too): the key's artifacts, or none at all.
        "ExecStartPre=/opt/graviton-llm/bin/graviton-llm-agent model-store prepare",
        "EnvironmentFile=/opt/graviton-llm/etc/aws.env",
    ):
        assert line in unit.splitlines()
    cpu = next(f.text for f in node_files(_args("graviton-api-key")) if f.path.endswith(VLLM_UNIT))
    assert "model-store" not in cpu  # nothing compiled, nothing to prepare


def test_the_publish_unit_runs_only_after_the_node_serves():
    unit = next(f.text for f in node_files(_args("inf2")) if f.path.endswith(PUBLISH_UNIT))
    lines = unit.splitlines()
    # Requires=: a failed release (vLLM never served) never publishes half a compile.
    assert f"Requires={RELEASE_UNIT}" in lines and f"After={RELEASE_UNIT}" in lines
    assert "Type=oneshot" in lines
    assert "ExecStart=/opt/graviton-llm/bin/graviton-llm-agent model-store publish" in lines


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_user_data_is_a_script_cloud_init_runs_as_is(variant):
    """cloud-init runs user data that starts with `#!` as a script ("User data formats" in the
    cloud-init docs); cloud-config (`#cloud-config`) is the format its schema validates. Ours is
    a script (its JSON config is data the agent checks against its own schema): check what
    cloud-init keys the format on."""
    script = render_user_data(_args(variant))
    assert script.startswith("#!/bin/bash\n")
    assert "#cloud-config" not in script and "Content-Type: multipart" not in script
    assert "\r" not in script and script.isascii()
