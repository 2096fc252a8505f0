"""The agent's release (the release unit): once vLLM serves, it completes the launch lifecycle
hook (the ASG then puts the node in service) and, with target tracking, lifts the node's
scale-in protection.
Run for real against a fake IMDSv2 and a stand-in /health; `aws` is a recording stub."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent_support import config_for, install, run_agent
from fake_imds import ASG_NAME, INSTANCE_ID, FakeImds
from graviton_llm.node_agent.paths import LIFECYCLE_HOOK_NAME

# Every test here runs the CLI, a program or a server end to end.
pytestmark = pytest.mark.slow

AWS_STUB = """#!/bin/sh
printf '%s\\n' "$*" >>"$AWS_CALLS"
if [ "$2" = complete-lifecycle-action ] && [ -n "$AWS_NO_ACTION" ]; then
  echo "An error occurred (ValidationError): No active Lifecycle Action found with instance ID" >&2
  exit 254
fi
"""


class Health(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def node(tmp_path):
    health = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=health.serve_forever, daemon=True).start()
    imds = FakeImds()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(AWS_STUB)
    (bin_dir / "aws").chmod(0o755)
    yield tmp_path, health.server_port, imds
    health.shutdown()
    imds.stop()


def _run(
    tmp_path: Path, port: int, imds: FakeImds, env: dict[str, str] | None = None, **overrides
) -> tuple[int, list[str]]:
    """`graviton-llm-agent release` on a node of a cluster with these args."""
    root = tmp_path / "root"
    install(root, config_for(port=port, **overrides))
    calls = tmp_path / "aws-calls"
    env = {
        "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin",
        "GRAVITON_LLM_IMDS_URL": imds.url,
        "GRAVITON_LLM_POLL_SECONDS": "0.1",
        "AWS_CALLS": str(calls),
        **(env or {}),
    }
    done = run_agent(root, "release", env=env)
    assert "Traceback" not in done.stderr, done.stderr
    lines = calls.read_text().splitlines() if calls.exists() else []
    return done.returncode, lines


def test_release_completes_the_launch_hook_for_this_instance_and_group(node):
    code, calls = _run(*node)
    assert code == 0
    assert calls == [
        "autoscaling complete-lifecycle-action --lifecycle-action-result CONTINUE "
        f"--lifecycle-hook-name {LIFECYCLE_HOOK_NAME} --auto-scaling-group-name {ASG_NAME} "
        f"--instance-id {INSTANCE_ID}"
    ]


def test_with_target_tracking_release_also_lifts_scale_in_protection(node):
    code, calls = _run(
        *node, min_size=1, max_size=3, desired_capacity=1, scaling={"mode": "target_tracking"}
    )
    assert code == 0
    assert calls[-1] == (
        f"autoscaling set-instance-protection --instance-ids {INSTANCE_ID} "
        f"--auto-scaling-group-name {ASG_NAME} --no-protected-from-scale-in"
    )


def test_a_reboot_with_no_pending_lifecycle_action_is_not_an_error(node):
    code, calls = _run(*node, env={"AWS_NO_ACTION": "1"})
    assert code == 0 and len(calls) == 1


def test_release_waits_for_health_and_gives_up_at_the_readiness_timeout(tmp_path):
    imds = FakeImds()
    try:
        config = config_for(port=9)  # nothing listens
        assert config["ready_timeout_seconds"] == 1200  # the predicted cold start, with margin
        config["ready_timeout_seconds"] = 1
        root = tmp_path / "root"
        install(root, config)
        env = {
            "PATH": "/usr/bin:/bin",
            "GRAVITON_LLM_IMDS_URL": imds.url,
            "GRAVITON_LLM_POLL_SECONDS": "0.2",
        }
        done = run_agent(root, "release", env=env)
    finally:
        imds.stop()
    assert done.returncode == 1 and "vLLM not healthy" in done.stderr
