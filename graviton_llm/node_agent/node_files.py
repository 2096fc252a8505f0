"""Every file the agent installs on a node besides the weights, from the node config: the vLLM
runner, the systemd units and the CloudWatch agent's documents; and what model-store reads."""

from __future__ import annotations

import json
import shlex
from typing import Any, NamedTuple

from . import units
from .cloudwatch import cloudwatch_agent_config
from .container import docker_options, metrics_commands
from .paths import (
    ACTIVE_ARTIFACTS,
    API_KEY_FILE,
    API_KEY_MOUNT,
    ARTIFACTS_DIR,
    CLOUDWATCH_AGENT_CONFIG_PATH,
    COMPLETE_MARKER,
    CONTAINER_NAME,
    LATENCY_UNIT,
    METRICS_UNIT,
    MODEL_DIR,
    MODEL_MOUNT,
    PUBLISH_UNIT,
    RELEASE_UNIT,
    RUNNER,
    UNIT_DIR,
    VLLM_UNIT,
    WEIGHTS_IDENTITY,
)

# Container env that names paths, not what is compiled: left out of the artifact key.
PATH_ENV = ("NEURON_COMPILED_ARTIFACTS", "VLLM_CACHE_ROOT")


class NodeFile(NamedTuple):
    path: str
    mode: int
    text: str


def vllm_args(config: dict[str, Any]) -> list[str]:
    """`vllm serve` and its arguments: the served model's name is the model id (the config
    holds each value once, so the longest ids still fit in the user data)."""
    served = ["serve", MODEL_MOUNT, "--served-model-name", config["model"]["id"]]
    return [*served, *config["container"]["vllm_args"]]


def _entrypoint(config: dict[str, Any]) -> list[str]:
    """`--entrypoint` and the words before the vLLM arguments.

    With an API key, a shell reads the key from a root-only file mounted read-only and exports
    it as VLLM_API_KEY, which vLLM's API server uses exactly like `--api-key`: passed this way
    the key is in neither `ps` (argv) nor `docker inspect` (Config.Env), only the file's path.
    """
    if config["api_key"] is None:
        return ["--entrypoint", "vllm", config["image"]]
    export_key = f'VLLM_API_KEY="$(cat {API_KEY_MOUNT})" && export VLLM_API_KEY && exec vllm "$@"'
    return ["--entrypoint", "/bin/sh", config["image"], "-c", export_key, "vllm"]


def container_argv(config: dict[str, Any]) -> list[str]:
    """The exact `docker run ...` command line of this node's vLLM container."""
    container, port = config["container"], config["port"]
    secrets = ["-v", f"{API_KEY_FILE}:{API_KEY_MOUNT}:ro"] if config["api_key"] else []
    return [
        "docker", "run", "--rm", "--name", CONTAINER_NAME, "--log-driver", "journald",
        "-p", f"{port}:{port}", "-v", f"{MODEL_DIR}:{MODEL_MOUNT}:ro", *secrets,
        "--ulimit", "nofile=1048576:1048576", *docker_options(config),
        *(f"--env={key}={value}" for key, value in sorted(container["env"].items())),
        *_entrypoint(config), *vllm_args(config),
    ]  # fmt: skip


def flag_groups(argv: list[str]) -> list[list[str]]:
    """One flag and its value per line; words that are not flags stay with the words before
    them: ["docker", "run", "--port", "8000", "--rm"] -> [["docker", "run"], ["--port", "8000"],
    ["--rm"]]."""
    groups: list[list[str]] = []
    for part in argv:
        if groups and not part.startswith("-"):
            head = groups[-1]
            takes_value = head[0].startswith("-") and len(head) == 1 and "=" not in head[0]
            if takes_value or not head[0].startswith("-"):
                head.append(part)
                continue
        groups.append([part])
    return groups


def runner_script(argv: list[str]) -> str:
    """The foreground `docker run` that the systemd unit supervises, every word shell-quoted."""
    lines = " \\\n  ".join(" ".join(map(shlex.quote, group)) for group in flag_groups(argv))
    return (
        "#!/bin/bash\n"
        "# Runs the vLLM container in the foreground for systemd (written by graviton-llm).\n"
        "set -euo pipefail\n"
        f"docker rm -f {CONTAINER_NAME} >/dev/null 2>&1 || true\n"
        f"exec {lines}\n"
    )


def key_inputs(config: dict[str, Any]) -> dict[str, Any] | None:
    """What the artifact key covers (the renderer's serve_command.artifact_key_inputs): the
    config's inputs with the values it holds once elsewhere put back."""
    artifacts = config["artifacts"]
    if artifacts is None:
        return None
    args = vllm_args(config)
    if "--port" in args:
        at = args.index("--port")
        args = args[:at] + args[at + 2 :]
    env = config["container"]["env"]
    put_back = {
        "image": config["image"],
        "model_id": config["model"]["id"],
        "vllm_args": args,
        "env": {k: v for k, v in sorted(env.items()) if k not in PATH_ENV},
    }
    return {**artifacts["inputs"], **put_back}


def model_store_settings(config: dict[str, Any]) -> dict[str, Any]:
    """What model-store reads: the weights, where the artifacts live and the cache."""
    model, artifacts = config["model"], config["artifacts"]
    return {
        "weights_uri": f"s3://{model['weights_bucket']}/{model['weights_prefix']}",
        "weights_prefix": model["weights_prefix"],
        "model_dir": MODEL_DIR,
        "complete_marker": COMPLETE_MARKER,
        "identity_file": WEIGHTS_IDENTITY,
        "artifacts_dir": ARTIFACTS_DIR,
        "active": ACTIVE_ARTIFACTS,
        "port": config["port"],
        "static_key": artifacts["static_key"] if artifacts else None,
        "key_inputs": key_inputs(config),
        "cache": artifacts["cache"] if artifacts else None,
    }


def node_files(config: dict[str, Any]) -> list[NodeFile]:
    """Every file the boot writes besides the weights and the AWS settings; the Prometheus
    scrape config comes later, once the node knows its group (boot.setup_monitoring)."""
    neuron = config["artifacts"] is not None
    metrics_exec, metrics_pre = metrics_commands(config)
    files = [
        NodeFile(RUNNER, 0o755, runner_script(container_argv(config))),
        NodeFile(
            f"{UNIT_DIR}/{VLLM_UNIT}",
            0o644,
            units.vllm_unit(
                api_key=config["api_key"] is not None,
                prepare=neuron,
                start_timeout_s=config["ready_timeout_seconds"],
            ),
        ),
        NodeFile(
            f"{UNIT_DIR}/{METRICS_UNIT}", 0o644, units.metrics_unit(metrics_exec, metrics_pre)
        ),
        NodeFile(f"{UNIT_DIR}/{RELEASE_UNIT}", 0o644, units.release_unit()),
    ]
    if neuron:
        files.append(NodeFile(f"{UNIT_DIR}/{PUBLISH_UNIT}", 0o644, units.publish_unit()))
    monitoring = config["monitoring"]
    if monitoring is not None:
        latency = units.latency_unit(config["port"], monitoring["latency_port"])
        agent = cloudwatch_agent_config(neuron, monitoring["log_group"])
        files += [
            NodeFile(CLOUDWATCH_AGENT_CONFIG_PATH, 0o644, _compact(agent)),
            NodeFile(f"{UNIT_DIR}/{LATENCY_UNIT}", 0o644, latency),
        ]
    return files


def _compact(document: object) -> str:
    return json.dumps(document, separators=(",", ":"))
