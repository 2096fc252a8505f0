"""The node's latency exporter: p50/p90/p99 from vLLM's histograms, as gauges the CloudWatch
agent keeps (it drops histograms). Pure math first, then the script run for real on loopback."""

from __future__ import annotations

import math
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from agent_support import install
from graviton_llm.facts.vllm_metrics import LATENCY_METRICS
from graviton_llm.node_agent import latency_exporter as exporter
from reaping import die_with_parent
from support import free_port

BUCKETS = {0.1: 10.0, 0.5: 60.0, 1.0: 90.0, math.inf: 100.0}


def test_quantiles_interpolate_inside_the_bucket_like_histogram_quantile():
    assert exporter.quantile(0.5, BUCKETS) == pytest.approx(0.1 + 0.4 * 40 / 50)  # 0.42
    assert exporter.quantile(0.9, BUCKETS) == pytest.approx(1.0)
    # In the +Inf bucket: the largest finite bound, as Prometheus answers.
    assert exporter.quantile(0.99, BUCKETS) == 1.0
    assert exporter.quantile(0.99, {0.1: 0.0, math.inf: 0.0}) is None  # no requests, no sample


def test_only_the_requests_of_the_last_interval_count_and_a_restart_resets():
    before = {0.1: 10.0, 1.0: 20.0, math.inf: 20.0}
    now = {0.1: 10.0, 1.0: 30.0, math.inf: 30.0}
    assert exporter.window(now, before) == {0.1: 0.0, 1.0: 10.0, math.inf: 10.0}
    restarted = {0.1: 1.0, 1.0: 1.0, math.inf: 1.0}
    assert exporter.window(restarted, before) == restarted


VLLM_METRICS = """# TYPE vllm:e2e_request_latency_seconds histogram
vllm:e2e_request_latency_seconds_bucket{engine="0",le="0.5",model_name="m"} FAST
vllm:e2e_request_latency_seconds_bucket{engine="0",le="2.0",model_name="m"} TOTAL
vllm:e2e_request_latency_seconds_bucket{engine="0",le="+Inf",model_name="m"} TOTAL
vllm:e2e_request_latency_seconds_count{engine="0",model_name="m"} TOTAL
vllm:num_requests_running{engine="0",model_name="m"} 3.0
"""


def _metrics(fast: int, total: int) -> str:
    return VLLM_METRICS.replace("FAST", str(fast)).replace("TOTAL", str(total))


def test_every_latency_metric_the_agent_keeps_is_one_the_exporter_serves():
    # The exporter runs standalone on the node and names its output itself; the CloudWatch agent's
    # selectors, the dashboard and the p99 alarm use facts/vllm_metrics.py. A rename on one side
    # only would leave the alarm with no data.
    histograms = {name: {0.5: 1.0, math.inf: 2.0} for name in exporter.HISTOGRAMS}
    served = {
        line.split()[0]
        for line in exporter.render({}, histograms).splitlines()
        if line and not line.startswith("#")
    }
    assert set(LATENCY_METRICS) <= served


def test_parse_sums_label_sets_and_ignores_other_series():
    text = _metrics(fast=5, total=10) + _metrics(fast=1, total=2).replace(
        'engine="0"', 'engine="1"'
    )
    parsed = exporter.parse_buckets(text)
    assert parsed == {"vllm:e2e_request_latency_seconds": {0.5: 6.0, 2.0: 12.0, math.inf: 12.0}}


@pytest.mark.slow
def test_the_installed_script_serves_p99_of_the_last_interval(tmp_path):
    """The exact file the node installs, run with python3 against a stand-in vLLM."""
    counts = {"fast": 0, "total": 0}

    class Vllm(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def do_GET(self):
            body = _metrics(**counts).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    vllm = ThreadingHTTPServer(("127.0.0.1", 0), Vllm)
    threading.Thread(target=vllm.serve_forever, daemon=True).start()
    agent = install(tmp_path / "root")  # run as the latency unit runs it
    port = free_port()
    process = subprocess.Popen(
        [
            str(agent),
            "latency-exporter",
            "--vllm-port",
            str(vllm.server_port),
            "--port",
            str(port),
            "--interval",
            "0.2",
        ],
        preexec_fn=die_with_parent(),
    )
    try:
        # 100 requests arrive, 90 under 0.5 s and 10 between 0.5 s and 2 s.
        counts.update(fast=90, total=100)
        deadline = time.monotonic() + 10
        text = ""
        while time.monotonic() < deadline and "p99" not in text:
            time.sleep(0.2)
            try:
                text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2)
                text = text.read().decode()
            except OSError:
                text = ""
        values = dict(line.split() for line in text.splitlines() if not line.startswith("#"))
        # rank 99 of 100: in (0.5, 2.0], 9 of the 10 requests in: 0.5 + 1.5 x 9/10
        assert float(values["graviton_llm_e2e_latency_p99_seconds"]) == pytest.approx(1.85)
        assert float(values["graviton_llm_e2e_latency_p50_seconds"]) == pytest.approx(0.5 * 50 / 90)
    finally:
        process.terminate()
        process.wait(timeout=10)
        vllm.shutdown()


