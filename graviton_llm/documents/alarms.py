"""Pure alarm and dashboard documents of a cluster, over the metrics the CloudWatch agent
publishes (cloudwatch_agent.py) and the NLB's own."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

from ..facts.units import GIB
from ..facts.vllm_metrics import (
    E2E_P99,
    HTTP_REQUESTS,
    LATENCY_METRICS,
    NEURON_MEMORY,
    VLLM_GAUGES,
)
from .cloudwatch_agent import ASG_DIMENSION, NAMESPACE


class Ref(enum.Enum):
    """Dimension values only known once resources exist; the component fills them in."""

    ASG_NAME = "asg_name"
    TARGET_GROUP = "target_group_arn_suffix"
    LOAD_BALANCER = "load_balancer_arn_suffix"


@dataclass(frozen=True)
class Query:
    id: str
    expression: str | None = None
    metric: str | None = None
    namespace: str = NAMESPACE
    dimensions: dict[str, str | Ref] = field(default_factory=dict)
    stat: str = "Sum"
    return_data: bool = False


@dataclass(frozen=True)
class AlarmSpec:
    key: str  # resource and alarm name suffix
    description: str
    comparison: str
    threshold: float
    evaluation_periods: int
    queries: tuple[Query, ...]
    treat_missing_data: str = "notBreaching"


PERIOD_SECONDS = 60
ERROR_RATE, UNHEALTHY_HOSTS = "error-rate", "unhealthy-hosts"
METRICS_MISSING = "metrics-missing"
# The alarms that stop an instance refresh and roll it back.
ROLLOUT_ALARMS = (ERROR_RATE, UNHEALTHY_HOSTS)


def alarm_name_prefix(project: str, stack: str, cluster: str) -> str:
    """ "<project>-<stack>-<cluster>", also the dashboard's name: dashboards are account-wide and
    take only A-Z a-z 0-9 _ - (CloudWatch PutDashboard), while stack names may hold '.'."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{project}-{stack}-{cluster}")[:200]


def alarm_name(prefix: str, key: str) -> str:
    """Alarm names are explicit, so an instance refresh can name them before they exist."""
    return f"{prefix}-{key}"


def _asg_metric(query_id: str, metric: str, stat: str, **dims: str) -> Query:
    return Query(
        id=query_id, metric=metric, stat=stat, dimensions={ASG_DIMENSION: Ref.ASG_NAME, **dims}
    )


def _elb_metric(query_id: str, metric: str, stat: str) -> Query:
    return Query(
        id=query_id,
        metric=metric,
        namespace="AWS/NetworkELB",
        stat=stat,
        dimensions={"TargetGroup": Ref.TARGET_GROUP, "LoadBalancer": Ref.LOAD_BALANCER},
        return_data=True,
    )


