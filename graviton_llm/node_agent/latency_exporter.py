"""Latency percentiles for CloudWatch, from vLLM's Prometheus histograms. Runs on every node.

The CloudWatch agent drops Prometheus histograms ("histogram metric type are dropped", CloudWatch
agent guide, Prometheus metric type conversion), and vLLM reports latency only as histograms. So
this small exporter scrapes vLLM's /metrics, takes each histogram's bucket counts over the last
interval, interpolates p50/p90/p99 inside the bucket as Prometheus's histogram_quantile does, and
serves them as gauges the agent keeps. Part of the node agent (`graviton-llm-agent
latency-exporter`): standard library only, Python 3.9+ (AL2023's python3).

A scrape has one deadline for the whole answer, not one per socket read (a server that trickles
bytes would otherwise hold it for ever), and percentiles are served only until the next scrape
should have replaced them: a stalled scrape withdraws them, so the alarm sees missing data rather
than old values. Buckets that are not a distribution (NaN, infinite or negative counts, counts
that fall as bounds rise) are refused, never exported.
"""

from __future__ import annotations

import argparse
import math
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HISTOGRAMS = {
    "vllm:e2e_request_latency_seconds": "graviton_llm_e2e_latency",
    "vllm:time_to_first_token_seconds": "graviton_llm_ttft",
}
QUANTILES = (0.5, 0.9, 0.99)
DEADLINE_SECONDS = 10.0
MAX_ANSWER_BYTES = 16 * 2**20  # ours: vLLM's /metrics is a few hundred KB
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
        count = float(match.group(3))
        if not (0 <= count < math.inf and (bound < math.inf or le.group(1) == "+Inf")):
            raise ValueError(f"not a bucket: {line[:120]!r}")
        counts = found.setdefault(match.group(1), {})
        counts[bound] = counts.get(bound, 0.0) + count
    for name, counts in found.items():
        if math.inf not in counts:  # cut off mid-answer: not a distribution
            raise ValueError(f"{name} has no +Inf bucket: the answer is incomplete")
        cumulative = [counts[bound] for bound in sorted(counts)]
        if cumulative != sorted(cumulative):
            raise ValueError(f"{name}: counts fall as bounds rise, not cumulative buckets")
    return found


def fetch(url: str, deadline: float) -> str:
    """The body of an HTTP/1.0 GET (so never chunked), whole within ``deadline`` seconds in all
    and at most MAX_ANSWER_BYTES; TimeoutError or ValueError otherwise."""
    end, parts, data = time.monotonic() + deadline, urllib.parse.urlsplit(url), bytearray()
    with socket.create_connection((parts.hostname, parts.port), deadline) as sock:
        sock.sendall(b"GET %s HTTP/1.0\r\n\r\n" % parts.path.encode())
        while len(data) <= MAX_ANSWER_BYTES:
            sock.settimeout(max(end - time.monotonic(), 0.001))  # socket.timeout when past
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    length = re.search(rb"\ncontent-length: *([0-9]+)", head, re.I)
    if (
        head[8:13] != b" 200 "
        or len(data) > MAX_ANSWER_BYTES
        or (length and int(length[1]) != len(body))
    ):
        raise ValueError(f"not a whole answer: {head[:40]!r}, {len(body)} bytes")
    return body.decode()


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
    def __init__(
        self,
        source: str,
        interval: float,
        deadline: float = DEADLINE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source, self.interval, self.deadline, self.clock = source, interval, deadline, clock
        self.previous: dict[str, dict[float, float]] = {}
        self.text, self.fresh_until = "\n", 0.0

    def served(self) -> str:
        """The percentiles of the last good scrape until the next one is due and past its
        deadline; then none."""
        return self.text if self.clock() < self.fresh_until else "\n"

    def scrape_once(self) -> None:
        started = self.clock()
        current = parse_buckets(fetch(self.source, self.deadline))
        self.text = render(self.previous, current)
        self.previous = current
        self.fresh_until = started + self.interval + 2 * self.deadline

    def step(self) -> None:
        """One scrape. Whatever goes wrong (vLLM down, a truncated or malformed answer), the
        percentiles are withdrawn rather than left stale, the log says why, and the next
        interval tries again: the alarm then sees missing data, not old values."""
        try:
            self.scrape_once()
        except Exception as error:  # the loop must outlive any bad answer
            self.text, self.fresh_until = "\n", 0.0
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="graviton-llm-agent latency-exporter",
        description="vLLM latency percentiles for CloudWatch",
    )
    parser.add_argument("--vllm-port", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interval", type=float, default=30.0)
    options = parser.parse_args(argv)
    exporter = Exporter(f"http://127.0.0.1:{options.vllm_port}/metrics", options.interval)
    threading.Thread(target=exporter.run, daemon=True).start()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = exporter.served().encode()
            self.send_response(200 if self.path == "/metrics" else 404)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    ThreadingHTTPServer(("127.0.0.1", options.port), Handler).serve_forever()
