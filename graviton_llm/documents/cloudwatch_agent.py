"""The CloudWatch agent's documents on a node, as the agent judges them. The node agent writes
them (node_agent/cloudwatch.py); the renderer checks them here before any node exists.

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

from ..node_agent.cloudwatch import (
    ASG_DIMENSION,
    NAMESPACE,
    SCRAPE_INTERVAL_SECONDS,
    cloudwatch_agent_config,
    prometheus_scrape_config,
)

__all__ = [
    "ASG_DIMENSION",
    "DEFAULT_LOG_GROUP",
    "NAMESPACE",
    "SCRAPE_INTERVAL_SECONDS",
    "agent_config_problems",
    "cloudwatch_agent_config",
    "metrics_log_group",
    "prometheus_scrape_config",
]

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


def metrics_log_group(alarm_prefix: str) -> str:
    """The log group the agent writes a cluster's metrics to (1-512 of a-z A-Z 0-9 _ - / . #,
    not starting with aws/: CloudWatch Logs CreateLogGroup)."""
    return f"/graviton-llm/{alarm_prefix}/metrics"


# Rendered alone (render_user_data without a cluster), the user data names this group.
DEFAULT_LOG_GROUP = metrics_log_group("graviton-llm")
