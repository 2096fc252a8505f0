"""The agent's boot steps one at a time, in process, against fakes: IMDSv2 on 127.0.0.1, tools
on PATH that record their arguments (neuron-ls, systemctl, aws), a stand-in vLLM. The boot
sandbox (tests/boot) runs them all together from the user data."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent_support import config_for
from fake_imds import ASG_NAME, INSTANCE_ID, FakeImds
from graviton_llm.node_agent import boot, install, steps


@pytest.fixture
def node(tmp_path, monkeypatch):
    """A node root and a bin folder first on PATH; each tool there records its argv."""
    root, bin_dir = tmp_path / "root", tmp_path / "bin"
    root.mkdir()
    bin_dir.mkdir()
    monkeypatch.setenv("GRAVITON_LLM_ROOT", str(root))
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("GRAVITON_LLM_POLL_SECONDS", "0.05")
    monkeypatch.setenv("GRAVITON_LLM_BACKOFF_SECONDS", "0")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    return root, bin_dir


def tool(bin_dir: Path, name: str, script: str = "exit 0") -> Path:
    """A tool that appends its arguments to <name>.calls, then runs ``script``."""
    path = bin_dir / name
    path.write_text(f'#!/bin/sh\necho "$*" >>"{bin_dir}/{name}.calls"\n{script}\n')
    path.chmod(0o755)
    return bin_dir / f"{name}.calls"


def test_region_comes_from_imdsv2_and_lands_where_every_unit_reads_it(node, monkeypatch):
    root, _ = node
    imds = FakeImds(region="eu-north-1")
    monkeypatch.setenv("GRAVITON_LLM_IMDS_URL", imds.url)
    try:
        region = install.setup_region(steps.Job("boot"), config_for())
    finally:
        imds.stop()
    assert region == "eu-north-1"
    assert imds.seen == [
        ("PUT", "/latest/api/token"),
        ("GET", "/latest/meta-data/placement/region"),
    ]
    env = (root / "opt/graviton-llm/etc/aws.env").read_text().splitlines()
    assert env[0] == "AWS_DEFAULT_REGION=eu-north-1"


def test_a_region_that_is_not_one_never_reaches_the_units(node, monkeypatch, capsys):
    monkeypatch.setenv("AWS_REGION", "us-east-1\nEvil=1")
    with pytest.raises(steps.StepFailed):
        install.setup_region(steps.Job("boot"), config_for())
    assert "is not an AWS region name" in capsys.readouterr().err
    assert not (node[0] / "opt/graviton-llm/etc/aws.env").exists()


def test_the_accelerator_check_counts_one_device_per_chip(node, capsys):
    root, bin_dir = node
    calls = tool(bin_dir, "neuron-ls")
    (root / "dev").mkdir()
    for i in range(2):
        (root / "dev" / f"neuron{i}").touch()
    install.check_accelerator(steps.Job("boot"), 2)
    assert calls.read_text() == "\n"  # neuron-ls ran, without arguments
    with pytest.raises(steps.StepFailed):
        install.check_accelerator(steps.Job("boot"), 6)
    assert "expected 6 Neuron devices (/dev/neuron0..5), found 2" in capsys.readouterr().err


def test_a_cpu_node_checks_no_device(node):
    _, bin_dir = node
    calls = tool(bin_dir, "neuron-ls", "exit 1")
    install.check_accelerator(steps.Job("boot"), 0)
    assert not calls.exists()


def test_retry_stops_at_once_on_an_error_no_retry_fixes(node, capsys):
    _, bin_dir = node
    calls = tool(bin_dir, "aws", 'echo "An error occurred (NoSuchBucket)" >&2; exit 254')
    assert steps.retry(["aws", "s3api", "list-objects-v2"], attempts=5).returncode == 2
    assert len(calls.read_text().splitlines()) == 1
    flaky = tool(bin_dir, "flaky", "exit 1")
    assert steps.retry(["flaky"], attempts=3).returncode == 1
    assert len(flaky.read_text().splitlines()) == 3
    assert "attempt 2/3 failed: flaky" in capsys.readouterr().err


def test_the_group_and_instance_come_from_instance_metadata_and_are_checked(node, monkeypatch):
    imds = FakeImds()
    monkeypatch.setenv("GRAVITON_LLM_IMDS_URL", imds.url)
    try:
        assert boot.discover_group(steps.Job("boot")) == (INSTANCE_ID, ASG_NAME)
        imds.values["/latest/meta-data/tags/instance/aws:autoscaling:groupName"] = "a b;c"
        with pytest.raises(steps.StepFailed, match="unexpected Auto Scaling group name"):
            boot.discover_group(steps.Job("boot"))
    finally:
        imds.stop()


class _Vllm(BaseHTTPRequestHandler):
    """/health 200; a completion 200 only for the served model."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200 if body["model"] == self.server.model else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.mark.slow
def test_ready_means_health_and_a_real_completion_for_the_served_model(node):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Vllm)
    server.model = "meta-llama/Llama-3.1-8B-Instruct"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = config_for(port=server.server_port)
        assert install.answers(config)
        config["model"]["id"] = "another/model"
        assert not install.answers(config)
    finally:
        server.shutdown()


def test_the_gate_fails_at_once_when_the_unit_gave_up(node, capsys):
    _, bin_dir = node
    tool(bin_dir, "systemctl", "exit 0")  # `is-failed`: yes
    with pytest.raises(steps.StepFailed):
        install.wait_ready(steps.Job("boot"), config_for(port=9))
    assert "graviton-llm-vllm.service failed (it stopped restarting)" in capsys.readouterr().err


def test_a_failed_job_says_so_on_the_console(node, capsys):
    root, _ = node
    (root / "dev").mkdir()
    (root / "dev/console").touch()
    job = steps.Job("boot")
    job.step("download-weights")
    job.report_failure(1)
    line = "graviton-llm: boot FAILED in step download-weights (exit 1); log: "
    assert (root / "dev/console").read_text().startswith(line)
    assert line in capsys.readouterr().err
