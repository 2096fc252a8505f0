"""Latency percentiles for CloudWatch, from vLLM's Prometheus histograms. Runs on every node.

The CloudWatch agent drops Prometheus histograms ("histogram metric type are dropped", CloudWatch
agent guide, Prometheus metric type conversion), and vLLM reports latency only as histograms. So
this small exporter scrapes vLLM's /metrics, takes each histogram's bucket counts over the last
interval, interpolates p50/p90/p99 inside the bucket as Prometheus's histogram_quantile does, and
serves them as gauges the agent keeps. Standard library only, Python 3.9+ (AL2023's python3):
the node installs this file as it is.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HISTOGRAMS = {
    "vllm:e2e_request_latency_seconds": "graviton_llm_e2e_latency",
    "vllm:time_to_first_token_seconds": "graviton_llm_ttft",
}
QUANTILES = (0.5, 0.9, 0.99)
_BUCKET = re.compile(r"^([a-zA-Z_:][\w:]*)_bucket\{(.*)\}\s+(\S+)")
_LE = re.compile(r'le="([^"]+)"')


def parse_buckets(text: str) -> dict[str, dict[float, float]]:
    """{histogram: {upper bound: cumulative count}}, summed over label sets (models, engines)."""
    found: dict[str, dict[float, float]] = {}
    for line in text.splitlines():
        match = _BUCKET.match(line)
        if match is None or match.group(1) not in HISTOGRAMS:
            continue
        le = _LE.search(match.group(2))
        if le is None:
            continue
        bound = math.inf if le.group(1) == "+Inf" else float(le.group(1))
        counts = found.setdefault(match.group(1), {})
        counts[bound] = counts.get(bound, 0.0) + float(match.group(3))
    for name, counts in found.items():
        if math.inf not in counts:  # cut off mid-answer: not a distribution
            raise ValueError(f"{name} has no +Inf bucket: the answer is incomplete")
    return found


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """The q-quantile of cumulative bucket counts, linear within the bucket (None: no data).
    Like Prometheus: a quantile in the +Inf bucket is the largest finite bound."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return lower_bound


def window(now: dict[float, float], before: dict[float, float]) -> dict[float, float]:
    """Counts of the requests that finished between two scrapes (a restart resets to now)."""
    if any(now.get(bound, 0.0) < count for bound, count in before.items()):
        return dict(now)
    return {bound: count - before.get(bound, 0.0) for bound, count in now.items()}


def render(previous: dict[str, dict[float, float]], current: dict[str, dict[float, float]]) -> str:
    lines = []
    for histogram, name in HISTOGRAMS.items():
        if histogram not in current:
            continue
        recent = window(current[histogram], previous.get(histogram, {}))
        for q in QUANTILES:
            value = quantile(q, recent)
            if value is not None:  # no requests: no sample, so the alarm sees missing data
                metric = f"{name}_p{round(q * 100)}_seconds"
                lines += [f"# TYPE {metric} gauge", f"{metric} {value:.6f}"]
    return "\n".join(lines) + "\n"


class Exporter:
    def __init__(self, source: str, interval: float) -> None:
        self.source, self.interval = source, interval
        self.previous: dict[str, dict[float, float]] = {}
        self.text = "\n"

    def scrape_once(self) -> None:
        with urllib.request.urlopen(self.source, timeout=10) as response:
            current = parse_buckets(response.read().decode())
        self.text = render(self.previous, current)
        self.previous = current

    def step(self) -> None:
        """One scrape. Whatever goes wrong (vLLM down, a truncated or malformed answer), the
        percentiles are withdrawn rather than left stale, the log says why, and the next
        interval tries again: the alarm then sees missing data, not old values."""
        try:
            self.scrape_once()
        except Exception as error:  # the loop must outlive any bad answer
            self.text = "\n"
            print(
                f"graviton-llm-latency: scrape of {self.source} failed ({error!r}); "
                "serving no percentiles until a good scrape",
                file=sys.stderr,
                flush=True,
            )

    def run(self) -> None:
        while True:
            self.step()
            time.sleep(self.interval)


def main() -> None:
    parser = argparse.ArgumentParser(description="vLLM latency percentiles for CloudWatch")
    parser.add_argument("--vllm-port", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interval", type=float, default=30.0)
    options = parser.parse_args()
    exporter = Exporter(f"http://127.0.0.1:{options.vllm_port}/metrics", options.interval)
    threading.Thread(target=exporter.run, daemon=True).start()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = exporter.text.encode()
            self.send_response(200 if self.path == "/metrics" else 404)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    ThreadingHTTPServer(("127.0.0.1", options.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
