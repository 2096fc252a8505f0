"""Pure renderer: cluster args -> the boot script a node runs as EC2 user data.

One entry point, ``render_user_data``. The common steps (weights, image, systemd units,
readiness gate) live in ``templates/boot.sh`` and the operations tail in
``templates/operations.sh``; ``serve_command`` decides the container's devices, env and flags per
serving stack, and ``node_files`` the files installed. Values from the user reach the script
only as quoted assignments (shell.py).
"""

from __future__ import annotations

import json
import shlex
from functools import lru_cache

from ..args import ResolvedClusterArgs
from ..args.fields import parse_s3_uri
from ..documents import cloudwatch_agent
from ..documents.cloudwatch_agent import DEFAULT_LOG_GROUP
from ..facts import images, sizing, timing
from .deflate import gzip_bytes
from .node_files import NodeFile, api_key_source, node_files, readiness_timeout_seconds
from .paths import (
    API_KEY_FILE,
    ARTIFACTS_DIR,
    AWS_CLI_CONFIG,
    AWS_ENV_FILE,
    COMPLETE_MARKER,
    LATENCY_UNIT,
    LIFECYCLE_HOOK_NAME,
    METRICS_UNIT,
    MODEL_DIR,
    MODEL_STORE,
    PUBLISH_UNIT,
    RELEASE_UNIT,
    VLLM_UNIT,
    WEIGHTS_LISTING,
)
from .shell import assign, template

# "User data is limited to 16 KB, in raw form, before it is base64-encoded" (EC2 User Guide,
# "Work with instance user data").
USER_DATA_LIMIT_BYTES = 16 * 1024


def probe_body(model_id: str) -> str:
    """One real completion: the boot is ready only when the model answers one."""
    return json.dumps({"model": model_id, "prompt": "ping", "max_tokens": 1})


def _install_function(files: list[NodeFile]) -> list[str]:
    lines = ["write_node_files() {"]
    for node_file in files:
        marker = "GRAVITON_LLM_FILE"
        if marker in node_file.text:
            raise ValueError(f"{node_file.path} contains the heredoc marker {marker}")
        lines += [
            f"install_file {shlex.quote(node_file.path)} {node_file.mode} <<'{marker}'",
            node_file.text.rstrip("\n"),
            marker,
        ]
    return [*lines, "}"]


def _check_accelerator(chips: int) -> list[str]:
    if chips == 0:
        return ["check_accelerator() {", "  : # vLLM's CPU backend needs no device", "}"]
    # neuron-ls fails without the Neuron driver; each chip is one /dev/neuron<i> (the devices
    # the container is given, see serve_command._neuron_docker_options).
    return template("check-accelerator.sh", CHIPS=chips, LAST_CHIP=chips - 1).splitlines()


def _header(
    args: ResolvedClusterArgs, job: str, metrics_log_group: str, api_key_pointer: str | None
) -> list[str]:
    """The settings every script of a node starts with, then its files and accelerator check."""
    source = api_key_source(args, api_key_pointer)
    parsed = parse_s3_uri(args.model.weights_uri)
    if parsed is None:  # config validation refuses these; keep the renderer total anyway
        raise ValueError(f"model.weights_uri {args.model.weights_uri!r} is not s3://bucket/prefix/")
    bucket, prefix = parsed
    return [
        "#!/bin/bash",
        # Only catalog names here: a user's value is never inside a comment, always quoted below.
        f"# graviton-llm {job} script for {args.spec.name} ({images.serving_stack(args.spec)}). "
        "Do not edit: change the stack's args.",
        "set -euo pipefail",
        "# GRAVITON_LLM_ROOT prefixes every path so tests can run this script in a sandbox.",
        'readonly ROOT="${GRAVITON_LLM_ROOT:-}"',
        assign("JOB", job),
        assign("WEIGHTS_URI", f"s3://{bucket}/{prefix}"),
        assign("WEIGHTS_BUCKET", bucket),
        assign("WEIGHTS_PREFIX", prefix),
        assign("MODEL_ID", args.model.id),
        # The readiness probe's request, built as JSON here (never by printf in the script).
        assign("PROBE_BODY", probe_body(args.model.id)),
        assign("IMAGE", args.image or ""),
        assign("PORT", args.port),
        assign("DEPLOY_REGION", args.region or ""),
        # Set when the node has an API key: the parameter, or the pointer to it.
        assign("API_KEY_PARAMETER", source.name if source is not None else ""),
        assign("API_KEY_FILE", API_KEY_FILE),
        assign("AWS_ENV_FILE", AWS_ENV_FILE),
        assign("AWS_CLI_CONFIG", AWS_CLI_CONFIG),
        # The CRT client's target: the instance's network bandwidth (facts/sizing.py).
        assign("S3_TARGET_GBPS", sizing.s3_target_gbps(args.spec)),
        assign("MODEL_DIR", MODEL_DIR),
        assign("COMPLETE_MARKER_NAME", COMPLETE_MARKER),
        assign("MODEL_STORE", MODEL_STORE),
        assign("WEIGHTS_LISTING", WEIGHTS_LISTING),
        assign("ARTIFACTS_DIR", ARTIFACTS_DIR),
        assign("VLLM_UNIT", VLLM_UNIT),
        assign("READY_TIMEOUT_SECONDS", readiness_timeout_seconds(args)),
        "",
        *_install_function(node_files(args, api_key_pointer, metrics_log_group=metrics_log_group)),
        "",
        *_check_accelerator(args.spec.neuron_chips),
        "",
    ]


