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
from collections.abc import Sequence
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


def _declaration(job: str, dimensions: list[str], selectors: Sequence[str]) -> dict[str, Any]:
    return {
        "source_labels": ["job"],
        "label_matcher": f"^{job}$",
        "dimensions": [dimensions],
        "metric_selectors": [f"^{s}$" for s in selectors],
    }


def cloudwatch_agent_config(neuron: bool, log_group: str) -> dict[str, Any]:
    """The agent's JSON config: which scraped series become CloudWatch metrics, by dimension.

    On EC2 the agent's translator refuses a Prometheus section without `log_group_name` ("prometheus
    does not have log group name": aws/amazon-cloudwatch-agent translator/translate/otel/exporter/
    awsemf/prometheus.go): the metrics travel as embedded-metric-format logs into that group,
    which the cluster creates with a retention (the agent would create it without one).
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


# The keys the agent's JSON schema allows (aws/amazon-cloudwatch-agent translator/config/
# schema.json: the prometheus section, emfProcessorDefinition and its metric_declaration items
# are `additionalProperties: false`), and the translator's own EC2 rule above.
_PROMETHEUS_KEYS = {"cluster_name", "log_group_name", "prometheus_config_path", "emf_processor",
                    "ecs_service_discovery", "disable_metric_extraction"}  # fmt: skip
_EMF_KEYS = {"metric_declaration_dedup", "metric_namespace", "metric_unit", "metric_declaration"}
_DECLARATION_KEYS = {"source_labels", "label_matcher", "label_separator", "metric_selectors",
                     "dimensions"}  # fmt: skip
_INTERVAL = range(1, 172_801)  # timeIntervalDefinition: 1-172,800 seconds


def agent_config_problems(config: dict[str, Any], scrape_config: str) -> list[str]:
    """What the agent (on EC2) would refuse in its config, or silently drop: a dimension that no
    scrape job labels gives no metric at all (only scrape labels become dimensions on this
    pipeline: translator/translate/otel/pipeline/prometheus)."""
    problems = []
    interval = config.get("agent", {}).get("metrics_collection_interval")
    if interval not in _INTERVAL:
        problems.append(f"agent.metrics_collection_interval {interval!r} is not 1-172800")
    logs = config.get("logs", {})
    if logs.get("force_flush_interval") not in _INTERVAL:
        problems.append("logs.force_flush_interval is not 1-172800")
    prometheus = logs.get("metrics_collected", {}).get("prometheus")
    if prometheus is None:
        return problems
    if not prometheus.get("log_group_name"):
        problems.append("logs.metrics_collected.prometheus has no log_group_name (required on EC2)")
    problems += [
        f"prometheus.{k} is not an agent setting" for k in set(prometheus) - _PROMETHEUS_KEYS
    ]
    emf = prometheus.get("emf_processor", {})
    problems += [f"emf_processor.{k} is not an agent setting" for k in set(emf) - _EMF_KEYS]
    labelled = {
        job["job_name"]: {
            label for static in job.get("static_configs", []) for label in static.get("labels", {})
        }
        for job in yaml.safe_load(scrape_config)["scrape_configs"]
    }
    for i, declaration in enumerate(emf.get("metric_declaration", [])):
        where = f"metric_declaration[{i}]"
        problems += [f"{where}.{k} is not an agent setting"
                     for k in set(declaration) - _DECLARATION_KEYS]  # fmt: skip
        if not declaration.get("metric_selectors") or not declaration.get("source_labels"):
            problems.append(f"{where} has no metric_selectors or source_labels: the agent skips it")
        job = declaration.get("label_matcher", "").strip("^$")
        dimensions = {name for group in declaration.get("dimensions", []) for name in group}
        if ASG_DIMENSION in dimensions and ASG_DIMENSION not in labelled.get(job, set()):
            problems.append(f"{where}: scrape job {job!r} sets no {ASG_DIMENSION} label")
    return problems


# The label values a declared dimension takes besides the group's name (what makes several
# CloudWatch metrics of one selector): prometheus-fastapi-instrumentator groups status codes as
# "2xx".."5xx" (its should_group_status_codes default), neuron-monitor-prometheus reports memory
# in "host" and "neuron_device".
DIMENSION_VALUES = {"status": ("2xx", "3xx", "4xx", "5xx"),
                    "memory_location": ("host", "neuron_device")}  # fmt: skip


def published_series(neuron: bool) -> list[tuple[str, str, dict[str, str]]]:
    """(job, metric, extra dimension values) of every CloudWatch metric the agent's declarations
    make, per cluster: the group's name is their dimension, so the nodes share them."""
    series = []
    for declaration in cloudwatch_agent_config(neuron, "group")["logs"]["metrics_collected"][
        "prometheus"]["emf_processor"]["metric_declaration"]:  # fmt: skip
        job = declaration["label_matcher"].strip("^$")
        extra = [d for d in declaration["dimensions"][0] if d != ASG_DIMENSION]
        combos: list[dict[str, str]] = [{}]
        for name in extra:
            combos = [{**c, name: value} for c in combos for value in DIMENSION_VALUES[name]]
        for selector in declaration["metric_selectors"]:
            series += [(job, selector.strip("^$"), combo) for combo in combos]
    return series


def emf_bytes_per_scrape(neuron: bool, group_name: str) -> int:
    """The bytes of the log events one scrape of one node sends for the published series, in
    the embedded metric format (CloudWatch docs, "Embedded metric format specification"): one
    event per job and label set, carrying its metrics' values, labels and metadata. Prometheus
    also brings labels of its own (instance, model_name, ...): a lower bound."""
    events: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, Any]] = {}
    for job, metric, labels in published_series(neuron):
        key = (job, tuple(sorted(labels.items())))
        event = events.setdefault(key, {
            "_aws": {"Timestamp": 1_700_000_000_000, "CloudWatchMetrics": [
                {"Namespace": NAMESPACE, "Dimensions": [[ASG_DIMENSION, *labels]], "Metrics": []}
            ]},
            ASG_DIMENSION: group_name, "job": job, "instance": "localhost:8000",
            "prom_metric_type": "gauge", **labels,
        })  # fmt: skip
        event["_aws"]["CloudWatchMetrics"][0]["Metrics"].append({"Name": metric})
        event[metric] = 0.0
    return sum(len(json.dumps(event, separators=(",", ":"))) for event in events.values())


def cloudwatch_agent_config_json(neuron: bool, log_group: str) -> str:
    return json.dumps(cloudwatch_agent_config(neuron, log_group), separators=(",", ":"))


def metrics_log_group(alarm_prefix: str) -> str:
    """The log group the agent writes a cluster's metrics to (1-512 of a-z A-Z 0-9 _ - / . #,
    not starting with aws/: CloudWatch Logs CreateLogGroup)."""
    return f"/graviton-llm/{alarm_prefix}/metrics"


# Rendered alone (render_user_data without a cluster), the user data names this group.
DEFAULT_LOG_GROUP = metrics_log_group("graviton-llm")
