"""Names of the metrics vLLM serves on /metrics, and of the percentiles our node derives.

One definition: the CloudWatch agent's selectors, the dashboard, the scaling policy and the
`scaling.metric` choices all come from here, so a gauge cannot reach one and miss another.
Sources: vLLM metrics design doc (``vllm:`` gauges and histograms); vLLM's API server counts
responses with prometheus-fastapi-instrumentator (``http_requests_total{status="5xx"}``).
"""

from __future__ import annotations

from typing import Literal, get_args

# The vLLM gauges a target-tracking policy may follow (averaged over nodes: an NLB has no
# per-target request count), by the name a user gives in `scaling.metric`.
ScalingMetric = Literal["num_requests_waiting", "num_requests_running"]


def vllm_gauge(metric: ScalingMetric) -> str:
    return f"vllm:{metric}"


VLLM_GAUGES: tuple[str, ...] = tuple(vllm_gauge(m) for m in get_args(ScalingMetric))

HTTP_REQUESTS = "http_requests_total"

# Percentiles from vLLM's histograms, computed on each node by node/latency_exporter.py (the
# CloudWatch agent drops Prometheus histograms). The exporter runs standalone on the node, so it
# names its output itself; tests/node/test_latency_exporter.py holds the two to the same names.
E2E_P50 = "graviton_llm_e2e_latency_p50_seconds"
E2E_P99 = "graviton_llm_e2e_latency_p99_seconds"
TTFT_P99 = "graviton_llm_ttft_p99_seconds"
LATENCY_METRICS = (E2E_P50, E2E_P99, TTFT_P99)

# neuron-monitor-prometheus: device memory in use, label memory_location="neuron_device".
NEURON_MEMORY = "neuron_runtime_memory_used_bytes"
