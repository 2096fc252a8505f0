"""Runs rendered user data for real in a temporary root, against moto and fake tools: the
bootstrap fetches the node agent from moto's S3, checks it and runs it (on the machine's own
python3, outside this virtualenv: the agent needs the standard library only)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from fakes.shims import SHIMS

from fake_imds import ASG_NAME, GROUP_NAME_PATH, INSTANCE_ID, FakeImds
from graviton_llm import NeuronServingClusterArgs, render_user_data
from graviton_llm.node.agent_archive import agent_archive
from graviton_llm.node.agent_location import AGENT_FOLDER, AgentLocation
from graviton_llm.node.user_data import render_compile_script
from graviton_llm.node_agent import model_store_weights
from reaping import OWNER_ENV, die_with_parent
from support import free_port

__all__ = ["ASG_NAME", "INSTANCE_ID", "FakeImds"]

FAKES = Path(__file__).parent / "fakes"
REAL_AWS = Path(sys.executable).with_name("aws")
VLLM_UNIT = "graviton-llm-vllm.service"
AGENT = "opt/graviton-llm/bin/graviton-llm-agent"
PUBLISH_UNIT = "graviton-llm-publish.service"

# The fake model directory: small files, a nested one and an S3 folder marker (not a file).
WEIGHTS = {
    "config.json": b'{"architectures": ["LlamaForCausalLM"], "num_hidden_layers": 2}',
    "model-00001-of-00002.safetensors": os.urandom(96 * 1024),
    "model-00002-of-00002.safetensors": os.urandom(64 * 1024),
    "tokenizer.json": b'{"version": "1.0"}',
    "original/params.json": b'{"dim": 64}',
}


def seeded_weights_digest() -> str:
    """The identity of WEIGHTS as a node lists them from S3 (single-part ETags are MD5s)."""
    etags = {name: f'"{hashlib.md5(data).hexdigest()}"' for name, data in WEIGHTS.items()}
    files = [[name, len(WEIGHTS[name]), etag] for name, etag in etags.items()]
    return model_store_weights.weights_digest(sorted(files))


# Fault scenarios are independent (own root, bucket, ports): conftest's `scenarios` fixture
# runs them all at once, in threads, and each test waits for its own.
SCENARIOS: dict[str, Callable[[Sandbox], Any]] = {}


def scenario(setup: Callable[[Sandbox], Any]) -> Callable[[Sandbox], Any]:
    SCENARIOS[setup.__name__] = setup
    return setup


class MotoServer:
    """`moto_server` on 127.0.0.1 with an ephemeral port, and the AWS CLI server the aws shim
    runs its calls in (fakes/aws_server.py: the real CLI without its start-up cost)."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.cli_socket = str(log.with_name("aws-cli.sock"))
        self.cli = subprocess.Popen(
            [sys.executable, str(FAKES / "aws_server.py"), self.cli_socket],
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=die_with_parent(),
        )
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", "0"],
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(),
            )
        assert self.cli.stdout is not None and self.cli.stdout.readline() == "ready\n"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            found = re.search(r"Running on (http://127\.0\.0\.1:\d+)", log.read_text())
            if found:
                self.endpoint = found.group(1)
                return
            time.sleep(0.05)
        self.process.kill()
        self.cli.kill()
        raise RuntimeError(f"moto_server did not start: {log.read_text()}")

    def client(self, service: str) -> Any:
        # A session per client: boto3's default session is not safe across threads.
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def stop(self) -> None:
        for process in (self.process, self.cli):
            process.terminate()
            process.wait(timeout=10)


@dataclass
class Run:
    returncode: int
    output: str
    seconds: float
    calls: list[dict[str, Any]]

    def argv(self, tool: str) -> list[list[str]]:
        return [c["argv"] for c in self.calls if c["tool"] == tool]


