"""The node's corpus: poisoned cache entries and planted links for model-store, hostile answers
for the latency exporter. In-process (the forked child is the node): model-store's `aws` calls
answered by tests/node_agent/cache_fakes.py, the exporter's scrapes by a scripted loopback
server."""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cache_fakes import ENTRY, KEY, listed, make_node, manifest, sha
from runner import Case

GOOD = {"neuron_config.json": b'{"tp": 2}', "weights/tp0.pt": b"\x00neff" * 50}
SECRET = b"root:host-secret"


class _Patch:
    """monkeypatch's setattr/setenv for a child that never undoes them."""

    def setattr(self, target: object, name: str, value: object) -> None:
        setattr(target, name, value)

    def setenv(self, name: str, value: str) -> None:
        os.environ[name] = value


def _node():
    return make_node(Path(tempfile.mkdtemp(prefix="node-")) / "root", _Patch())


def _prepared(node) -> str:
    """prepare's outcome: clear when it compiles instead or loads exactly a verified set."""
    from graviton_llm.node_agent import model_store

    if model_store.prepare(node.config) != 0:
        return "wrong"  # the vLLM unit's start step failed: the node never serves
    loaded = node.loaded() if os.path.islink(node.active) else None
    if loaded is None:
        return "wrong"
    if loaded and loaded != GOOD:
        return "wrong"  # something was loaded that is not the published set
    return "clear"


def _poisoned(document: bytes, blobs: dict[str, bytes] | None = None) -> Callable[[], str]:
    def run() -> str:
        node = _node()
        node.s3.publish(GOOD, document)
        for data in (blobs or {}).values():
            node.s3.objects[f"{ENTRY}blobs/{sha(data)}"] = data
        return _prepared(node)

    return run


def _entry(*paths: str) -> bytes:
    return manifest([{"path": p, "size": 1, "sha256": sha(b"x")} for p in paths])


MANIFESTS = {
    "file-and-path-below-it": (_entry("w", "w/a/b"), {"x": b"x"}),
    "path-below-a-file": (_entry("w/a/b", "w"), {"x": b"x"}),
    "grandparent-is-a-file": (_entry("a/b", "a/b/c/d"), {"x": b"x"}),
    "brackets-400-kb": (b"[" * 200_000 + b"]" * 200_000, None),
    "objects-deep": (b'{"a":' * 5000 + b"1" + b"}" * 5000, None),
    "over-4-mib": (b" " * (4 * 2**20 + 1) + manifest(listed(GOOD)), None),
    "not-utf8": (b"\xff\xfe{}", None),
    "nan-size": (manifest(listed(GOOD)).replace(b'"size": 9', b'"size": NaN'), None),
    "huge-size": (manifest(listed(GOOD)).replace(b'"size": 9', b'"size": ' + b"9" * 5000), None),
    "null": (b"null", None),
    "empty": (b"", None),
    "traversal": (_entry("../../etc/cron.d/x"), {"x": b"x"}),
    "absolute": (_entry("/etc/passwd"), {"x": b"x"}),
    "dot-segment": (_entry("a/./b"), {"x": b"x"}),
    "twice": (_entry("m", "m"), {"x": b"x"}),
    "other-key": (manifest(listed(GOOD), key="0123456789abcdef-0000000000000000"), None),
    "no-files": (manifest([]), None),
    "sha-not-hex": (manifest([{"path": "m", "size": 1, "sha256": "XYZ"}]), None),
    "size-true": (manifest([{"path": "m", "size": True, "sha256": sha(b"x")}]), {"x": b"x"}),
    "wrong-sha": (manifest([{"path": "m", "size": 1, "sha256": sha(b"y")}]), {"x": b"x"}),
}


def _planted(plant: Callable[[Path, Path], None], publish_first: bool = True) -> Callable[[], str]:
    """A link or special file the container left in the artifacts directory before a start."""

    def run() -> str:
        node = _node()
        outside = node.root.parent / "outside"
        outside.mkdir()
        (outside / "keep").write_bytes(SECRET)
        node.artifacts.mkdir(parents=True)
        plant(node.artifacts, outside)
        if publish_first:
            node.s3.publish(GOOD)
        outcome = _prepared(node)
        if (outside / "keep").read_bytes() != SECRET or len(list(outside.iterdir())) != 1:
            return "escape"
        return outcome

    return run


PLANTED = {
    "key-directory-link": lambda a, o: (a / KEY).symlink_to(o),
    "state-file-fifo": lambda a, o: os.mkfifo(a / f"{KEY}.json"),
    "state-file-link": lambda a, o: (a / f"{KEY}.json").symlink_to(o / "keep"),
    "incoming-link": lambda a, o: (a / f"{KEY}.incoming").symlink_to(o),
    "manifest-link": lambda a, o: (a / f".{KEY}.manifest").symlink_to(o / "keep"),
    "active-a-directory": lambda a, o: (a / "active").mkdir(),
}


