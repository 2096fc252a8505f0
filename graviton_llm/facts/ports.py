"""Ports on a node, chosen once."""

from __future__ import annotations

DEFAULT_PORT = 8000  # vLLM's own default for `vllm serve`
# neuron-monitor-prometheus.py defaults to port 8000, which clashes with vLLM; node_exporter's
# well-known 9100 serves both paths' metrics instead.
DEFAULT_METRICS_PORT = 9100
# The node's latency exporter (node/latency_exporter.py), on 127.0.0.1 only.
LATENCY_EXPORTER_PORT = 9101
SSH_PORT = 22