class _Scripted(BaseHTTPRequestHandler):
    """Answers /metrics with the next scripted reply: (status, body, declared length or None)."""

    replies: ClassVar[list[tuple[int, bytes, int | None]]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        status, body, length = self.replies.pop(0)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.slow
def test_no_scrape_failure_stops_the_exporter_or_leaves_stale_percentiles(capsys):
    good = _metrics(fast=45, total=90).encode()
    later = _metrics(fast=90, total=180).encode()
    truncated_mid_histogram = good[: good.index(b'le="+Inf"')]
    _Scripted.replies = [
        (200, good, None),
        (200, b'vllm:e2e_request_latency_seconds_bucket{le="0.5"} not-a-number\n', None),
        (200, good[:40], len(good)),  # the connection closes before the declared length
        (500, b"engine dead", None),
        (200, truncated_mid_histogram, None),
        (200, later, None),
    ]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        scraper = exporter.Exporter(f"http://127.0.0.1:{server.server_port}/metrics", 30)
        scraper.step()
        first = scraper.text
        seen = []
        for _ in range(4):  # malformed, truncated, HTTP 500, cut off before +Inf
            scraper.step()  # never raises: the thread would have died
            seen.append(scraper.text)
        scraper.step()
    finally:
        server.shutdown()
        server.server_close()
    assert "graviton_llm_e2e_latency_p99_seconds" in first
    assert seen == ["\n"] * 4  # nothing stale while the answers are bad
    assert "graviton_llm_e2e_latency_p99_seconds" in scraper.text  # and back once they are good
    assert capsys.readouterr().err.count("serving no percentiles") == 4


# ---- hostile answers: a trickling scrape, and buckets that are not a distribution ----------


def _bucket_lines(counts: dict[str, str]) -> str:
    name = "vllm:e2e_request_latency_seconds_bucket"
    return "".join(f'{name}{{le="{le}"}} {count}\n' for le, count in counts.items())


NOT_A_DISTRIBUTION = {
    "nan-count": {"0.5": "NaN", "+Inf": "10"},
    "infinite-count": {"0.5": "+Inf", "+Inf": "10"},
    "negative-count": {"0.5": "-3", "+Inf": "10"},
    "falling-counts": {"0.5": "9", "1.0": "4", "+Inf": "10"},
    "nan-bound": {"NaN": "1", "+Inf": "10"},
    "inf-spelled-otherwise": {"0.5": "1", "inf": "5", "+Inf": "10"},
}


@pytest.mark.parametrize("counts", NOT_A_DISTRIBUTION.values(), ids=NOT_A_DISTRIBUTION.keys())
def test_buckets_that_are_not_a_distribution_are_refused_never_exported(counts):
    with pytest.raises(ValueError):
        exporter.parse_buckets(_bucket_lines(counts))


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_percentiles_are_served_only_until_the_next_scrape_is_overdue(monkeypatch):
    clock = _Clock()
    scraper = exporter.Exporter("http://127.0.0.1:1/metrics", interval=30, deadline=10, clock=clock)
    monkeypatch.setattr(exporter, "fetch", lambda url, deadline: _metrics(fast=45, total=90))
    scraper.step()
    assert "graviton_llm_e2e_latency_p99_seconds" in scraper.served()
    clock.now += 30 + 2 * 10 - 0.001  # the next scrape is due, and may still be within its deadline
    assert "graviton_llm_e2e_latency_p99_seconds" in scraper.served()
    clock.now += 0.002  # ... it is not: whatever holds it up, nothing old is served any more
    assert scraper.served() == "\n"


class _Trickle(BaseHTTPRequestHandler):
    """Headers, then one byte at a time until the test lets go: every read gets data within any
    per-read timeout, so only a deadline on the whole answer ends the scrape."""

    release = threading.Event()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        while not self.release.wait(0.05):
            self.wfile.write(b"#")
            self.wfile.flush()


@pytest.mark.slow
def test_a_trickling_scrape_ends_at_its_deadline_and_withdraws_the_percentiles(capsys):
    good = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    _Scripted.replies = [(200, _metrics(fast=45, total=90).encode(), None)]
    trickle = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    _Trickle.release.clear()
    for server in (good, trickle):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    finished = threading.Event()
    try:
        scraper = exporter.Exporter(f"http://127.0.0.1:{good.server_port}/metrics", 30, 0.5)
        scraper.step()
        assert "p99" in scraper.served()
        scraper.source = f"http://127.0.0.1:{trickle.server_port}/metrics"
        threading.Thread(target=lambda: (scraper.step(), finished.set()), daemon=True).start()
        assert finished.wait(60), "the scrape is still reading a trickle"
    finally:
        _Trickle.release.set()
        for server in (good, trickle):
            server.shutdown()
            server.server_close()
    assert scraper.served() == "\n"
    assert "TimeoutError" in capsys.readouterr().err
