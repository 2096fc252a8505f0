"""How a node hosts its serving stack, from the node config: the devices and capabilities the
vLLM container gets, and the metrics exporter beside it. What vLLM is asked to do (its flags and
env) is the renderer's (graviton_llm/node/serve_command.py), per serving stack."""

from __future__ import annotations

from typing import Any

from .paths import APP_DIR, ARTIFACTS_DIR, ARTIFACTS_MOUNT

# Pinned node metrics exporter for the CPU path (Prometheus node_exporter).
NODE_EXPORTER_IMAGE = "quay.io/prometheus/node-exporter:v1.9.1"
NODE_EXPORTER_CONTAINER = "graviton-llm-node-exporter"
NEURON_MONITOR_PROMETHEUS = "/opt/aws/neuron/bin/neuron-monitor-prometheus.py"
NEURON_EXPORTER_VENV = f"{APP_DIR}/neuron-exporter"
PROMETHEUS_CLIENT = "prometheus-client==0.21.1"


def docker_options(config: dict[str, Any]) -> list[str]:
    """Neuron: each chip passed on its own (`--device=/dev/neuron` "all" is not supported,
    Neuron DLC docs), and the compiled artifacts' directory. CPU (Graviton4): SYS_NICE and
    seccomp=unconfined let vLLM bind OpenMP threads to cores (vLLM docs, CPU installation)."""
    if config["serving_stack"] == "cpu":
        return ["--cap-add", "SYS_NICE", "--security-opt", "seccomp=unconfined",
                "--shm-size", "4g"]  # fmt: skip
    devices = [f"--device=/dev/neuron{i}" for i in range(config["neuron_chips"])]
    return [*devices, "--cap-add", "SYS_ADMIN", "--cap-add", "IPC_LOCK",
            "-v", f"{ARTIFACTS_DIR}:{ARTIFACTS_MOUNT}"]  # fmt: skip


def metrics_commands(config: dict[str, Any]) -> tuple[str, list[str]]:
    """(ExecStart, ExecStartPre lines) of the metrics unit, serving on the metrics port."""
    port = config["metrics_port"]
    if config["serving_stack"] == "cpu":
        # A container left over from a crash would block the name: remove it first ("-": a
        # missing one is fine).
        return (
            f"/usr/bin/docker run --rm --name {NODE_EXPORTER_CONTAINER} --net=host --pid=host "
            f"-v /:/host:ro,rslave {NODE_EXPORTER_IMAGE} --path.rootfs=/host "
            f"--web.listen-address=:{port}",
            [f"-/usr/bin/docker rm -f {NODE_EXPORTER_CONTAINER}"],
        )
    # neuron-monitor-prometheus.py defaults to port 8000 (vLLM's): always pass --port. It
    # "requires Python3 and the Prometheus client Python module" (Neuron monitor user guide),
    # which the base DLAMI's system Python lacks: it runs in its own venv, created once (pinned
    # client, from PyPI through the NAT); a failed install fails the unit, which systemd retries.
    venv = NEURON_EXPORTER_VENV
    return (
        "/bin/bash -c 'set -o pipefail; /opt/aws/neuron/bin/neuron-monitor | "
        f"{venv}/bin/python {NEURON_MONITOR_PROMETHEUS} --port {port}'",
        [
            f"/bin/bash -c 'test -x {venv}/bin/python || (python3 -m venv {venv} && "
            f"{venv}/bin/pip install --quiet {PROMETHEUS_CLIENT})'"
        ],
    )
