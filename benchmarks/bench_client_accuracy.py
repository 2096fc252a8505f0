"""Client accuracy and capacity: our ``graviton-llm bench`` vs guidellm vs aiperf, same mock.

Not a test (it takes minutes and its numbers depend on the machine). For each client it runs
against one mock server process and prints, next to the mock's own timing of the same requests:

- accuracy (mock: 50 ms TTFT, 10 ms per token, concurrency 32): TTFT p50/p99, mean ITL and
  output throughput, and each one's error against the server's own timing;
- capacity (mock: no delays, an answer in one write): the request rate and streamed tokens/s it
  sustains (counted by the server), its CPU use, and the server's CPU;
- the blog's formula (``benchmark_llama.py``: sum of words / sum of latencies) applied to our
  own records of the same run, next to the right one (tokens / wall-clock window).

Peers are optional: point ``--guidellm`` / ``--aiperf`` at their executables (install them in a
separate venv, not the project's); a missing one is skipped. Both need a tokenizer; offline, a
small word-level one built with the ``tokenizers`` library (from the peers' venv) is used.

    /tmp/bench-venv/bin/python benchmarks/bench_client_accuracy.py \\
        --guidellm /tmp/peers-venv/bin/guidellm --aiperf /tmp/peers-venv/bin/aiperf
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graviton_llm.bench.mock import TOKEN_PIECES, answer_text
from graviton_llm.bench.records import RequestRecord

CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# The blog's formula, reimplemented only to show its error. DO NOT USE for real measurements.
# From benchmark_llama.py: tokens = len(text.split()); throughput = sum(tokens) / sum(latency).
# ---------------------------------------------------------------------------------------------
def blog_formula_throughput(records: list[RequestRecord]) -> dict[str, float]:
    """The blog's 'throughput_tokens_per_sec' and 'requests_per_sec' on the same records.

    Latency is send -> end of the answer (the blog timed a non-streaming request); the words
    are those of the text the mock streamed for each answer.
    """
    done = [r for r in records if r.ok and not r.warmup]
    words = sum(len(answer_text(r.output_tokens or 0).split()) for r in done)
    total_latency_s = sum(r.end_time - r.send_time for r in done)
    return {
        "throughput_tokens_per_sec": words / total_latency_s,
        "requests_per_sec": len(done) / total_latency_s,
    }


# ---------------------------------------------------------------------------------------------
# Mock server in its own process, and what it measured
# ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url: str, method: str = "GET") -> Any:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Mock:
    def __init__(self, ttft_ms: float, itl_ms: float, max_num_seqs: int = 1024) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "graviton_llm.cli", "mock-server",
                "--port", str(self.port), "--ttft-ms", str(ttft_ms), "--itl-ms", str(itl_ms),
                "--max-num-seqs", str(max_num_seqs),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/health", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("mock server did not start")

    def reset(self) -> None:
        http_json(self.url + "/mock/reset", "POST")

    def stats(self) -> dict[str, Any]:
        return http_json(self.url + "/mock/stats")

    def cpu_s(self) -> float:
        return process_cpu_s(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@dataclass
class ServerTruth:
    requests: int
    output_tokens: int
    window_s: float
    ttft_p50_ms: float
    ttft_p99_ms: float
    itl_mean_ms: float | None

    @property
    def request_rate(self) -> float:
        return self.requests / self.window_s

    @property
    def token_rate(self) -> float:
        return self.output_tokens / self.window_s


def server_truth(stats: dict[str, Any]) -> ServerTruth:
    """What the mock measured: its TTFT (arrival -> first token written), ITL, throughput."""
    timings = [t for t in stats["timings"] if t["last_token"] is not None]
    ttft = np.array([(t["first_token"] - t["arrival"]) * 1000 for t in timings])
    itl = [
        (t["last_token"] - t["first_token"]) / (t["output_tokens"] - 1) * 1000
        for t in timings
        if t["output_tokens"] > 1
    ]
    window = max(t["last_token"] for t in timings) - min(t["arrival"] for t in timings)
    return ServerTruth(
        requests=len(timings),
        output_tokens=sum(t["output_tokens"] for t in timings),
        window_s=window,
        ttft_p50_ms=float(np.percentile(ttft, 50)),
        ttft_p99_ms=float(np.percentile(ttft, 99)),
        itl_mean_ms=statistics.fmean(itl) if itl else None,
    )


# ---------------------------------------------------------------------------------------------
# The three clients. Each returns what it reported: TTFT p50/p99, ITL mean, output tok/s.
# ---------------------------------------------------------------------------------------------
@dataclass
class ClientRun:
    client: str
    scenario: str
    reported: dict[str, float | None]
    truth: ServerTruth
    client_cpu_s: float
    client_wall_s: float
    server_cpu_s: float
    extra: dict[str, Any] = field(default_factory=dict)


def run_ours(mock: Mock, concurrency: int, requests: int, osl: int, work: Path) -> dict[str, Any]:
    out = work / "ours"
    subprocess.run(
        [
            sys.executable, "-m", "graviton_llm.cli", "bench", "--url", mock.url,
            "--endpoint", "chat", "--concurrency", str(concurrency),
            "--num-requests", str(requests), "--input-len", "128", "--output-len", str(osl),
            "--out", str(out), "--no-progress", "--no-plot",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    data = json.loads((out / "bench.json").read_text())  # vLLM's result keys
    return {
        "reported": {
            "ttft_p50_ms": data["median_ttft_ms"],
            "ttft_p99_ms": data["p99_ttft_ms"],
            "itl_mean_ms": data["mean_itl_ms"],
            "output_tok_s": data["output_throughput"],
            "errors": data["failed"],
        },
        "records": [RequestRecord.from_dict(r) for r in data["records"]],
    }


def run_guidellm(
    mock: Mock, exe: str, concurrency: int, requests: int, osl: int, work: Path, tokenizer: Path
) -> dict[str, Any]:
    out = work / "guidellm.json"
    subprocess.run(
        [
            exe, "run",
            "--backend", f"kind=openai_http,target={mock.url},model=mock-llm",
            "--profile", f"kind=concurrent,streams={concurrency}",
            "--constraint", f"kind=max_requests,count={requests}",
            "--data", f"kind=synthetic_text,prompt_tokens=128,output_tokens={osl}",
            "--tokenizer", f"kind=huggingface_auto,model={tokenizer}",
            "--output", f"kind=json,path={out}",
            "--disable-console",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ | {"HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    metrics = json.loads(out.read_text())["benchmarks"][0]["metrics"]
    ttft = metrics["time_to_first_token_ms"]["successful"]
    return {
        "reported": {
            "ttft_p50_ms": ttft["percentiles"]["p50"],
            "ttft_p99_ms": ttft["percentiles"]["p99"],
            "itl_mean_ms": metrics["inter_token_latency_ms"]["successful"]["mean"],
            "output_tok_s": metrics["output_tokens_per_second"]["successful"]["mean"],
            "errors": metrics["request_totals"]["errored"],
        }
    }


def run_aiperf(
    mock: Mock, exe: str, concurrency: int, requests: int, osl: int, work: Path, tokenizer: Path
) -> dict[str, Any]:
    out = work / "aiperf"
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}  # fails on a local path
    subprocess.run(
        [
            exe, "profile", "--url", mock.url, "-m", "mock-llm", "--endpoint-type", "chat",
            "--streaming", "--tokenizer", str(tokenizer), "--use-server-token-count",
            "--concurrency", str(concurrency), "--request-count", str(requests),
            "--isl", "128", "--osl", str(osl), "--extra-inputs", "ignore_eos:true",
            "--no-server-metrics", "--no-gpu-telemetry", "--ui-type", "none",
            "--output-artifact-dir", str(out),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )  # fmt: skip
    data = json.loads((out / "profile_export_aiperf.json").read_text())
    return {
        "reported": {
            "ttft_p50_ms": data["time_to_first_token"]["p50"],
            "ttft_p99_ms": data["time_to_first_token"]["p99"],
            "itl_mean_ms": data["inter_token_latency"]["avg"],
            "output_tok_s": data["output_token_throughput"]["avg"],
            "errors": sum(e.get("count", 0) for e in data.get("error_summary") or []),
        }
    }


def build_tokenizer(directory: Path, python: str) -> None:
    """A word-level tokenizer (every prompt word and mock token text in the vocabulary)."""
    from graviton_llm.bench.workload import _VOCABULARY

    words = sorted({*_VOCABULARY, *(p.strip() for p in TOKEN_PIECES), "computer", "problems"})
    words += [f"r{i}" for i in range(200_000)]  # our prompts' per-request first word
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "words.json").write_text(json.dumps(words))
    script = f"""