class Sandbox:
    """A node's filesystem under a temp dir, PATH shims, and the stand-in vLLM."""

    def __init__(self, tmp: Path, moto: MotoServer, bucket: str) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        self.others: list[Sandbox] = []
        self.tmp = tmp
        self.moto = moto
        self.bucket = bucket
        self.root = tmp / "root"
        self.state = tmp / "state"
        self.bin = tmp / "bin"
        self.container_bin = tmp / "container-bin"
        for directory in (self.root, self.state, self.bin, self.container_bin):
            directory.mkdir()
        for tool in SHIMS:
            self._wrapper(self.bin / tool, f'"{FAKES / "tool.py"}" {tool}')
        self._wrapper(self.container_bin / "vllm", f'"{FAKES / "fake_vllm.py"}"')
        self.record = tmp / "calls.jsonl"
        self.server_log = tmp / "server.jsonl"
        self.port = free_port()
        self.metrics_port = free_port()
        self.script = tmp / "user-data.sh"
        self.last_args: NeuronServingClusterArgs | None = None
        self.imds = FakeImds()
        digest = agent_archive().sha256
        # Pinned in the sandbox's own bucket whatever the args name (a scenario's weights may
        # be in a bucket that does not exist); published by the first run, as `pulumi up` does.
        self.agent = AgentLocation(self.bucket, f"{AGENT_FOLDER}{digest}.pyz", "us-east-1", digest)
        self.agent_published = False

    def _wrapper(self, path: Path, command: str) -> None:
        path.write_text(f'#!/bin/sh\nexec "{sys.executable}" {command} "$@"\n')
        path.chmod(0o755)

    # ---- inputs ---------------------------------------------------------------------------
    def upload_weights(self, prefix: str, files: dict[str, bytes] | None = None) -> None:
        s3 = self.moto.client("s3")
        for name, data in (WEIGHTS if files is None else files).items():
            s3.put_object(Bucket=self.bucket, Key=f"{prefix}{name}", Body=data)
        s3.put_object(Bucket=self.bucket, Key=f"{prefix}original/", Body=b"")

    def seed_weights(self) -> None:
        """A node whose weights are already complete (a reboot, a warm-pool instance), with
        the identity its first boot recorded (as if listed from S3: single-part ETags)."""
        model = self.root / "opt/graviton-llm/model"
        for name, data in WEIGHTS.items():
            (model / name).parent.mkdir(parents=True, exist_ok=True)
            (model / name).write_bytes(data)
        (model / ".graviton-llm-complete").touch()
        identity = self.root / "opt/graviton-llm/etc/weights-identity.json"
        identity.parent.mkdir(parents=True, exist_ok=True)
        identity.write_text(json.dumps({"digest": seeded_weights_digest()}))

    def weights_digest(self, prefix: str) -> str:
        """The identity a node computes from the listing of ``prefix`` (keys, sizes, ETags)."""
        listed = self.moto.client("s3").list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        files = [
            [o["Key"][len(prefix) :], o["Size"], o["ETag"]]
            for o in listed.get("Contents", [])
            if not o["Key"].endswith("/")
        ]
        return model_store_weights.weights_digest(sorted(files))

    def another_node(self) -> Sandbox:
        """A second node of the same cluster: its own root and processes, the same bucket."""
        other = Sandbox(self.tmp / f"node-{len(self.others) + 2}", self.moto, self.bucket)
        self.others.append(other)
        return other

    def own_ports(self, args: NeuronServingClusterArgs) -> NeuronServingClusterArgs:
        """The cluster's args served on this node's ports. Real nodes share a port on their own
        addresses; here they share 127.0.0.1, and a node on another's port would pass its
        readiness probe on the other node's server before its own vLLM had started."""
        return args.model_copy(update={"port": self.port, "metrics_port": self.metrics_port})

    def group_name(self, name: str) -> None:
        """Instance metadata reports this Auto Scaling group name from now on."""
        self.imds.values[GROUP_NAME_PATH] = name

    def neuron_devices(self, count: int) -> None:
        (self.root / "dev").mkdir(exist_ok=True)
        for i in range(count):
            (self.root / "dev" / f"neuron{i}").touch()

    def args(self, **overrides: Any) -> NeuronServingClusterArgs:
        from support import cluster_args

        model = {"weights_uri": f"s3://{self.bucket}/llama/"} | overrides.pop("model", {})
        return NeuronServingClusterArgs.model_validate(
            cluster_args(port=self.port, metrics_port=self.metrics_port, model=model, **overrides)
        )

    def publish_agent(self, data: bytes | None = None) -> None:
        """The node agent where the user data pins it: the real archive, or ``data``."""
        body = agent_archive().data if data is None else data
        self.moto.client("s3").put_object(Bucket=self.bucket, Key=self.agent.key, Body=body)
        self.agent_published = True

    # ---- running ----------------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": f"{self.bin}:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(self.tmp),
            "LANG": "C.UTF-8",
            "GRAVITON_LLM_ROOT": str(self.root),
            "GRAVITON_LLM_POLL_SECONDS": "0.2",
            "GRAVITON_LLM_BACKOFF_SECONDS": "0",
            "GRAVITON_LLM_ATTEMPTS": "3",
            "AWS_ENDPOINT_URL": self.moto.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(self.tmp / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.tmp / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "GLT_RECORD": str(self.record),
            "GLT_STATE": str(self.state),
            "GLT_REAL_AWS": str(REAL_AWS),
            "GLT_AWS_SERVER": self.moto.cli_socket,
            "GLT_DEAD_PORT": str(free_port()),
            "GLT_CONTAINER_BIN": str(self.container_bin),
            "GLT_START_UNITS": f"{VLLM_UNIT},{PUBLISH_UNIT}",
            "GRAVITON_LLM_IMDS_URL": self.imds.url,
            "FAKE_VLLM_LOG": str(self.server_log),
            OWNER_ENV: str(os.getpid()),  # units end when this test run does (fakes/tether.py)
        }
        return env | extra

    def run(
        self,
        args: NeuronServingClusterArgs,
        timeout: float = 30,
        env: dict[str, str] | None = None,
        api_key_pointer: str | None = None,
        script: str | None = None,
        **extra: str,
    ) -> Run:
        """The user data (or ``script``) run once, as cloud-init would."""
        self.last_args = args
        if not self.agent_published:
            self.publish_agent()
        self.script.write_text(script if script is not None else self.render(args, api_key_pointer))
        return self.command(["bash", str(self.script)], timeout, env, **extra)

    def render(self, args: NeuronServingClusterArgs, api_key_pointer: str | None = None) -> str:
        """The user data of a node of ``args``, pinning this sandbox's agent."""
        return render_user_data(args, api_key_pointer=api_key_pointer, agent=self.agent)

    def run_compile(self, args: NeuronServingClusterArgs, **extra: str) -> Run:
        """The pre-warm script (`graviton-llm compile`) on a one-off instance."""
        return self.run(args, script=render_compile_script(args, agent=self.agent), **extra)

    def model_store(self, *words: str, **extra: str) -> Run:
        """The node agent's model-store, as a unit would run it."""
        return self.command([str(self.root / AGENT), "model-store", *words], 30, None, **extra)

    def command(
        self, argv: list[str], timeout: float, env: dict[str, str] | None, **extra: str
    ) -> Run:
        self.record.unlink(missing_ok=True)
        started = time.monotonic()
        done = subprocess.run(
            argv,
            cwd=self.tmp,  # a relative path the script writes lands in the sandbox
            env=env if env is not None else self.env(**extra),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            preexec_fn=die_with_parent(),  # this thread waits for it: it outlives the script
        )
        seconds = time.monotonic() - started
        record = self.record.read_text() if self.record.exists() else ""
        calls = [json.loads(line) for line in record.splitlines()]
        return Run(done.returncode, done.stdout + done.stderr, seconds, calls)

    def model_files(self) -> dict[str, bytes]:
        """The weights on the node, by path under the model directory."""
        model = self.root / "opt/graviton-llm/model"
        return {
            str(p.relative_to(model)): p.read_bytes()
            for p in sorted(model.rglob("*"))
            if p.is_file() and p.name != ".graviton-llm-complete"
        }

    def server_events(self) -> list[dict[str, Any]]:
        if not self.server_log.exists():
            return []
        return [json.loads(line) for line in self.server_log.read_text().splitlines()]

    def artifact_events(self) -> list[dict[str, Any]]:
        """What the stand-in vLLM found in NEURON_COMPILED_ARTIFACTS at each start."""
        return [e for e in self.server_events() if e["event"] == "artifacts"]

    def stop(self) -> None:
        """Ends every process the systemctl shim started (their own process groups)."""
        for other in self.others:
            other.stop()
        self.imds.stop()
        for pid_file in self.state.glob("*.pid"):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(int(pid_file.read_text()), signal.SIGTERM)
