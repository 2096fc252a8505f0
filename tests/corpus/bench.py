"""The bench corpus: servers that answer to exhaust the client, and flags that would hang it,
never end or count wrong. Servers are tests/bench/hostile.py's, on 127.0.0.1; each answers the
requests of one run. The child's address space is capped, so a case that would take gigabytes
fails there (a MemoryError counts as "wrong") instead of on the machine."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

from hostile import SSE_HEAD, hostile_server, response, sse, text_chunk, usage
from runner import Case, judge_cli

MIB = 2**20


def _bomb(inflated: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = b"\n" * MIB
    return b"".join(packer.compress(block) for _ in range(inflated // MIB)) + packer.flush()


def _run(respond: Callable[[int, bytes], Any], **overrides: Any):
    import asyncio

    from graviton_llm.bench.config import BenchConfig
    from graviton_llm.bench.load_generator import run_benchmark
    from graviton_llm.bench.metrics import compute_metrics
    from graviton_llm.bench.workload import LengthSpec

    with hostile_server(respond) as server:
        config = {"url": server.url, "model": "m", "concurrency": 1, "num_requests": 1,
                  "input_len": LengthSpec(4, 4), "output_len": LengthSpec(16, 16),
                  "timeout_s": 20.0} | overrides  # fmt: skip
        result = asyncio.run(run_benchmark(BenchConfig(**config)))
    return compute_metrics(result.records)


def _server(respond: Callable[[int, bytes], Any], **overrides: Any) -> Callable[[], str]:
    """Clear when the broken answer is one failed request and the run ends."""

    def run() -> str:
        metrics = _run(respond, **overrides)
        return "clear" if metrics.completed == 0 and metrics.failed == 1 else "wrong"

    return run


GZIP = {"Content-Type": "text/event-stream", "Content-Encoding": "gzip"}


def _gzip_bomb(i: int, raw: bytes) -> list[bytes]:
    return [response(body=_bomb(512 * MIB), headers=GZIP)]


SERVERS: dict[str, Callable[[int, bytes], Any]] = {
    "gzip-bomb-512-mib": _gzip_bomb,
    "newline-flood-128-mib": lambda i, raw: [SSE_HEAD, *([b"\n" * MIB] * 128)],
    "endless-event-96-mib": lambda i, raw: [SSE_HEAD, b"data: ", *([b"x" * MIB] * 96)],
    "chatty-100k-events": lambda i, raw: sse(*[text_chunk("a")] * 100_000, usage(16)),
    "empty-data-events": lambda i, raw: [SSE_HEAD, *([b"data: \n\n" * 4096] * 64)],
    "trickle-past-timeout": lambda i, raw: [SSE_HEAD, *([b":", 0.2] * 200)],
    "not-http": lambda i, raw: [b"NOT HTTP\r\n\r\n"],
    "brotli-unasked": lambda i, raw: [response(200, b"x", {"Content-Encoding": "br"})],
    "broken-gzip": lambda i, raw: [response(body=b"\x1f\x8b" + b"x" * 100, headers=GZIP)],
    "usage-huge": lambda i, raw: sse(text_chunk("a"), usage(10**30)),
    "usage-nan": lambda i, raw: [SSE_HEAD, b'data: {"choices":[],"usage":{"prompt_tokens":1,'
                                 b'"completion_tokens":NaN}}\n\n', b"data: [DONE]\n\n"],
    "deep-chunk": lambda i, raw: [SSE_HEAD, b"data: " + b"[" * 50_000 + b"]" * 50_000 + b"\n\n",
                                  b"data: [DONE]\n\n"],
}  # fmt: skip
SERVER_OVERRIDES = {"trickle-past-timeout": {"timeout_s": 2.0}}


def _models(parts: Callable[[], list[bytes]]) -> Callable[[], str]:
    """The model list a server answers when --model is not given (sent in parts, so a big one
    is a list of references to one block, made in the child)."""

    def run() -> str:
        from typer.testing import CliRunner

        from graviton_llm.cli import app

        body = parts()
        head = response(headers={"Content-Length": str(sum(map(len, body)))}, length=False)
        with hostile_server(lambda i, raw: [head, *body]) as server:
            argv = ["bench", "--url", server.url, "--num-requests", "1", "--no-progress",
                    "--no-plot", "--out", "/tmp/corpus-bench-out"]  # fmt: skip
            return judge_cli(CliRunner().invoke(app, argv), {2})

    return run


MODELS: dict[str, Callable[[], list[bytes]]] = {
    "models-600-mib": lambda: [b'{"data": [{"id": "m"}], "pad": "', *[b"x" * MIB] * 600, b'"}'],
    "models-nested": lambda: [b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"],
    "models-not-json": lambda: [b"<html>"],
    "models-empty-list": lambda: [json.dumps({"data": []}).encode()],
}


def _flags(argv: list[str]) -> Callable[[], str]:
    def run() -> str:
        from typer.testing import CliRunner

        from graviton_llm.cli import app

        return judge_cli(CliRunner().invoke(app, argv), {2})

    return run


URL = ["--url", "http://127.0.0.1:9", "--model", "m", "--out", "/tmp/corpus-bench-out"]
BENCH_FLAGS = {
    "input-len-1e9": ["--input-len", "1000000000", "--num-requests", "1"],
    "input-len-arabic": ["--input-len", "\u0661\u0662\u0668", "--num-requests", "1"],
    "output-len-2e6": ["--output-len", "1:2000000", "--num-requests", "1"],
    "request-rate-1e-300": ["--request-rate", "1e-300", "--num-requests", "2"],
    "request-rate-nan": ["--request-rate", "nan", "--num-requests", "2"],
    "burstiness-1e-300": ["--request-rate", "2", "--burstiness", "1e-300", "--num-requests", "2"],
    "burstiness-nan": ["--request-rate", "2", "--burstiness", "nan", "--num-requests", "2"],
    "slo-ttft-nan": ["--slo-ttft-ms", "nan", "--num-requests", "1"],
    "slo-tpot-negative": ["--slo-tpot-ms", "-1", "--num-requests", "1"],
    "price-nan": ["--price-per-hour", "nan", "--num-requests", "1"],
    "max-failure-rate-nan": ["--max-failure-rate", "nan", "--num-requests", "1"],
    "timeout-1e300": ["--timeout", "1e300", "--num-requests", "1"],
    "num-requests-1e8": ["--num-requests", "100000000"],
    "duration-inf": ["--duration", "inf"],
}
URLS = ["127.0.0.1:8000", "ftp://host/", "http://", "http://host:port", "http://h /x",
        "file:///etc/passwd"]  # fmt: skip
MOCK_FLAGS = {
    "ttft-1e300": ["--ttft-ms", "1e300"],
    "itl-inf": ["--itl-ms", "inf"],
    "stall-1e300": ["--stall-s", "1e300"],
    "host-empty": ["--host", ""],
    "max-num-seqs-1e8": ["--max-num-seqs", "100000000"],
}


def _mock(flags: list[str]) -> Callable[[], str]:
    def run() -> str:
        from typer.testing import CliRunner

        from graviton_llm.cli import app
        from support import free_port

        argv = ["mock-server", "--port", str(free_port()), *flags]
        return judge_cli(CliRunner().invoke(app, argv), {2})

    return run


def _bad_tokenizer() -> str:
    import tempfile
    from pathlib import Path

    bad = Path(tempfile.mkdtemp()) / "tokenizer.json"
    bad.write_text('{"not": "a tokenizer"}')
    return _mock(["--tokenizer", str(bad)])()


def bench_cases() -> list[Case]:
    cases = [Case("bench + mock-server", f"server {n}", _server(r, **SERVER_OVERRIDES.get(n, {})),
                  max_rss_mib=1024) for n, r in SERVERS.items()]  # fmt: skip
    cases += [Case("bench + mock-server", n, _models(b), max_rss_mib=1024)
              for n, b in MODELS.items()]  # fmt: skip
    cases += [Case("bench + mock-server", f"flag {n}", _flags(["bench", *URL, *f]), timeout_s=30)
              for n, f in BENCH_FLAGS.items()]  # fmt: skip
    cases += [Case("bench + mock-server", f"url {u}", _flags(["bench", "--url", u, "--model",
                   "m", "--num-requests", "1", *URL[4:]]), timeout_s=30) for u in URLS]  # fmt: skip
    cases += [Case("bench + mock-server", f"mock {n}", _mock(f), timeout_s=20)
              for n, f in MOCK_FLAGS.items()]  # fmt: skip
    cases.append(Case("bench + mock-server", "mock bad tokenizer", _bad_tokenizer, timeout_s=20))
    return cases
