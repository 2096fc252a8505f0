"""A killed test run leaves no server behind: the boot sandbox's units (started by its
systemctl shim in their own session) and the servers a test starts directly both end when the
pytest process that owns them is killed with SIGKILL, when no teardown runs."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from reaping import die_with_parent

# Starts an inner pytest and two servers, then kills it.
pytestmark = pytest.mark.slow

TESTS = Path(__file__).parent
FAKES = TESTS / "boot" / "fakes"

# Run by the pytest this test kills: a fake vLLM as a sandbox unit (through the systemctl shim,
# so tethered) and one as a direct child, both serving, their pids written, then it waits.
INNER = textwrap.dedent(
    """
    import json, os, subprocess, sys, time, urllib.request
    from pathlib import Path
    from reaping import OWNER_ENV, die_with_parent

    FAKES = Path(os.environ["FAKES"])

    def up(port):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/health").status == 200
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"fake vLLM on {port} never answered")

    def test_servers_then_wait(tmp_path):
        root, state = tmp_path / "root", tmp_path / "state"
        units = root / "etc/systemd/system"
        units.mkdir(parents=True)
        state.mkdir()
        ports = [int(p) for p in os.environ["PORTS"].split(",")]
        serve = [sys.executable, str(FAKES / "fake_vllm.py"), "serve", "--served-model-name", "m"]
        (units / "fake.service").write_text(
            "[Service]\\nExecStart=" + " ".join([*serve, "--port", str(ports[0])]) + "\\n"
        )
        env = {**os.environ, OWNER_ENV: str(os.getpid()), "GRAVITON_LLM_ROOT": str(root),
               "GLT_STATE": str(state), "GLT_RECORD": str(tmp_path / "calls.jsonl"),
               "GLT_START_UNITS": "fake.service", "FAKE_VLLM_LOG": str(tmp_path / "log")}
        shim = [sys.executable, str(FAKES / "tool.py"), "systemctl", "start", "fake.service"]
        assert subprocess.run(shim, env=env).returncode == 0
        direct = subprocess.Popen([*serve, "--port", str(ports[1])], env=env,
                                  preexec_fn=die_with_parent())
        up(ports[0]), up(ports[1])
        tether = int((state / "fake.service.pid").read_text())
        children = Path(f"/proc/{tether}/task/{tether}/children").read_text().split()
        unit = int(children[0]) if children else tether  # untethered, the pid is the unit's
        gate = Path(os.environ["GATE"])
        gate.with_suffix(".tmp").write_text(json.dumps([tether, unit, direct.pid]))
        gate.with_suffix(".tmp").rename(gate)
        time.sleep(3600)  # killed here by the outer test
    """
)


def _gone(pid: int, within_s: float) -> bool:
    """True once ``pid`` has exited (a pidfd turns readable), waiting at most ``within_s``."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], within_s)[0])
    finally:
        os.close(fd)


def test_a_killed_run_leaves_no_fake_server(tmp_path: Path) -> None:
    from support import free_port

    (tmp_path / "test_inner.py").write_text(INNER)
    gate = tmp_path / "up.json"
    env = {
        **os.environ,
        "PYTHONPATH": str(TESTS),
        "FAKES": str(FAKES),
        "GATE": str(gate),
        "PORTS": f"{free_port()},{free_port()}",
    }
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", os.devnull,
            "--rootdir", str(tmp_path), "--basetemp", str(tmp_path / "inner"),
            "test_inner.py"]  # fmt: skip
    output = tmp_path / "inner.txt"
    with output.open("wb") as out:
        inner = subprocess.Popen(
            argv, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent(),
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not gate.exists():
            assert inner.poll() is None, output.read_text()[-3000:]
            assert time.monotonic() < deadline, "the inner run never reported its servers up"
            time.sleep(0.05)
        tether, unit, direct = json.loads(gate.read_text())
        inner.send_signal(signal.SIGKILL)
        inner.wait(timeout=30)
        # Bounded: the tether reacts to an event (its pidfd of the killed run), then SIGTERM.
        left = [pid for pid in (tether, unit, direct) if not _gone(pid, within_s=30)]
        assert not left, f"still running after the run was killed: {left}"
    finally:
        if inner.poll() is None:
            inner.kill()
        inner.wait()
