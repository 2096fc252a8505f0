"""Pure renderer: cluster args -> the boot script a node runs as EC2 user data.

One entry point, ``render_user_data``, and one function per serving stack (vLLM on the
NxD-Inference-based Neuron plugin, vLLM on the newer Neuron plugin, vLLM's CPU backend on
Graviton). The common steps (weights, image, systemd units, readiness gate) live in
``templates/boot.sh``; the stack functions decide only the container's devices, env and flags.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import shlex
from dataclasses import dataclass, field
from importlib import resources
from typing import assert_never

from . import images, monitoring, timing
from .catalog import DTYPE_BYTES, GIB
from .config import LATENCY_EXPORTER_PORT, NeuronServingClusterArgs
from .sizing import predict_cold_start
from .validation import parse_s3_uri

# Paths on the node. The container sees the model read-only at MODEL_MOUNT.
APP_DIR = "/opt/graviton-llm"
MODEL_DIR = f"{APP_DIR}/model"
ARTIFACTS_DIR = f"{APP_DIR}/compiled"
MODEL_MOUNT = "/models/model"
ARTIFACTS_MOUNT = "/compiled"
CONTAINER_NAME = "graviton-llm-vllm"
VLLM_UNIT = "graviton-llm-vllm.service"
METRICS_UNIT = "graviton-llm-metrics.service"
RELEASE_UNIT = "graviton-llm-release.service"
RELEASE_SCRIPT = f"{APP_DIR}/bin/release-node"
LATENCY_UNIT = "graviton-llm-latency.service"
LATENCY_EXPORTER = f"{APP_DIR}/bin/latency-exporter"
# The ASG's launch lifecycle hook that each node completes once it serves.
LIFECYCLE_HOOK_NAME = "graviton-llm-boot"
CLOUDWATCH_DIR = "/opt/aws/amazon-cloudwatch-agent/etc"
RUNNER = f"{APP_DIR}/bin/run-vllm"
FETCH_API_KEY = f"{APP_DIR}/bin/fetch-api-key"
# Region for the AWS CLI: the CLI takes credentials from instance metadata but not the region
# (boto/boto3#375, aws/aws-cli#486), so the boot script resolves it once and writes it here.
AWS_ENV_FILE = f"{APP_DIR}/etc/aws.env"
# The API key lives only on tmpfs (/run), root-only; the container sees it read-only.
API_KEY_FILE = "/run/graviton-llm/api-key"
API_KEY_MOUNT = "/run/secrets/vllm-api-key"

# "User data is limited to 16 KB, in raw form, before it is base64-encoded" (EC2 User Guide,
# "Work with instance user data").
USER_DATA_LIMIT_BYTES = 16 * 1024

# vllm-neuron (NxDI-based) recommends a paged-attention block of 32 or 16 (Neuron docs, "vLLM
# User Guide for NxD Inference", prefix caching row).
NEURON_BLOCK_SIZE = 32
# Pinned node metrics exporter for the CPU path (Prometheus node_exporter).
NODE_EXPORTER_IMAGE = "quay.io/prometheus/node-exporter:v1.9.1"
NODE_EXPORTER_CONTAINER = "graviton-llm-node-exporter"
NEURON_MONITOR_PROMETHEUS = "/opt/aws/neuron/bin/neuron-monitor-prometheus.py"
NEURON_EXPORTER_VENV = f"{APP_DIR}/neuron-exporter"
PROMETHEUS_CLIENT = "prometheus-client==0.21.1"


@dataclass(frozen=True)
class ServeCommand:
    """How one serving stack runs: docker options, container env and the `vllm` arguments."""

    docker_options: list[str]
    env: dict[str, str]
    vllm_args: list[str]
    metrics_exec: str
    metrics_pre: list[str] = field(default_factory=list)


def num_gpu_blocks_override(args: NeuronServingClusterArgs) -> int:
    """KV blocks NxDI compiles in; the scheduler must use the same count (vllm-neuron known issue).

    With prefix caching (block KV layout): ceil(max_model_len / block_size) x max_num_seqs.
    Without it (contiguous layout, block_size forced to max_model_len): exactly max_num_seqs.
    """
    if args.enable_prefix_caching:
        return math.ceil(args.max_model_len / NEURON_BLOCK_SIZE) * args.max_num_seqs
    return args.max_num_seqs


def _common_vllm_args(args: NeuronServingClusterArgs) -> list[str]:
    return [
        "serve",
        MODEL_MOUNT,
        "--served-model-name",
        args.model.id,
        "--dtype",
        args.model.dtype,
        "--tensor-parallel-size",
        str(args.tensor_parallel_size),
        "--max-model-len",
        str(args.max_model_len),
        "--max-num-seqs",
        str(args.max_num_seqs),
        "--max-num-batched-tokens",
        str(args.max_num_batched_tokens),
        "--port",
        str(args.port),
        "--enable-prefix-caching" if args.enable_prefix_caching else "--no-enable-prefix-caching",
    ]


def _compact_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _artifacts_key(args: NeuronServingClusterArgs) -> str:
    """Compiled artifacts depend on image, model and shapes: a change recompiles into a new dir,
    a restart with the same config reuses the old one."""
    material = _compact_json(
        [
            args.image,
            args.model.id,
            args.model.dtype,
            args.tensor_parallel_size,
            args.max_model_len,
            args.max_num_seqs,
            args.max_num_batched_tokens,
            args.enable_prefix_caching,
        ]
    )
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def _neuron_docker_options(args: NeuronServingClusterArgs) -> list[str]:
    # Each chip passed on its own: `--device=/dev/neuron` "all" is not supported (Neuron DLC docs).
    devices = [f"--device=/dev/neuron{i}" for i in range(args.spec.neuron_chips)]
    return [
        *devices,
        "--cap-add",
        "SYS_ADMIN",
        "--cap-add",
        "IPC_LOCK",
        "-v",
        f"{ARTIFACTS_DIR}:{ARTIFACTS_MOUNT}",
    ]


def _neuron_metrics_exec(args: NeuronServingClusterArgs) -> str:
    # neuron-monitor-prometheus.py defaults to port 8000 (vLLM's): always pass --port. It
    # "requires Python3 and the Prometheus client Python module" (Neuron monitor user guide),
    # which the base DLAMI's system Python lacks: it runs in its own venv (_neuron_metrics_pre).
    return (
        "/bin/bash -c 'set -o pipefail; /opt/aws/neuron/bin/neuron-monitor | "
        f"{NEURON_EXPORTER_VENV}/bin/python {NEURON_MONITOR_PROMETHEUS} --port {args.metrics_port}'"
    )


def _neuron_metrics_pre() -> list[str]:
    """Create the exporter's venv once (pinned client, from PyPI through the NAT); a failed
    install fails the unit, which systemd retries."""
    return [
        f"/bin/bash -c 'test -x {NEURON_EXPORTER_VENV}/bin/python || "
        f"(python3 -m venv {NEURON_EXPORTER_VENV} && {NEURON_EXPORTER_VENV}/bin/pip install "
        f"--quiet {PROMETHEUS_CLIENT})'"
    ]


def _neuron_nxdi(args: NeuronServingClusterArgs) -> ServeCommand:
    """inf2/trn1/trn1n: SDK 2.28 image, vllm-neuron 0.4.x on NxD Inference."""
    blocks = num_gpu_blocks_override(args)
    vllm_args = [
        *_common_vllm_args(args),
        "--block-size",
        str(NEURON_BLOCK_SIZE),
        "--num-gpu-blocks-override",
        str(blocks),
    ]
    if args.enable_prefix_caching:
        # Both flags enable automatic prefix caching in NxDI; pa_num_blocks must equal
        # num_gpu_blocks_override (Neuron docs, "vLLM User Guide for NxD Inference").
        override = {
            "is_prefix_caching": True,
            "is_block_kv_layout": True,
            "pa_block_size": NEURON_BLOCK_SIZE,
            "pa_num_blocks": blocks,
        }
        vllm_args += ["--additional-config", _compact_json({"override_neuron_config": override})]
    return ServeCommand(
        docker_options=_neuron_docker_options(args),
        env={
            "VLLM_NEURON_FRAMEWORK": "neuronx-distributed-inference",
            "NEURON_COMPILED_ARTIFACTS": f"{ARTIFACTS_MOUNT}/{_artifacts_key(args)}",
        },
        vllm_args=vllm_args,
        metrics_exec=_neuron_metrics_exec(args),
        metrics_pre=_neuron_metrics_pre(),
    )


def _neuron_plugin(args: NeuronServingClusterArgs) -> ServeCommand:
    """trn2: the newer vllm-neuron plugin (0.21+); no --num-gpu-blocks-override/--block-size,
    shapes go in --additional-config neuron_config buckets whose largest values must equal
    max_num_batched_tokens and max_num_seqs (vllm-neuron reference-configuration)."""
    neuron_config = {
        "num_batched_tokens_buckets": [args.max_num_batched_tokens],
        "num_seqs_buckets": [args.max_num_seqs],
    }
    return ServeCommand(
        docker_options=_neuron_docker_options(args),
        env={
            "NEURON_COMPILED_ARTIFACTS": f"{ARTIFACTS_MOUNT}/{_artifacts_key(args)}",
            # The nodes have no EFA interface (single-node serving); without this the server
            # fails to start (Neuron DLC quickstart for the 0.2x images).
            "NEURON_SKIP_EFA_AFFINITY": "1",
        },
        vllm_args=[
            *_common_vllm_args(args),
            "--additional-config",
            _compact_json({"neuron_config": neuron_config}),
        ],
        metrics_exec=_neuron_metrics_exec(args),
        metrics_pre=_neuron_metrics_pre(),
    )


def cpu_kv_cache_gib(args: NeuronServingClusterArgs) -> int:
    """VLLM_CPU_KVCACHE_SPACE: the KV cache for max_num_seqs x max_model_len (at least 4 GiB,
    vLLM's own default)."""
    info = args.model.info
    if info is None:
        return 4
    per_token = info.kv_bytes_per_token(DTYPE_BYTES[args.model.dtype])
    return max(4, math.ceil(per_token * args.max_model_len * args.max_num_seqs / GIB))


def _cpu(args: NeuronServingClusterArgs) -> ServeCommand:
    """Graviton4: vLLM's CPU backend image for arm64. SYS_NICE and seccomp=unconfined let it bind
    OpenMP threads to cores (vLLM docs, CPU installation)."""
    return ServeCommand(
        docker_options=[
            "--cap-add",
            "SYS_NICE",
            "--security-opt",
            "seccomp=unconfined",
            "--shm-size",
            "4g",
        ],
        env={
            "VLLM_CPU_KVCACHE_SPACE": str(cpu_kv_cache_gib(args)),
            "VLLM_CPU_OMP_THREADS_BIND": "auto",
        },
        vllm_args=_common_vllm_args(args),
        # A container left over from a crash would block the name: remove it first ("-": a
        # missing one is fine).
        metrics_pre=[f"-/usr/bin/docker rm -f {NODE_EXPORTER_CONTAINER}"],
        metrics_exec=(
            f"/usr/bin/docker run --rm --name {NODE_EXPORTER_CONTAINER} --net=host --pid=host "
            f"-v /:/host:ro,rslave {NODE_EXPORTER_IMAGE} --path.rootfs=/host "
            f"--web.listen-address=:{args.metrics_port}"
        ),
    )


def serve_command(args: NeuronServingClusterArgs) -> ServeCommand:
    stack = images.serving_stack(args.spec)
    match stack:
        case "neuron-nxdi":
            return _neuron_nxdi(args)
        case "neuron-plugin":
            return _neuron_plugin(args)
        case "cpu":
            return _cpu(args)
        case _:
            assert_never(stack)


def _container_entrypoint(args: NeuronServingClusterArgs) -> list[str]:
    """`--entrypoint` and the words before the vLLM arguments.

    With an API key, a shell reads the key from a root-only file mounted read-only and exports
    it as VLLM_API_KEY, which vLLM's API server uses exactly like `--api-key` (the flag wins when
    both are set: vllm/entrypoints/openai/api_server.py, "Ensure --api-key option from CLI takes
    precedence over VLLM_API_KEY"; the variable is defined in vllm/envs.py, "API key for vLLM API
    server"). Passed this way the key is in neither `ps` (argv) nor `docker inspect` (Config.Env,
    which `--env`/`--env-file` values would land in): both show only the file's path.
    """
    if args.api_key_ssm_parameter is None:
        return ["--entrypoint", "vllm", args.image or ""]
    export_key = f'VLLM_API_KEY="$(cat {API_KEY_MOUNT})" && export VLLM_API_KEY && exec vllm "$@"'
    return ["--entrypoint", "/bin/sh", args.image or "", "-c", export_key, "vllm"]


def _runner_script(args: NeuronServingClusterArgs, command: ServeCommand) -> str:
    """The foreground `docker run` that the systemd unit supervises."""
    docker_run = container_argv(args, command)
    lines = " \\\n  ".join(" ".join(map(shlex.quote, group)) for group in _flag_groups(docker_run))
    return (
        "#!/bin/bash\n"
        "# Runs the vLLM container in the foreground for systemd (rendered by graviton-llm).\n"
        "set -euo pipefail\n"
        f"docker rm -f {CONTAINER_NAME} >/dev/null 2>&1 || true\n"
        f"exec {lines}\n"
    )


def container_argv(
    args: NeuronServingClusterArgs, command: ServeCommand | None = None
) -> list[str]:
    """The exact `docker run ...` command line a node runs for this cluster."""
    command = command or serve_command(args)
    secrets: list[str] = []
    if args.api_key_ssm_parameter is not None:
        secrets = ["-v", f"{API_KEY_FILE}:{API_KEY_MOUNT}:ro"]
    return [
        "docker",
        "run",
        "--rm",
        "--name",
        CONTAINER_NAME,
        "--log-driver",
        "journald",
        "-p",
        f"{args.port}:{args.port}",
        "-v",
        f"{MODEL_DIR}:{MODEL_MOUNT}:ro",
        *secrets,
        "--ulimit",
        "nofile=1048576:1048576",
        *command.docker_options,
        *(f"--env={key}={value}" for key, value in sorted(command.env.items())),
        *_container_entrypoint(args),
        *command.vllm_args,
    ]


def _flag_groups(argv: list[str]) -> list[list[str]]:
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


def _fetch_api_key_script(parameter: str) -> str:
    """ExecStartPre of the vLLM unit: the API key from SSM Parameter Store into a root-only file
    on tmpfs (/run), read again at every (re)start so a rotated key needs only a restart."""
    return f"""#!/bin/bash
# Reads the vLLM API key (SSM SecureString) into a root-only file (rendered by graviton-llm).
set -euo pipefail
readonly ROOT="${{GRAVITON_LLM_ROOT:-}}"
readonly PARAMETER={shlex.quote(parameter)}
readonly KEY_FILE="${{ROOT}}{API_KEY_FILE}"
umask 077
mkdir -p "$(dirname "$KEY_FILE")"
tmp="$(mktemp "${{KEY_FILE}}.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
for attempt in 1 2 3 4 5; do
  if aws ssm get-parameter --with-decryption --name "$PARAMETER" \\
    --query Parameter.Value --output text >"$tmp" 2>"$tmp.err"; then
    rm -f "$tmp.err"
    if [ ! -s "$tmp" ]; then
      echo "graviton-llm: SSM parameter ${{PARAMETER}} is empty" >&2
      exit 1
    fi
    mv -f "$tmp" "$KEY_FILE"
    exit 0
  fi
  cat "$tmp.err" >&2
  if grep -Eq 'ParameterNotFound|AccessDenied|InvalidKeyId' "$tmp.err"; then
    break
  fi
  sleep "$((attempt * 2))"
done
rm -f "$tmp.err"
echo "graviton-llm: cannot read the API key from SSM parameter ${{PARAMETER}}" \\
  "(it must exist as a SecureString the node role may read, ssm:GetParameter + kms:Decrypt)" >&2
exit 1
"""


def _systemd_unit(name: str, description: str, unit: list[str], service: list[str]) -> str:
    """A unit with our common tail: journald logging under its own name, started at boot."""
    return "\n".join(
        [
            "[Unit]",
            f"Description={description} (graviton-llm)",
            *unit,
            "",
            "[Service]",
            *service,
            "StandardOutput=journal",
            "StandardError=journal",
            f"SyslogIdentifier={name}",
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )


def _vllm_unit(args: NeuronServingClusterArgs) -> str:
    # The unit's main process is the docker client: container limits are docker's (--ulimit in
    # the runner); these Limit*= apply to the client. StartLimit*: a crash loop (bad flags, a
    # model that does not fit) ends in the "failed" state, which the boot gate reports at once,
    # while a crash after a long compile is still restarted (systemd.unit(5), StartLimitBurst=).
    pre = [f"ExecStartPre={FETCH_API_KEY}"] if args.api_key_ssm_parameter is not None else []
    return _systemd_unit(
        "graviton-llm-vllm",
        "vLLM OpenAI-compatible server",
        [
            "Requires=docker.service",
            "After=docker.service network-online.target",
            "Wants=network-online.target",
            "StartLimitIntervalSec=1800",
            "StartLimitBurst=5",
        ],
        [
            "Type=simple",
            f"EnvironmentFile={AWS_ENV_FILE}",
            *pre,
            f"ExecStart={RUNNER}",
            f"ExecStop=/usr/bin/docker stop --time 30 {CONTAINER_NAME}",
            "Restart=on-failure",
            "RestartSec=15",
            "TimeoutStartSec=300",
            "TimeoutStopSec=60",
            "LimitNOFILE=1048576",
            "LimitMEMLOCK=infinity",
        ],
    )


def _metrics_unit(command: ServeCommand) -> str:
    return _systemd_unit(
        "graviton-llm-metrics",
        "Prometheus metrics exporter",
        ["Requires=docker.service", "After=docker.service"],
        [
            "Type=simple",
            *(f"ExecStartPre={line}" for line in command.metrics_pre),
            f"ExecStart={command.metrics_exec}",
            "Restart=always",
            "RestartSec=15",
        ],
    )


def _release_script(args: NeuronServingClusterArgs) -> str:
    """The release unit's script: settings for this cluster, then templates/release-node.sh.
    With target tracking it also lifts the node's scale-in protection once it serves."""
    protected = (
        args.scaling.mode == "target_tracking" and args.scaling.scale_in_protection_while_booting
    )
    settings = [
        "#!/bin/bash",
        "# Puts this node in service once vLLM answers (rendered by graviton-llm).",
        "set -euo pipefail",
        _assign("PORT", args.port),
        _assign("READY_TIMEOUT_SECONDS", readiness_timeout_seconds(args)),
        _assign("LIFECYCLE_HOOK", LIFECYCLE_HOOK_NAME),
        _assign("HEARTBEAT_SECONDS", timing.LIFECYCLE_HEARTBEAT_EVERY_SECONDS),
        _assign("UNPROTECT", 1 if protected else 0),
    ]
    body = resources.files("graviton_llm").joinpath("templates/release-node.sh").read_text()
    return "\n".join(settings) + "\n" + body


def _release_unit() -> str:
    return _systemd_unit(
        "graviton-llm-release",
        "Put this node in service once vLLM serves",
        [f"Requires={VLLM_UNIT}", f"After={VLLM_UNIT}"],
        ["Type=oneshot", f"ExecStart={RELEASE_SCRIPT}", "RemainAfterExit=yes"],
    )


@dataclass(frozen=True)
class NodeFile:
    """A file the boot script installs on the node."""

    path: str
    mode: str
    text: str


def node_files(args: NeuronServingClusterArgs) -> list[NodeFile]:
    """Every file the boot script writes besides the weights: scripts and systemd units."""
    command = serve_command(args)
    files = [NodeFile(RUNNER, "0755", _runner_script(args, command))]
    if args.api_key_ssm_parameter is not None:
        files.append(
            NodeFile(FETCH_API_KEY, "0700", _fetch_api_key_script(args.api_key_ssm_parameter))
        )
    files += [
        NodeFile(f"/etc/systemd/system/{VLLM_UNIT}", "0644", _vllm_unit(args)),
        NodeFile(f"/etc/systemd/system/{METRICS_UNIT}", "0644", _metrics_unit(command)),
        NodeFile(RELEASE_SCRIPT, "0755", _release_script(args)),
        NodeFile(f"/etc/systemd/system/{RELEASE_UNIT}", "0644", _release_unit()),
    ]
    if args.monitoring.enabled:
        neuron = args.spec.accelerator == "neuron"
        scrape = monitoring.prometheus_scrape_config(
            args.port, args.metrics_port, LATENCY_EXPORTER_PORT, neuron
        )
        agent = monitoring.cloudwatch_agent_config_json(neuron)
        files += [
            # The group's name replaces the placeholder at boot (templates/operations.sh).
            NodeFile(f"{CLOUDWATCH_DIR}/prometheus.yaml", "0644", scrape),
            NodeFile(f"{CLOUDWATCH_DIR}/graviton-llm.json", "0644", agent),
            NodeFile(LATENCY_EXPORTER, "0755", _latency_exporter_script()),
            NodeFile(f"/etc/systemd/system/{LATENCY_UNIT}", "0644", _latency_unit(args)),
        ]
    return files


def _latency_exporter_script() -> str:
    source = resources.files("graviton_llm").joinpath("node/latency_exporter.py").read_text()
    return "#!/usr/bin/python3\n" + source


def _latency_unit(args: NeuronServingClusterArgs) -> str:
    command = f"/usr/bin/python3 {LATENCY_EXPORTER} --vllm-port {args.port}"
    return _systemd_unit(
        "graviton-llm-latency",
        "vLLM latency percentiles for the CloudWatch agent",
        [f"After={VLLM_UNIT}"],
        [
            "Type=simple",
            f"ExecStart={command} --port {LATENCY_EXPORTER_PORT}",
            "Restart=always",
            "RestartSec=15",
        ],
    )


def readiness_timeout_seconds(args: NeuronServingClusterArgs) -> int:
    """How long the boot gate and the release unit wait for vLLM: the predicted cold start with
    margin (sizing.py). Past it the boot fails, its heartbeats stop and the group replaces it."""
    cold = predict_cold_start(args.spec, args.model.weights_gib, args.model.info)
    return cold.readiness_timeout_s


def _assign(name: str, value: str | int) -> str:
    return f"readonly {name}={shlex.quote(str(value))}"


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


def _check_accelerator(args: NeuronServingClusterArgs) -> list[str]:
    chips = args.spec.neuron_chips
    if chips == 0:
        return ["check_accelerator() {", "  : # vLLM's CPU backend needs no device", "}"]
    # neuron-ls fails without the Neuron driver; each chip is one /dev/neuron<i> (the devices
    # the container is given, see _neuron_docker_options).
    return f"""check_accelerator() {{
  local found=0 device
  PATH="${{PATH}}:/opt/aws/neuron/bin"
  neuron-ls >/dev/null || fail "neuron-ls failed: no Neuron driver; use the Neuron base DLAMI"
  for device in "${{ROOT}}"/dev/neuron[0-9]*; do
    if [ -e "$device" ]; then
      found=$((found + 1))
    fi
  done
  if [ "$found" -ne {chips} ]; then
    fail "expected {chips} Neuron devices (/dev/neuron0..{chips - 1}), found ${{found}}"
  fi
}}""".splitlines()


def render_user_data(args: NeuronServingClusterArgs) -> str:
    """The complete boot script for one node of this cluster (bash, for cloud-init).

    A shell script, not cloud-config: cloud-init runs user data that starts with `#!` as-is
    (cloud-init docs, "User data formats": user data script), so there is no cloud-config
    schema to validate; the script itself is shellcheck-clean and tested by running it.
    """
    parsed = parse_s3_uri(args.model.weights_uri)
    if parsed is None:  # config validation refuses these; keep the renderer total anyway
        raise ValueError(f"model.weights_uri {args.model.weights_uri!r} is not s3://bucket/prefix/")
    bucket, prefix = parsed
    header = [
        "#!/bin/bash",
        f"# graviton-llm boot script, rendered for {args.model.id} on {args.instance_type} "
        f"({images.serving_stack(args.spec)}). Do not edit: change the stack's args.",
        "set -euo pipefail",
        "# GRAVITON_LLM_ROOT prefixes every path so tests can run this script in a sandbox.",
        'readonly ROOT="${GRAVITON_LLM_ROOT:-}"',
        _assign("WEIGHTS_URI", f"s3://{bucket}/{prefix}"),
        _assign("WEIGHTS_BUCKET", bucket),
        _assign("WEIGHTS_PREFIX", prefix),
        _assign("MODEL_ID", args.model.id),
        _assign("IMAGE", args.image or ""),
        _assign("PORT", args.port),
        _assign("DEPLOY_REGION", args.region or ""),
        _assign("API_KEY_PARAMETER", args.api_key_ssm_parameter or ""),
        _assign("API_KEY_FILE", API_KEY_FILE),
        _assign("AWS_ENV_FILE", AWS_ENV_FILE),
        _assign("MODEL_DIR", MODEL_DIR),
        _assign("ARTIFACTS_DIR", ARTIFACTS_DIR),
        _assign("VLLM_UNIT", VLLM_UNIT),
        _assign("METRICS_UNIT", METRICS_UNIT),
        _assign("READY_TIMEOUT_SECONDS", readiness_timeout_seconds(args)),
        "",
        *_install_function(node_files(args)),
        "",
        *_check_accelerator(args),
        "",
    ]
    operations = [
        _assign("MONITORING", 1 if args.monitoring.enabled else 0),
        _assign("RELEASE_UNIT", RELEASE_UNIT),
        _assign("LATENCY_UNIT", LATENCY_UNIT),
        _assign("LIFECYCLE_HOOK", LIFECYCLE_HOOK_NAME),
        _assign("HEARTBEAT_SECONDS", timing.LIFECYCLE_HEARTBEAT_EVERY_SECONDS),
        _assign("CLOUDWATCH_DIR", CLOUDWATCH_DIR),
        _assign("ASG_NAME_PLACEHOLDER", monitoring.ASG_NAME_PLACEHOLDER),
        "",
    ]
    templates = resources.files("graviton_llm").joinpath("templates")
    body = templates.joinpath("boot.sh").read_text()
    tail = templates.joinpath("operations.sh").read_text()
    script = "\n".join(header + operations) + "\n" + body + tail
    compress_user_data(script)  # refuses a script EC2 would not take, at preview time
    return script


def compress_user_data(script: str) -> bytes:
    """The bytes the launch template carries: the script gzip-compressed (deterministically).

    cloud-init uncompresses gzip user data and then treats it as if it had not been compressed
    (cloud-init docs, "User data formats": gzip compressed content); EC2's 16 KB limit applies
    to these raw bytes, before base64. Compressed, the largest variant (trn2 with its 16 device
    flags and an API key) is ~6 KB instead of ~17 KB.
    """
    raw = gzip.compress(script.encode(), mtime=0)
    if len(raw) > USER_DATA_LIMIT_BYTES:  # EC2 would refuse the launch template at deploy time
        raise ValueError(
            f"user data is {len(raw)} bytes compressed, over EC2's {USER_DATA_LIMIT_BYTES}"
        )
    return raw