def render_user_data(
    args: ResolvedClusterArgs,
    *,
    api_key_pointer: str | None = None,
    metrics_log_group: str = DEFAULT_LOG_GROUP,
) -> str:
    """The complete boot script for one node of this cluster (bash, for cloud-init).

    A shell script, not cloud-config: cloud-init runs user data that starts with `#!` as-is
    (cloud-init docs, "User data formats": user data script), so there is no cloud-config
    schema to validate; the script itself is shellcheck-clean and tested by running it.

    ``api_key_pointer``: the SSM parameter holding the API key parameter's name, when that name
    must stay out of the script (a secret Output); required then (node_files.api_key_source).
    """
    neuron = args.spec.accelerator == "neuron"
    operations = [
        assign("METRICS_UNIT", METRICS_UNIT),
        assign("MONITORING", 1 if args.monitoring.enabled else 0),
        assign("RELEASE_UNIT", RELEASE_UNIT),
        assign("PUBLISH_UNIT", PUBLISH_UNIT if neuron else ""),
        assign("LATENCY_UNIT", LATENCY_UNIT),
        assign("LIFECYCLE_HOOK", LIFECYCLE_HOOK_NAME),
        assign("HEARTBEAT_SECONDS", timing.LIFECYCLE_HEARTBEAT_EVERY_SECONDS),
        assign("CLOUDWATCH_DIR", cloudwatch_agent.CLOUDWATCH_DIR),
        assign("ASG_NAME_PLACEHOLDER", cloudwatch_agent.ASG_NAME_PLACEHOLDER),
        "",
    ]
    header = _header(args, "boot", metrics_log_group, api_key_pointer)
    body = template("common.sh") + template("boot.sh") + template("operations.sh")
    script = "\n".join(header + operations) + "\n" + body
    compress_user_data(script)  # refuses a script EC2 would not take, at preview time
    return script


def render_compile_script(
    args: ResolvedClusterArgs,
    *,
    api_key_pointer: str | None = None,
    metrics_log_group: str = DEFAULT_LOG_GROUP,
) -> str:
    """The pre-warm script: run once as the user data of a one-off instance of the cluster's
    type (its launch template), it compiles the model exactly as a node would, publishes the
    set to the artifact cache and powers off. Neuron only: the CPU path compiles nothing."""
    if args.artifact_cache_root is None:
        raise ValueError(
            "nothing to pre-warm: the artifact cache is off, or the instance type compiles nothing"
        )
    header = _header(args, "compile", metrics_log_group, api_key_pointer)
    script = "\n".join(header) + "\n" + template("common.sh") + template("compile.sh")
    compress_user_data(script)
    return script


@lru_cache(maxsize=16)  # pure: a plan renders each cluster's script on two runs
def compress_user_data(script: str) -> bytes:
    """The bytes the launch template carries: the script gzip-compressed by our own encoder
    (node/deflate.py), so they depend on the script alone, not on the zlib build of whoever
    deploys: different bytes would make a new template version and roll the fleet.

    cloud-init uncompresses gzip user data and then treats it as if it had not been compressed
    (cloud-init docs, "User data formats": gzip compressed content); EC2's 16 KB limit applies
    to these raw bytes, before base64. Compressed, a 46 KB boot script is ~14 KB.
    """
    raw = gzip_bytes(script.encode())
    if len(raw) > USER_DATA_LIMIT_BYTES:  # EC2 would refuse the launch template at deploy time
        raise ValueError(
            f"user data is {len(raw)} bytes compressed, over EC2's {USER_DATA_LIMIT_BYTES}"
        )
    return raw