import json, os
from tokenizers import Tokenizer, models, pre_tokenizers, decoders
words = ["[UNK]", "[PAD]", "<s>", "</s>"] + json.load(open({str(directory / "words.json")!r}))
tok = Tokenizer(models.WordLevel(vocab={{w: i for i, w in enumerate(words)}}, unk_token="[UNK]"))
tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
tok.decoder = decoders.WordPiece()
d = {str(directory)!r}
tok.save(os.path.join(d, "tokenizer.json"))
json.dump({{"tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "[UNK]",
           "pad_token": "[PAD]", "bos_token": "<s>", "eos_token": "</s>",
           "model_max_length": 1000000}}, open(os.path.join(d, "tokenizer_config.json"), "w"))
json.dump({{"model_type": "llama"}}, open(os.path.join(d, "config.json"), "w"))
"""
    subprocess.run([python, "-c", script], check=True)


def measure(
    name: str, scenario: str, mock: Mock, runner: Any, *args: Any
) -> tuple[ClientRun, dict[str, Any]]:
    mock.reset()
    cpu0, server0, wall0 = children_cpu_s(), mock.cpu_s(), time.perf_counter()
    result = runner(*args)
    wall = time.perf_counter() - wall0
    run = ClientRun(
        client=name,
        scenario=scenario,
        reported=result["reported"],
        truth=server_truth(mock.stats()),
        client_cpu_s=children_cpu_s() - cpu0,
        client_wall_s=wall,
        server_cpu_s=mock.cpu_s() - server0,
    )
    return run, result


def err(reported: float | None, truth: float | None, relative: bool = False) -> str:
    if reported is None or truth is None:
        return "-"
    if relative:
        return f"{(reported - truth) / truth:+.2%}"
    return f"{reported - truth:+.2f}"


def print_accuracy(runs: list[ClientRun]) -> None:
    print("\n## Accuracy: mock 50 ms TTFT + 10 ms/token, errors against the server's timing")
    head = (
        f"{'client':10} {'TTFT p50':>9} {'err ms':>7} {'TTFT p99':>9} {'err ms':>7} "
        f"{'ITL mean':>9} {'err ms':>7} {'out tok/s':>10} {'err':>8} {'errors':>6}"
    )
    print(head)
    for r in runs:
        p, t = r.reported, r.truth
        print(
            f"{r.client:10} {p['ttft_p50_ms']:9.2f} {err(p['ttft_p50_ms'], t.ttft_p50_ms):>7} "
            f"{p['ttft_p99_ms']:9.2f} {err(p['ttft_p99_ms'], t.ttft_p99_ms):>7} "
            f"{p['itl_mean_ms']:9.2f} {err(p['itl_mean_ms'], t.itl_mean_ms):>7} "
            f"{p['output_tok_s']:10.1f} {err(p['output_tok_s'], t.token_rate, True):>8} "
            f"{p['errors']:>6}"
        )
        print(
            f"{'  server':10} {t.ttft_p50_ms:9.2f} {'':>7} {t.ttft_p99_ms:9.2f} {'':>7} "
            f"{t.itl_mean_ms or 0:9.2f} {'':>7} {t.token_rate:10.1f}"
        )


def print_capacity(runs: list[ClientRun]) -> None:
    print("\n## Capacity: zero-delay mock, rates counted by the server")
    print(
        f"{'client':10} {'req/s':>8} {'tok/s':>9} {'client CPU s':>12} {'wall s':>7} "
        f"{'cores':>6} {'CPU ms/req':>10} {'server CPU s':>12} {'srv cores':>9}"
    )
    for r in runs:
        t = r.truth
        print(
            f"{r.client:10} {t.request_rate:8.0f} {t.token_rate:9.0f} {r.client_cpu_s:12.2f} "
            f"{r.client_wall_s:7.2f} {r.client_cpu_s / r.client_wall_s:6.2f} "
            f"{r.client_cpu_s / t.requests * 1000:10.3f} {r.server_cpu_s:12.2f} "
            f"{r.server_cpu_s / t.window_s:9.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    peers = Path("/tmp/peers-venv/bin")
    parser.add_argument("--guidellm", default=shutil.which("guidellm") or str(peers / "guidellm"))
    parser.add_argument("--aiperf", default=shutil.which("aiperf") or str(peers / "aiperf"))
    parser.add_argument("--tokenizer", type=Path, help="word-level tokenizer dir (built if absent)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--requests", type=int, default=640, help="accuracy run, per client")
    parser.add_argument("--capacity-requests", type=int, default=4000)
    parser.add_argument("--output-len", type=int, default=64)
    parser.add_argument("--blog-concurrency", type=int, default=50)
    parser.add_argument("--only", nargs="*", default=["ours", "guidellm", "aiperf"])
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-accuracy-"))
    available = {"ours": True}
    for peer in ("guidellm", "aiperf"):
        exe = getattr(args, peer)
        available[peer] = peer in args.only and Path(exe).is_file() and os.access(exe, os.X_OK)
        if not available[peer]:
            print(f"skipping {peer}: not installed at {exe} (or not in --only)")
    available["ours"] = "ours" in args.only
    tokenizer = args.tokenizer or work / "tokenizer"
    if (available["guidellm"] or available["aiperf"]) and not (
        tokenizer / "tokenizer.json"
    ).exists():
        peer_exe = args.guidellm if available["guidellm"] else args.aiperf
        build_tokenizer(tokenizer, str(Path(peer_exe).parent / "python"))

    c, osl = args.concurrency, args.output_len
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "cpu": _cpu_model(),
            "python": platform.python_version(),
            # Other work on the machine shows in every figure: say how busy it was.
            "loadavg_start": os.getloadavg(),
        },
        "settings": vars(args) | {"tokenizer": str(tokenizer), "json": str(args.json)},
    }

    def clients(requests: int) -> list[tuple[str, Any, tuple[Any, ...]]]:
        table = []
        if available["ours"]:
            table.append(("ours", run_ours, (c, requests, osl, work)))
        if available["guidellm"]:
            table.append(
                ("guidellm", run_guidellm, (args.guidellm, c, requests, osl, work, tokenizer))
            )
        if available["aiperf"]:
            table.append(("aiperf", run_aiperf, (args.aiperf, c, requests, osl, work, tokenizer)))
        return table

    accuracy: list[ClientRun] = []
    mock = Mock(ttft_ms=50, itl_ms=10)
    try:
        for name, runner, extra in clients(args.requests):
            print(f"accuracy: {name} ...", flush=True)
            run, _ = measure(name, "accuracy", mock, lambda *a, r=runner: r(mock, *a), *extra)
            accuracy.append(run)
        blog = None
        if available["ours"]:
            print(f"blog side-by-side: ours at concurrency {args.blog_concurrency} ...", flush=True)
            mock.reset()
            ours = run_ours(mock, args.blog_concurrency, 10 * args.blog_concurrency, osl, work)
            blog = {
                "concurrency": args.blog_concurrency,
                "ours_output_tok_s": ours["reported"]["output_tok_s"],
                "server_output_tok_s": server_truth(mock.stats()).token_rate,
                **{f"blog_{k}": v for k, v in blog_formula_throughput(ours["records"]).items()},
            }
    finally:
        mock.stop()

    capacity: list[ClientRun] = []
    mock = Mock(ttft_ms=0, itl_ms=0)
    try:
        for name, runner, extra in clients(args.capacity_requests):
            print(f"capacity: {name} ...", flush=True)
            run, _ = measure(name, "capacity", mock, lambda *a, r=runner: r(mock, *a), *extra)
            capacity.append(run)
    finally:
        mock.stop()

    results["machine"]["loadavg_end"] = os.getloadavg()
    print(f"\n# Client benchmark, {results['date']}, {results['machine']}")
    print_accuracy(accuracy)
    print_capacity(capacity)
    if blog:
        print(f"\n## Blog formula vs ours, same run (concurrency {blog['concurrency']})")
        print(f"  server's own count            {blog['server_output_tok_s']:10.1f} tok/s")
        print(f"  ours: tokens / window         {blog['ours_output_tok_s']:10.1f} tok/s")
        print(
            f"  blog: words / sum(latencies)  {blog['blog_throughput_tokens_per_sec']:10.1f} "
            f"tok/s  ({blog['ours_output_tok_s'] / blog['blog_throughput_tokens_per_sec']:.1f}x "
            "too low)"
        )
    results["accuracy"] = [_run_dict(r) for r in accuracy]
    results["capacity"] = [_run_dict(r) for r in capacity]
    results["blog"] = blog
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return 0


def _run_dict(run: ClientRun) -> dict[str, Any]:
    t = run.truth
    return {
        "client": run.client,
        "reported": run.reported,
        "server": {
            "requests": t.requests,
            "output_tokens": t.output_tokens,
            "window_s": t.window_s,
            "request_rate": t.request_rate,
            "token_rate": t.token_rate,
            "ttft_p50_ms": t.ttft_p50_ms,
            "ttft_p99_ms": t.ttft_p99_ms,
            "itl_mean_ms": t.itl_mean_ms,
        },
        "client_cpu_s": run.client_cpu_s,
        "client_wall_s": run.client_wall_s,
        "server_cpu_s": run.server_cpu_s,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    sys.exit(main())
