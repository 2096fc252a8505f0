"""Names of the metrics vLLM serves on /metrics, and of the percentiles our node derives.

One definition: the CloudWatch agent's selectors, the dashboard, the scaling policy and the
`scaling.metric` choices all come from here, so a gauge cannot reach one and miss another.
Sources: vLLM metrics design doc (``vllm:`` gauges and histograms); vLLM's API server counts
responses with prometheus-fastapi-instrumentator (``http_requests_total{status="5xx"}``).
"""

from __future__ import annotations

from typing import Literal, get_args

from ..node_agent import cloudwatch

# The vLLM gauges a target-tracking policy may follow (averaged over nodes: an NLB has no
# per-target request count), by the name a user gives in `scaling.metric`.
ScalingMetric = Literal["num_requests_waiting", "num_requests_running"]


def vllm_gauge(metric: ScalingMetric) -> str:
    return f"vllm:{metric}"


# What the node exports is the node agent's (node_agent/cloudwatch.py: its latency exporter
# names the percentiles); one definition, read here.
VLLM_GAUGES: tuple[str, ...] = cloudwatch.VLLM_GAUGES
HTTP_REQUESTS = cloudwatch.HTTP_REQUESTS
E2E_P50, E2E_P99, TTFT_P99 = cloudwatch.E2E_P50, cloudwatch.E2E_P99, cloudwatch.TTFT_P99
LATENCY_METRICS = cloudwatch.LATENCY_METRICS
NEURON_MEMORY = cloudwatch.NEURON_MEMORY
if set(VLLM_GAUGES) != {vllm_gauge(m) for m in get_args(ScalingMetric)}:
    raise AssertionError("scaling.metric's choices are not the gauges the node exports")