def _publish(plant: Callable[[Path, Path], None]) -> Callable[[], str]:
    """A set the container planted something in, published by the node."""

    def run() -> str:
        from graviton_llm.node_agent import model_store

        node = _node()
        outside = node.root.parent / "outside"
        outside.mkdir()
        (outside / "passwd").write_bytes(SECRET)
        node.directory.mkdir(parents=True)
        (node.directory / "model.pt").write_bytes(b"neff")
        plant(node.directory, outside)
        model_store.publish(node.config)
        if any(SECRET in data for data in node.s3.objects.values()):
            return "escape"
        return "clear"

    return run


PUBLISHED = {
    "file-link": lambda d, o: (d / "stolen").symlink_to(o / "passwd"),
    "directory-link": lambda d, o: (d / "etc").symlink_to(o),
    "fifo": lambda d, o: os.mkfifo(d / "pipe"),
    "state-lists-a-traversal": lambda d, o: (d.parent / f"{KEY}.json").write_text(
        json.dumps({"key": KEY, "source": "compiled", "published": False,
                    "files": [{"path": os.path.relpath(o / "passwd", d), "size": 16,
                               "sha256": sha(SECRET)}]})),
}  # fmt: skip


# ---- the latency exporter ----------------------------------------------------------------

VLLM = (
    "# TYPE vllm:e2e_request_latency_seconds histogram\n"
    'vllm:e2e_request_latency_seconds_bucket{le="0.5"} FAST\n'
    'vllm:e2e_request_latency_seconds_bucket{le="2.0"} TOTAL\n'
    'vllm:e2e_request_latency_seconds_bucket{le="+Inf"} TOTAL\n'
)
GOOD_METRICS = VLLM.replace("FAST", "45").replace("TOTAL", "90").encode()


def _bucket(counts: dict[str, str]) -> bytes:
    name = "vllm:e2e_request_latency_seconds_bucket"
    return "".join(f'{name}{{le="{le}"}} {c}\n' for le, c in counts.items()).encode()


def _serve(body: bytes, trickle: bool = False, status: int = 200, length: int | None = None):
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            if trickle:
                while not release.wait(0.05):
                    self.wfile.write(b"#")
                    self.wfile.flush()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, release


def _exporter(body: bytes, **serve: object) -> Callable[[], str]:
    """A good scrape, then ``body``: clear when the percentiles are withdrawn, not replaced."""

    def run() -> str:
        from graviton_llm.node_agent import latency_exporter

        good, _ = _serve(GOOD_METRICS)
        scraper = latency_exporter.Exporter(f"http://127.0.0.1:{good.server_port}/metrics", 30)
        served = getattr(scraper, "served", lambda: scraper.text)
        scraper.step()
        if "p99" not in served():
            return "wrong"
        bad, release = _serve(body, **serve)  # type: ignore[arg-type]
        scraper.source = f"http://127.0.0.1:{bad.server_port}/metrics"
        scraper.step()
        release.set()
        text = served()
        if "p99" in text:
            return "wrong"  # old or non-finite percentiles stayed on the gauges
        values = [float(v) for line in text.splitlines() if line and line[0] != "#"
                  for v in line.split()[1:]]  # fmt: skip
        return "wrong" if any(not math.isfinite(v) or v < 0 for v in values) else "clear"

    return run


EXPORTER = {
    "nan-count": (_bucket({"0.5": "NaN", "+Inf": "10"}), {}),
    "inf-count": (_bucket({"0.5": "+Inf", "+Inf": "10"}), {}),
    "negative-count": (_bucket({"0.5": "-3", "+Inf": "10"}), {}),
    "falling-counts": (_bucket({"0.5": "9", "1.0": "4", "+Inf": "10"}), {}),
    "nan-bound": (_bucket({"NaN": "1", "+Inf": "10"}), {}),
    "inf-spelled-otherwise": (_bucket({"0.5": "1", "inf": "5", "+Inf": "10"}), {}),
    "not-a-number": (_bucket({"0.5": "x", "+Inf": "10"}), {}),
    "no-inf-bucket": (_bucket({"0.5": "1"}), {}),
    "truncated": (GOOD_METRICS[:40], {"length": len(GOOD_METRICS)}),
    "http-500": (b"dead", {"status": 500}),
    "empty": (b"", {}),
    "binary": (b"\xff\xfe\x00" * 100, {}),
    "trickle": (GOOD_METRICS, {"trickle": True, "length": 100_000}),
    "huge-count": (_bucket({"0.5": "1e308", "+Inf": "1e309"}), {}),
    "label-soup": (b'vllm:e2e_request_latency_seconds_bucket{le="0.5",le="x"} 1\n', {}),
}


def node_cases() -> list[Case]:
    cases = [Case("model-store", f"manifest {n}", _poisoned(*s)) for n, s in MANIFESTS.items()]
    cases += [Case("model-store", f"prepare with {n}", _planted(p), timeout_s=30)
              for n, p in PLANTED.items()]  # fmt: skip
    cases += [Case("model-store", f"publish with {n}", _publish(p), timeout_s=30)
              for n, p in PUBLISHED.items()]  # fmt: skip
    cases += [Case("latency exporter", n, _exporter(b, **s), timeout_s=25)
              for n, (b, s) in EXPORTER.items()]  # fmt: skip
    return cases
