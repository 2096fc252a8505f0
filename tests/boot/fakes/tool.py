"""PATH shims for the boot-script sandbox: docker, systemctl, neuron-ls, dnf, shutdown and an aws
wrapper.

Each records its argv as one JSON line in $GLT_RECORD and emulates just enough of the real
tool for the boot script to run end to end on 127.0.0.1:
- systemctl: `enable --now <unit>` (or `start`) reads the unit the script installed under
  $GRAVITON_LLM_ROOT, loads its EnvironmentFile=, runs its ExecStartPre= lines and starts
  ExecStart= in the background (like systemd, without restarts) for the units in
  $GLT_START_UNITS; a Type=oneshot unit runs to its end first, as `systemctl start` waits for it,
  and with RemainAfterExit=yes stays "active" (a second start is a no-op). `is-failed` reports a
  started unit whose process died; `stop` ends it.
- docker: `run` becomes the container's process on the host: only the --env values reach it, a
  bind mount's target path is rewritten to its (sandboxed) source (and $GLT_MOUNTS tells the
  stand-in where each mount is, symlinks resolved as mount(2) would), and the image's `vllm` is
  the stand-in server (fake_vllm.py). pull/rm/stop succeed.
- aws: the real AWS CLI ($GLT_REAL_AWS, or the same CLI in aws_server.py when $GLT_AWS_SERVER
  names its socket) against moto; $GLT_AWS_FAIL_S3=N sends the first N S3
  calls to a port where nothing listens (a real connection failure; the bootstrap's fetch of
  the node agent is not counted: $GLT_AWS_FAIL_AGENT=N does that to its first N tries),
  $GLT_AWS_DROP_FILE=1 deletes one downloaded file after `s3 sync` (an incomplete download),
  $GLT_AWS_FAIL_MANIFEST=1 sends every write of a manifest.json there (a publisher that dies
  before its manifest),
  $GLT_AWS_HOLD_MANIFEST=PATH holds a manifest write until PATH exists (creating
  $GLT_AWS_HOLDING first, so a test knows it is held: two publishers interleaved by events).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from shims import SHIMS  # this folder: run as a script, it is first on sys.path

ROOT = os.environ.get("GRAVITON_LLM_ROOT", "")
STATE = Path(os.environ["GLT_STATE"])


def record(tool: str, argv: list[str]) -> None:
    with open(os.environ["GLT_RECORD"], "a") as out:
        out.write(json.dumps({"tool": tool, "argv": argv}) + "\n")


def rooted(path: str) -> str:
    """A node path inside the sandbox root, when the script installed it there."""
    candidate = ROOT + path
    return candidate if path.startswith("/") and os.path.exists(candidate) else path


def counter(name: str) -> int:
    """Increment and return a per-sandbox counter."""
    path = STATE / f"{name}.count"
    value = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(value))
    return value


# ---- systemctl ------------------------------------------------------------------------------
def parse_unit(text: str) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            keys.setdefault(key.strip(), []).append(value.strip())
    return keys


def exec_argv(line: str) -> tuple[list[str], bool]:
    """systemd Exec line -> argv and whether a failure is ignored ('-' prefix). Programs the
    script installed run from the sandbox root; OS tools we shim (/usr/bin/docker) from PATH."""
    ignore = line.startswith("-")
    argv = shlex.split(line.lstrip("-"))
    program = os.path.basename(argv[0])
    if program in SHIMS:
        return [shutil.which(program) or argv[0], *argv[1:]], ignore
    return [rooted(argv[0]), *argv[1:]], ignore


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def start_unit(unit: str) -> int:
    unit_file = Path(f"{ROOT}/etc/systemd/system/{unit}")
    if not unit_file.exists():
        return 0  # an OS unit such as docker.service: nothing to emulate
    pid_file, done_file = STATE / f"{unit}.pid", STATE / f"{unit}.done"
    if (pid_file.exists() and pid_alive(int(pid_file.read_text()))) or done_file.exists():
        return 0  # already running (or a oneshot that remains): a no-op, as in systemd
    keys = parse_unit(unit_file.read_text())
    env = dict(os.environ)
    for env_file in keys.get("EnvironmentFile", []):
        path = Path(rooted(env_file.lstrip("-")))
        if path.exists():
            for line in path.read_text().splitlines():
                if "=" in line:
                    name, value = line.split("=", 1)
                    env[name] = value
    for line in keys.get("ExecStartPre", []):
        argv, ignore = exec_argv(line)
        if subprocess.run(argv, env=env, check=False).returncode != 0 and not ignore:
            print(f"Job for {unit} failed because the control process exited with error code.")
            return 1
    if unit not in os.environ.get("GLT_START_UNITS", "").split(","):
        return 0
    argv, _ = exec_argv(keys["ExecStart"][0])
    if keys.get("Type") == ["oneshot"]:
        if subprocess.run(argv, env=env, check=False).returncode != 0:
            print(f"Job for {unit} failed because the control process exited with error code.")
            return 1
        if keys.get("RemainAfterExit") == ["yes"]:
            done_file.touch()
        return 0
    # Its own session (systemctl stop ends the group), tethered to the test run that owns the
    # sandbox so a killed run leaves no server behind (tether.py).
    owner = os.environ.get("GLT_OWNER_PID")
    if owner:
        argv = [sys.executable, str(Path(__file__).with_name("tether.py")), owner, *argv]
    with open(STATE / f"{unit}.log", "ab") as log:
        process = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    pid_file.write_text(str(process.pid))
    return 0


def stop_unit(unit: str) -> int:
    pid_file = STATE / f"{unit}.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)
        pid_file.unlink()
    return 0


def systemctl(argv: list[str]) -> int:
    words = [a for a in argv if not a.startswith("--")]
    if not words:
        return 0
    verb, units = words[0], words[1:]
    if (verb == "enable" and "--now" in argv) or verb in ("start", "restart"):
        return max((start_unit(unit) for unit in units), default=0)
    if verb == "stop":
        return max((stop_unit(unit) for unit in units), default=0)
    if verb == "is-failed":
        pid_file = STATE / f"{units[0]}.pid"
        return 0 if pid_file.exists() and not pid_alive(int(pid_file.read_text())) else 1
    return 0  # daemon-reload, enable without --now, ...


# ---- docker ---------------------------------------------------------------------------------
def docker_run(argv: list[str]) -> int:
    env = {"PATH": f"{os.environ['GLT_CONTAINER_BIN']}:/usr/bin:/bin"}
    env.update({k: v for k, v in os.environ.items() if k.startswith(("FAKE_VLLM_", "GLT_"))})
    mounts: dict[str, str] = {}
    i = 1
    while argv[i] != "--entrypoint":
        if argv[i] == "-v":
            source, target = argv[i + 1].split(":")[:2]
            mounts[target] = ROOT + source
        elif argv[i].startswith("--env="):
            name, value = argv[i][len("--env=") :].split("=", 1)
            env[name] = value
        i += 1
    # Where the container would see each mount: symlinks in a source resolve when it is mounted.
    env["GLT_MOUNTS"] = json.dumps({t: os.path.realpath(s) for t, s in mounts.items()})
    entrypoint, command = argv[i + 1], argv[i + 3 :]  # argv[i + 2] is the image
    if entrypoint == "/bin/sh":
        script = command[1]
        for target, source in mounts.items():
            script = script.replace(target, source)
        command = [command[0], script, *command[2:]]
    program = shutil.which(entrypoint, path=env["PATH"])
    assert program is not None, f"no {entrypoint} in the fake image"
    os.execve(program, [entrypoint, *command], env)
    return 1  # not reached


def docker(argv: list[str]) -> int:
    if argv and argv[0] == "run":
        return docker_run(argv)
    return 0


# ---- aws ------------------------------------------------------------------------------------
def aws(argv: list[str]) -> int:
    real = [os.environ["GLT_REAL_AWS"], *argv]
    env = dict(os.environ)
    agent = argv[:2] == ["s3api", "get-object"] and any("node-agent/" in a for a in argv)
    if agent:  # the bootstrap's fetch of the node agent has its own fault
        if counter("aws-agent") <= int(os.environ.get("GLT_AWS_FAIL_AGENT", "0")):
            env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{os.environ['GLT_DEAD_PORT']}"
            env["AWS_MAX_ATTEMPTS"] = "1"
    elif argv and argv[0] in ("s3", "s3api"):
        failed = counter("aws-s3") <= int(os.environ.get("GLT_AWS_FAIL_S3", "0"))
        manifest = argv[:2] == ["s3api", "put-object"] and any(
            a.endswith("manifest.json") for a in argv
        )
        hold = os.environ.get("GLT_AWS_HOLD_MANIFEST")
        if manifest and hold:
            Path(os.environ["GLT_AWS_HOLDING"]).touch()
            deadline = time.monotonic() + 60
            while not os.path.exists(hold) and time.monotonic() < deadline:
                time.sleep(0.02)
        if failed or (manifest and os.environ.get("GLT_AWS_FAIL_MANIFEST") == "1"):
            env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{os.environ['GLT_DEAD_PORT']}"
            env["AWS_MAX_ATTEMPTS"] = "1"
        if argv[:2] == ["s3", "sync"] and os.environ.get("GLT_AWS_DROP_FILE") == "1":
            rc = run_aws(real, env)
            downloaded = sorted(p for p in Path(argv[-1]).rglob("*") if p.is_file())
            downloaded[-1].unlink()
            return rc
    return run_aws(real, env)


def run_aws(real: list[str], env: dict[str, str]) -> int:
    server = os.environ.get("GLT_AWS_SERVER")
    if server:
        sys.path.insert(0, str(Path(__file__).parent))
        from aws_server import call

        return call(server, real[1:], env)
    os.execve(real[0], real, env)
    return 1  # not reached


# ---- amazon-cloudwatch-agent-ctl --------------------------------------------------------------
def cloudwatch_agent_ctl(argv: list[str]) -> int:
    """`-a fetch-config -m ec2 -c file:PATH` as the agent's config translator judges it on EC2:
    a Prometheus section without log_group_name is refused ("prometheus does not have log group
    name": aws/amazon-cloudwatch-agent translator/translate/otel/exporter/awsemf/prometheus.go),
    and the ctl script exits non-zero. $GLT_AGENT_FAIL=1 makes it fail whatever the config."""
    if os.environ.get("GLT_AGENT_FAIL") == "1":
        print("amazon-cloudwatch-agent-ctl: agent failed to start", file=sys.stderr)
        return 1
    source = argv[argv.index("-c") + 1].removeprefix("file:")
    config = json.loads(Path(rooted(source)).read_text())
    prometheus = config.get("logs", {}).get("metrics_collected", {}).get("prometheus")
    if prometheus is not None and not prometheus.get("log_group_name"):
        print("E! prometheus does not have log group name", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    tool, argv = sys.argv[1], sys.argv[2:]
    record(tool, argv)
    if tool == "systemctl":
        return systemctl(argv)
    if tool == "docker":
        return docker(argv)
    if tool == "aws":
        return aws(argv)
    if tool == "amazon-cloudwatch-agent-ctl":
        return cloudwatch_agent_ctl(argv)
    if tool == "neuron-ls":
        if os.environ.get("GLT_NEURON_LS_FAIL") == "1":
            print("neuron-ls: no Neuron driver found", file=sys.stderr)
            return 1
        print("+--------+--------+\n| NEURON | NEURON |\n| DEVICE | CORES  |\n+--------+--------+")
        return 0
    return 0  # dnf and anything else: recorded only


if __name__ == "__main__":
    sys.exit(main())
