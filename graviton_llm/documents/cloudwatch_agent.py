"""The CloudWatch agent's documents on a node: its Prometheus scrape config and its JSON config.

Metrics flow: vLLM's /metrics (and neuron-monitor-prometheus on Neuron) -> the CloudWatch agent's
Prometheus scraper on the node -> embedded metric format into the ``GravitonLLM`` namespace, with
the Auto Scaling group's name as a dimension so the numbers aggregate per cluster. Sources:
CloudWatch agent user guide, "Set up and configure Prometheus metrics collection on Amazon EC2
instances"; vLLM metrics design doc (``vllm:`` gauges/histograms) and its API server, which counts
responses with prometheus-fastapi-instrumentator (``http_requests_total{status="5xx"}``).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from ..facts.vllm_metrics import HTTP_REQUESTS, LATENCY_METRICS, NEURON_MEMORY, VLLM_GAUGES

# Metrics land in this namespace with the group's name as a dimension (alarms.py reads them).
NAMESPACE = "GravitonLLM"
ASG_DIMENSION = "AutoScalingGroupName"
# Replaced at boot with the node's group name (read from instance metadata tags).
ASG_NAME_PLACEHOLDER = "__GRAVITON_LLM_ASG_NAME__"
# Where the agent package keeps its configuration (CloudWatch agent user guide).
CLOUDWATCH_DIR = "/opt/aws/amazon-cloudwatch-agent/etc"
PROMETHEUS_CONFIG_PATH = f"{CLOUDWATCH_DIR}/prometheus.yaml"
AGENT_CONFIG_PATH = f"{CLOUDWATCH_DIR}/graviton-llm.json"
SCRAPE_INTERVAL_SECONDS = 30


def prometheus_scrape_config(port: int, metrics_port: int, latency_port: int, neuron: bool) -> str:
    """prometheus.yaml for the agent: vLLM, the latency exporter, the Neuron exporter on Neuron
    nodes."""
    targets = {
        "vllm": port,
        "latency": latency_port,
        **({"neuron": metrics_port} if neuron else {}),
    }
    jobs = [
        {
            "job_name": job,
            "static_configs": [
                {
                    "targets": [f"localhost:{target}"],
                    "labels": {ASG_DIMENSION: ASG_NAME_PLACEHOLDER},
                }
            ],
        }
        for job, target in targets.items()
    ]
    document = {
        "global": {"scrape_interval": f"{SCRAPE_INTERVAL_SECONDS}s", "scrape_timeout": "10s"},
        "scrape_configs": jobs,
    }
    return yaml.safe_dump(document, sort_keys=False)


def _declaration(job: str, dimensions: list[str], selectors: list[str]) -> dict[str, Any]:
    return {
        "source_labels": ["job"],
        "label_matcher": f"^{job}$",
        "dimensions": [dimensions],
        "metric_selectors": [f"^{s}$" for s in selectors],
    }


def cloudwatch_agent_config(neuron: bool) -> dict[str, Any]:
    """The agent's JSON config: which scraped series become CloudWatch metrics, by dimension."""
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
                    "prometheus_config_path": PROMETHEUS_CONFIG_PATH,
                    "emf_processor": {
                        "metric_declaration_dedup": True,
                        "metric_namespace": NAMESPACE,
                        "metric_declaration": declarations,
                    },
                }
            },
            "force_flush_interval": 5,
        },
    }


def cloudwatch_agent_config_json(neuron: bool) -> str:
    return json.dumps(cloudwatch_agent_config(neuron), separators=(",", ":"))
