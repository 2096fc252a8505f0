"""Pure: cluster args -> the node config, the JSON document of every setting a node gets (the
node agent's schema: node_agent/node-config.schema.json). Each value of the user's is in it once
(the agent puts the model id into the vLLM arguments and the artifact key's inputs), so even the
longest values leave the user data under EC2's 16 KB."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..args import ResolvedClusterArgs
from ..args.fields import parse_s3_uri
from ..documents import cloudwatch_agent
from ..facts import cold_start, images, timing
from ..facts.cold_start import predict_cold_start
from ..facts.ports import LATENCY_EXPORTER_PORT
from ..node_agent import config as schema
from ..node_agent import node_files as agent_files
from ..node_agent.cloudwatch import prometheus_scrape_config
from ..node_agent.paths import MODEL_MOUNT
from .artifact_key import artifact_cache_location, artifact_key_inputs, static_artifact_key
from .serve_command import serve_command

Job = Literal["boot", "compile"]
# The artifact key's inputs the config holds elsewhere (node_files.key_inputs puts them back).
_HELD_ELSEWHERE = ("image", "model_id", "vllm_args", "env")


@dataclass(frozen=True)
class ApiKeySource:
    """Where the node reads its API key: the SSM parameter ``name``, or, when ``pointer``, the
    parameter whose value is that name (a secret name then appears in no script and no log)."""

    name: str
    pointer: bool = False


def api_key_source(
    args: ResolvedClusterArgs, api_key_pointer: str | None = None
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


def readiness_timeout_seconds(args: ResolvedClusterArgs) -> int:
    """How long the boot gate and the release unit wait for vLLM: the predicted cold start with
    margin (facts/cold_start.py). Past it the boot fails, its heartbeats stop and the group replaces
    it."""
    cold = predict_cold_start(args.spec, args.model.weights_gib, args.model.info)
    return cold.readiness_timeout_s


def _monitoring(args: ResolvedClusterArgs, log_group: str) -> dict[str, Any] | None:
    """The CloudWatch agent's settings; refused here if the agent would refuse the documents
    the node writes from them (for a group of the longest name a cluster can have)."""
    if not args.monitoring.enabled:
        return None
    neuron = args.spec.accelerator == "neuron"
    group = "g" * 255
    scrape = prometheus_scrape_config(
        args.port, args.metrics_port, LATENCY_EXPORTER_PORT, neuron, group
    )
    agent = cloudwatch_agent.cloudwatch_agent_config(neuron, log_group)
    problems = cloudwatch_agent.agent_config_problems(agent, scrape)
    if problems:
        raise ValueError("the CloudWatch agent would refuse its config: " + "; ".join(problems))
    return {"log_group": log_group, "latency_port": LATENCY_EXPORTER_PORT}


def _artifacts(args: ResolvedClusterArgs) -> dict[str, Any] | None:
    if args.spec.accelerator != "neuron":
        return None
    cache = artifact_cache_location(args)
    inputs = artifact_key_inputs(args)
    return {
        "static_key": static_artifact_key(args),
        "inputs": {k: v for k, v in inputs.items() if k not in _HELD_ELSEWHERE},
        "cache": None if cache is None else {"bucket": cache[0], "prefix": cache[1]},
    }


def node_config(
    args: ResolvedClusterArgs,
    *,
    job: Job = "boot",
    api_key_pointer: str | None = None,
    metrics_log_group: str = cloudwatch_agent.DEFAULT_LOG_GROUP,
) -> dict[str, Any]:
    """The node config of this cluster's nodes (``job`` "boot"), or of its pre-warm job
    ("compile"); ValueError if the agent would refuse it."""
    parsed = parse_s3_uri(args.model.weights_uri)
    if parsed is None:  # config validation refuses these; keep the renderer total anyway
        raise ValueError(f"model.weights_uri {args.model.weights_uri!r} is not s3://bucket/prefix/")
    command = serve_command(args)
    served = ["serve", MODEL_MOUNT, "--served-model-name", args.model.id]
    if command.vllm_args[:4] != served:
        raise ValueError(f"the vLLM arguments do not start with {served}")
    source = api_key_source(args, api_key_pointer)
    protected = (
        args.scaling.mode == "target_tracking" and args.scaling.scale_in_protection_while_booting
    )
    config = {
        "format": schema.FORMAT,
        "job": job,
        "instance_type": args.spec.name,
        "serving_stack": images.serving_stack(args.spec),
        "model": {"id": args.model.id, "weights_bucket": parsed[0], "weights_prefix": parsed[1]},
        "image": args.image,
        "port": args.port,
        # Empty: the node reads its region from instance metadata.
        "region": args.region or "",
        "neuron_chips": args.spec.neuron_chips,
        # The CRT client's target: the instance's network bandwidth (facts/cold_start.py).
        "s3_target_gbps": cold_start.s3_target_gbps(args.spec),
        "ready_timeout_seconds": readiness_timeout_seconds(args),
        "heartbeat_seconds": timing.LIFECYCLE_HEARTBEAT_EVERY_SECONDS,
        "api_key": None
        if source is None
        else {"parameter": source.name, "pointer": source.pointer},
        "unprotect_on_release": protected,
        "metrics_port": args.metrics_port,
        "container": {"env": command.env, "vllm_args": command.vllm_args[4:]},
        "artifacts": _artifacts(args),
        "monitoring": _monitoring(args, metrics_log_group),
    }
    problems = schema.problems(config)
    if problems:
        raise ValueError("the node agent would refuse its config: " + "; ".join(problems))
    return config


def container_argv(args: ResolvedClusterArgs) -> list[str]:
    """The exact `docker run ...` command line a node runs for this cluster (the agent builds
    it from the node config)."""
    return agent_files.container_argv(node_config(args))
