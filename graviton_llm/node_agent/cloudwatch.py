"""The CloudWatch agent's documents on a node: its Prometheus scrape config and its JSON config.

Metrics flow: vLLM's /metrics, the latency exporter (and neuron-monitor-prometheus on Neuron) ->
the CloudWatch agent's Prometheus scraper on the node -> embedded metric format into the
``GravitonLLM`` namespace, with the Auto Scaling group's name as a dimension so the numbers
aggregate per cluster. Sources: CloudWatch agent user guide, "Set up and configure Prometheus
metrics collection on Amazon EC2 instances"; vLLM metrics design doc (``vllm:`` gauges); vLLM's
API server counts responses with prometheus-fastapi-instrumentator (``http_requests_total``).
The renderer checks these documents as the agent would (documents/cloudwatch_agent.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .paths import PROMETHEUS_CONFIG_PATH

# Metrics land in this namespace with the group's name as a dimension (alarms read them).
NAMESPACE = "GravitonLLM"
ASG_DIMENSION = "AutoScalingGroupName"
SCRAPE_INTERVAL_SECONDS = 30
# What each scrape job exports (facts/vllm_metrics.py reads these names from here).
VLLM_GAUGES = ("vllm:num_requests_waiting", "vllm:num_requests_running")
HTTP_REQUESTS = "http_requests_total"
E2E_P50 = "graviton_llm_e2e_latency_p50_seconds"
E2E_P99 = "graviton_llm_e2e_latency_p99_seconds"
TTFT_P99 = "graviton_llm_ttft_p99_seconds"
LATENCY_METRICS = (E2E_P50, E2E_P99, TTFT_P99)
NEURON_MEMORY = "neuron_runtime_memory_used_bytes"


def prometheus_scrape_config(
    port: int, metrics_port: int, latency_port: int, neuron: bool, group: str
) -> str:
    """prometheus.yaml for the agent: vLLM, the latency exporter, the Neuron exporter on Neuron
    nodes, each series labelled with the node's group. YAML written here (the node has no YAML
    library); every value is a number or a name the group's pattern allows."""
    targets = {
        "vllm": port,
        "latency": latency_port,
        **({"neuron": metrics_port} if neuron else {}),
    }
    lines = [
        "global:",
        f"  scrape_interval: {SCRAPE_INTERVAL_SECONDS}s",
        "  scrape_timeout: 10s",
        "scrape_configs:",
    ]
    for job, target in targets.items():
        lines += [
            f"- job_name: {job}",
            "  static_configs:",
            "  - targets:",
            f"    - localhost:{target}",
            "    labels:",
            f"      {ASG_DIMENSION}: {json.dumps(group)}",
        ]
    return "\n".join(lines) + "\n"


def _declaration(job: str, dimensions: list[str], selectors: Sequence[str]) -> dict[str, Any]:
    return {
        "source_labels": ["job"],
        "label_matcher": f"^{job}$",
        "dimensions": [dimensions],
        "metric_selectors": [f"^{s}$" for s in selectors],
    }


def cloudwatch_agent_config(neuron: bool, log_group: str) -> dict[str, Any]:
    """The agent's JSON config: which scraped series become CloudWatch metrics, by dimension.

    On EC2 the agent's translator refuses a Prometheus section without `log_group_name`
    ("prometheus does not have log group name": aws/amazon-cloudwatch-agent translator/
    translate/otel/exporter/awsemf/prometheus.go): the metrics travel as embedded-metric-format
    logs into that group, which the cluster creates with a retention.
    """
    declarations = [
        _declaration("vllm", [ASG_DIMENSION], VLLM_GAUGES),
        _declaration("latency", [ASG_DIMENSION], LATENCY_METRICS),
        _declaration("vllm", [ASG_DIMENSION, "status"], [HTTP_REQUESTS]),
    ]
    if neuron:
        declarations.append(
            _declaration("neuron", [ASG_DIMENSION, "memory_location"], [NEURON_MEMORY])
        )
    return {
        "agent": {"metrics_collection_interval": 60},
        "logs": {
            "metrics_collected": {
                "prometheus": {
                    "log_group_name": log_group,
                    "prometheus_config_path": PROMETHEUS_CONFIG_PATH,
                    "emf_processor": {
                        "metric_namespace": NAMESPACE,
                        "metric_declaration": declarations,
                    },
                }
            },
            "force_flush_interval": 5,
        },
    }