def alarm_specs(
    *,
    error_rate_percent: float,
    evaluation_minutes: int,
    latency_seconds: float,
    device_memory_percent: float,
    device_memory_gib: float | None,
) -> list[AlarmSpec]:
    """Every alarm of a cluster. A TCP listener on an NLB has no HTTP 5xx metric, so the error
    rate comes from vLLM's own response counter; the NLB gives host health."""
    periods = evaluation_minutes
    specs = [
        AlarmSpec(
            key=ERROR_RATE,
            description=f"5xx responses above {error_rate_percent}% of requests",
            comparison="GreaterThanThreshold",
            threshold=error_rate_percent,
            evaluation_periods=periods,
            queries=(
                _asg_metric("e2xx", HTTP_REQUESTS, "Sum", status="2xx"),
                _asg_metric("e4xx", HTTP_REQUESTS, "Sum", status="4xx"),
                _asg_metric("e5xx", HTTP_REQUESTS, "Sum", status="5xx"),
                Query(
                    id="rate",
                    expression="100 * FILL(e5xx, 0) / "
                    "(FILL(e2xx, 0) + FILL(e4xx, 0) + FILL(e5xx, 0))",
                    return_data=True,
                ),
            ),
        ),
        AlarmSpec(
            key=UNHEALTHY_HOSTS,
            description="a target failed the NLB's /health check",
            comparison="GreaterThanThreshold",
            threshold=0,
            evaluation_periods=periods,
            queries=(_elb_metric("unhealthy", "UnHealthyHostCount", "Maximum"),),
        ),
        AlarmSpec(
            key="no-healthy-hosts",
            description="no target passes the NLB's /health check: the endpoint is down",
            comparison="LessThanThreshold",
            threshold=1,
            evaluation_periods=periods,
            queries=(_elb_metric("healthy", "HealthyHostCount", "Minimum"),),
            treat_missing_data="breaching",
        ),
        AlarmSpec(
            key="latency",
            # Each node's p99 over the last scrape interval; the worst node decides.
            description=f"p99 end-to-end request latency above {latency_seconds}s on a node",
            comparison="GreaterThanThreshold",
            threshold=latency_seconds,
            evaluation_periods=periods,
            queries=(
                Query(
                    id="p99",
                    metric=E2E_P99,
                    stat="Maximum",
                    dimensions={ASG_DIMENSION: Ref.ASG_NAME},
                    return_data=True,
                ),
            ),
        ),
    ]
    specs.append(
        AlarmSpec(
            key=METRICS_MISSING,
            # A node may serve while its CloudWatch agent does not run (the boot only warns, so
            # monitoring never keeps a model out of service); then every alarm above reads no
            # data. This one says so: targets are healthy but no vLLM gauge arrives.
            description="nodes serve but send no vLLM metrics: the CloudWatch agent on them is "
            "not running or not configured (see each node's boot log)",
            comparison="GreaterThanThreshold",
            threshold=0,
            evaluation_periods=periods,
            queries=(
                Query(
                    id="healthy",
                    metric="HealthyHostCount",
                    namespace="AWS/NetworkELB",
                    stat="Minimum",
                    dimensions={"TargetGroup": Ref.TARGET_GROUP, "LoadBalancer": Ref.LOAD_BALANCER},
                ),
                _asg_metric("samples", VLLM_GAUGES[0], "SampleCount"),
                Query(
                    id="missing",
                    expression="IF(FILL(healthy, 0) > 0 AND FILL(samples, 0) == 0, 1, 0)",
                    return_data=True,
                ),
            ),
        )
    )
    if device_memory_gib is not None:
        total_bytes = device_memory_gib * GIB
        specs.append(
            AlarmSpec(
                key="device-memory",
                description=f"Neuron device memory above {device_memory_percent}% on a node",
                comparison="GreaterThanThreshold",
                threshold=device_memory_percent,
                evaluation_periods=periods,
                queries=(
                    _asg_metric("used", NEURON_MEMORY, "Maximum", memory_location="neuron_device"),
                    Query(
                        id="percent", expression=f"100 * used / {total_bytes:.0f}", return_data=True
                    ),
                ),
            )
        )
    return specs


def dashboard_body(
    *, region: str, asg_name: str, target_group: str, load_balancer: str, neuron: bool
) -> dict[str, Any]:
    """A CloudWatch dashboard: load, errors, latency, host health and (Neuron) device memory."""

    def widget(title: str, metrics: list[list[Any]], stat: str, y: int, x: int) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "stat": stat,
                "period": PERIOD_SECONDS,
                "metrics": metrics,
            },
        }

    asg = [ASG_DIMENSION, asg_name]
    elb = ["TargetGroup", target_group, "LoadBalancer", load_balancer]
    widgets = [
        widget(
            "Requests per node (waiting, running)",
            [[NAMESPACE, g, *asg] for g in VLLM_GAUGES],
            "Average",
            0,
            0,
        ),
        widget(
            "Responses by status",
            [[NAMESPACE, HTTP_REQUESTS, *asg, "status", s] for s in ("2xx", "4xx", "5xx")],
            "Sum",
            0,
            12,
        ),
        widget(
            "Latency (s): end-to-end p50, p99; time to first token p99",
            [[NAMESPACE, m, *asg] for m in LATENCY_METRICS],
            "Maximum",
            6,
            0,
        ),
        widget(
            "Target health",
            [["AWS/NetworkELB", m, *elb] for m in ("HealthyHostCount", "UnHealthyHostCount")],
            "Minimum",
            6,
            12,
        ),
    ]
    if neuron:
        widgets.append(
            widget(
                "Neuron device memory used (bytes)",
                [[NAMESPACE, NEURON_MEMORY, *asg, "memory_location", "neuron_device"]],
                "Maximum",
                12,
                0,
            )
        )
    return {"widgets": widgets}
