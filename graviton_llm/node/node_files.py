"""Every file the boot script installs on a node besides the weights: scripts, systemd units and
the CloudWatch agent's documents."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from importlib import resources

from ..args import NeuronServingClusterArgs
from ..documents import cloudwatch_agent
from ..documents.cloudwatch_agent import DEFAULT_LOG_GROUP
from ..facts import timing
from ..facts.ports import LATENCY_EXPORTER_PORT
from ..facts.sizing import predict_cold_start
from . import units
from .paths import (
    API_KEY_FILE,
    CONTAINER_NAME,
    FETCH_API_KEY,
    LATENCY_EXPORTER,
    LATENCY_UNIT,
    LIFECYCLE_HOOK_NAME,
    METRICS_UNIT,
    RELEASE_SCRIPT,
    RELEASE_UNIT,
    RUNNER,
    VLLM_UNIT,
)
from .serve_command import container_argv, flag_groups, serve_command
from .shell import assign, template


@dataclass(frozen=True)
class NodeFile:
    """A file the boot script installs on the node."""

    path: str
    mode: str
    text: str


@dataclass(frozen=True)
class ApiKeySource:
    """Where the node reads its API key: the SSM parameter ``name``, or, when ``pointer``, the
    parameter whose value is that name (a secret name then appears in no script and no log)."""

    name: str
    pointer: bool = False


def api_key_source(
    args: NeuronServingClusterArgs, api_key_pointer: str | None = None
) -> ApiKeySource | None:
    """None without an API key; the pointer when one is given (it must be, for a name that is
    an Output: its value is unknown here, and secret)."""
    parameter = args.api_key_ssm_parameter
    if parameter is None:
        return None
    if api_key_pointer is not None:
        return ApiKeySource(api_key_pointer, pointer=True)
    if not isinstance(parameter, str):
        raise ValueError(
            "api_key_ssm_parameter is an Output: give api_key_pointer, the SSM parameter that "
            "holds its name (NeuronServingCluster creates it)"
        )
    return ApiKeySource(parameter)


def node_files(
    args: NeuronServingClusterArgs,
    api_key_pointer: str | None = None,
    *,
    metrics_log_group: str = DEFAULT_LOG_GROUP,
) -> list[NodeFile]:
    """Every file the boot script writes besides the weights: scripts, systemd units and the
    CloudWatch agent's documents (refused here if the agent would refuse them)."""
    command = serve_command(args)
    files = [NodeFile(RUNNER, "0755", runner_script(container_argv(args, command)))]
    source = api_key_source(args, api_key_pointer)
    if source is not None:
        files.append(NodeFile(FETCH_API_KEY, "0700", fetch_api_key_script(source)))
    files += [
        NodeFile(
            f"/etc/systemd/system/{VLLM_UNIT}",
            "0644",
            units.vllm_unit(api_key=args.api_key_ssm_parameter is not None),
        ),
        NodeFile(
            f"/etc/systemd/system/{METRICS_UNIT}",
            "0644",
            units.metrics_unit(command.metrics_exec, command.metrics_pre),
        ),
        NodeFile(RELEASE_SCRIPT, "0755", release_script(args)),
        NodeFile(f"/etc/systemd/system/{RELEASE_UNIT}", "0644", units.release_unit()),
    ]
    if args.monitoring.enabled:
        neuron = args.spec.accelerator == "neuron"
        scrape = cloudwatch_agent.prometheus_scrape_config(
            args.port, args.metrics_port, LATENCY_EXPORTER_PORT, neuron
        )
        agent = cloudwatch_agent.cloudwatch_agent_config_json(neuron, metrics_log_group)
        problems = cloudwatch_agent.agent_config_problems(json.loads(agent), scrape)
        if problems:
            raise ValueError("the CloudWatch agent would refuse its config: " + "; ".join(problems))
        files += [
            # The group's name replaces the placeholder at boot (templates/operations.sh).
            NodeFile(cloudwatch_agent.PROMETHEUS_CONFIG_PATH, "0644", scrape),
            NodeFile(cloudwatch_agent.AGENT_CONFIG_PATH, "0644", agent),
            NodeFile(LATENCY_EXPORTER, "0755", latency_exporter_script()),
            NodeFile(f"/etc/systemd/system/{LATENCY_UNIT}", "0644", units.latency_unit(args.port)),
        ]
    return files


def runner_script(docker_run: list[str]) -> str:
    """The foreground `docker run` that the systemd unit supervises, every word shell-quoted."""
    lines = " \\\n  ".join(" ".join(map(shlex.quote, group)) for group in flag_groups(docker_run))
    return (
        "#!/bin/bash\n"
        "# Runs the vLLM container in the foreground for systemd (rendered by graviton-llm).\n"
        "set -euo pipefail\n"
        f"docker rm -f {CONTAINER_NAME} >/dev/null 2>&1 || true\n"
        f"exec {lines}\n"
    )


def fetch_api_key_script(source: ApiKeySource | str) -> str:
    """ExecStartPre of the vLLM unit: the API key from SSM Parameter Store into a root-only file
    on tmpfs (/run), read again at every (re)start so a rotated key needs only a restart. With a
    pointer, the key's parameter name is read from it first and never printed."""
    if isinstance(source, str):
        source = ApiKeySource(source)
    settings = [
        "#!/bin/bash",
        "# Reads the vLLM API key (SSM SecureString) into a root-only file (rendered by "
        "graviton-llm).",
        "set -euo pipefail",
        'readonly ROOT="${GRAVITON_LLM_ROOT:-}"',
        assign("PARAMETER", "" if source.pointer else source.name),
        assign("POINTER", source.name if source.pointer else ""),
        f'readonly KEY_FILE="${{ROOT}}{API_KEY_FILE}"',
    ]
    return "\n".join(settings) + "\n" + template("fetch-api-key.sh")


def release_script(args: NeuronServingClusterArgs) -> str:
    """The release unit's script: settings for this cluster, then templates/release-node.sh.
    With target tracking it also lifts the node's scale-in protection once it serves."""
    protected = (
        args.scaling.mode == "target_tracking" and args.scaling.scale_in_protection_while_booting
    )
    settings = [
        "#!/bin/bash",
        "# Puts this node in service once vLLM answers (rendered by graviton-llm).",
        "set -euo pipefail",
        assign("PORT", args.port),
        assign("READY_TIMEOUT_SECONDS", readiness_timeout_seconds(args)),
        assign("LIFECYCLE_HOOK", LIFECYCLE_HOOK_NAME),
        assign("HEARTBEAT_SECONDS", timing.LIFECYCLE_HEARTBEAT_EVERY_SECONDS),
        assign("UNPROTECT", 1 if protected else 0),
    ]
    return "\n".join(settings) + "\n" + template("release-node.sh")


def latency_exporter_script() -> str:
    source = resources.files(__package__).joinpath("latency_exporter.py").read_text()
    return "#!/usr/bin/python3\n" + source


def readiness_timeout_seconds(args: NeuronServingClusterArgs) -> int:
    """How long the boot gate and the release unit wait for vLLM: the predicted cold start with
    margin (facts/sizing.py). Past it the boot fails, its heartbeats stop and the group replaces
    it."""
    cold = predict_cold_start(args.spec, args.model.weights_gib, args.model.info)
    return cold.readiness_timeout_s
