"""``graviton-llm bench`` and ``graviton-llm mock-server``, added to the app by ``register``.

Exit codes of ``bench``: 0 done; 1 the failure rate passed ``--max-failure-rate`` (or nothing
was measured); 2 a usage error, found before any request; 130 interrupted (Ctrl-C). The result
files are written in every case but a usage error, from whatever finished.

The client, its metrics and plots need the optional dependencies of ``graviton-llm[bench]``
(aiohttp, matplotlib, tokenizers): they are imported when a command runs, never when the CLI
starts, and a missing one is a usage error that says how to install it (``require_extra``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..safeio.bounds import finite_option
from ..safeio.exits import ExitCode
from ..safeio.terminal import console_for_this_run, styled
from .extras import require_extra
from .mock.command import mock_server

if TYPE_CHECKING:
    from .config import BenchConfig
    from .load_generator import BenchResult
    from .metrics import SLO, BenchmarkMetrics
    from .workload import LengthSpec

console = console_for_this_run()
# An SLO is a finite number of milliseconds: NaN compared false, so every request counted as good.
_MS = finite_option(0, 3_600_000, open_minimum=True)


def _fail(message: str) -> typer.Exit:
    console.print(styled(("error", "bold red"), f": {message}"))
    return typer.Exit(ExitCode.BAD_INPUT)


def _price(price_per_hour: float | None, instance_type: str | None) -> float | None:
    """``--price-per-hour`` wins; otherwise the catalog's on-demand price for the type."""
    from ..facts import catalog

    if price_per_hour is not None:
        if price_per_hour < 0:
            raise _fail(f"--price-per-hour {price_per_hour}: must be >= 0")
        return price_per_hour
    if instance_type is None:
        return None
    price = catalog.on_demand_price(instance_type)
    if price is None:
        raise _fail(
            f"--instance-type {instance_type}: no price in the {catalog.PRICE_SNAPSHOT_REGION} "
            f"snapshot ({catalog.PRICE_SNAPSHOT_DATE}); pass --price-per-hour"
        )
    return price


def _lengths(text: str, option: str) -> LengthSpec:
    from .workload import LengthSpec

    try:
        return LengthSpec.parse(text)
    except ValueError as error:
        raise _fail(f"{option}: {error}") from None


def _run_with_progress(config: BenchConfig, show: bool, result: BenchResult) -> None:
    import asyncio

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from .load_generator import run_benchmark

    if not show:
        asyncio.run(run_benchmark(config, result=result))
        return
    total = config.num_requests
    columns = [
        TextColumn("bench {task.description}", markup=False, style="bold"),
        BarColumn(),
        MofNCompleteColumn() if total else TextColumn("{task.fields[done]} requests"),
        TimeElapsedColumn(),
    ]
    # No refresh thread: the client's own timer updates the bar a few times a second, so the
    # display never competes with the event loop between two timestamps.
    with Progress(*columns, console=console, auto_refresh=False, transient=False) as progress:
        task = progress.add_task(config.mode, total=total or config.duration_s, done=0)

        def update(done: int, _total: int | None, elapsed: float) -> None:
            completed = done if total else min(elapsed, config.duration_s or elapsed)
            progress.update(task, completed=completed, done=done)
            progress.refresh()

        asyncio.run(run_benchmark(config, progress=update, result=result))


def bench(
    url: str = typer.Option(None, help="Server base URL, e.g. http://127.0.0.1:8000."),
    model: str = typer.Option(None, help="Model name; default: the first in /v1/models."),
    endpoint: str = typer.Option("completions", help="completions or chat."),
    concurrency: int = typer.Option(
        None,
        help="Requests in flight (fixed-concurrency mode, default 1); "
        "with --request-rate, a cap on requests in flight.",
    ),
    request_rate: float = typer.Option(
        None, help="Open loop: arrivals at this many requests/s ('inf': all at once)."
    ),
    burstiness: float = typer.Option(
        1.0, help="Arrival gaps' gamma shape, as vLLM: 1 Poisson, <1 burstier, >1 steadier."
    ),
    num_requests: int = typer.Option(
        None, help="Measured requests (default 200 without --duration)."
    ),
    duration: float = typer.Option(None, help="Stop sending new requests after this many seconds."),
    warmup: int = typer.Option(0, help="Warm-up requests, sent first and not measured."),
    input_len: str = typer.Option(
        "128", help="Prompt tokens (words without --tokenizer): N, or LOW:HIGH uniform."
    ),
    output_len: str = typer.Option("128", help="max_tokens: N, or LOW:HIGH uniform."),
    tokenizer: Annotated[
        Path | None,
        typer.Option(
            help="Local tokenizer.json (or its directory): exact prompt lengths, and token "
            "counts when the server sends no usage. Without it such counts are estimates."
        ),
    ] = None,
    dataset: Annotated[
        Path | None, typer.Option(help='JSONL prompts: {"prompt": ..., "max_tokens": ...}.')
    ] = None,
    seed: int = typer.Option(0, help="Seed for prompts, lengths and arrivals."),
    request_timeout: float = typer.Option(
        300.0,
        "--request-timeout",
        "--timeout",
        help="Seconds from send to the end of a stream before the request fails as timeout.",
    ),
    max_failure_rate: float = typer.Option(
        0.05,
        callback=finite_option(0, 1),
        help="Exit 1 when more than this fraction of requests failed (results are kept).",
    ),
    slo_ttft_ms: float = typer.Option(
        None, callback=_MS, help="Goodput SLO: TTFT <= this many ms."
    ),
    slo_tpot_ms: float = typer.Option(
        None, callback=_MS, help="Goodput SLO: TPOT <= this many ms."
    ),
    slo_e2e_ms: float = typer.Option(
        None, callback=_MS, help="Goodput SLO: end-to-end <= this many ms."
    ),
    price_per_hour: float = typer.Option(
        None, callback=finite_option(0, 10_000), help="Instance $/h for cost per 1M tokens."
    ),
    instance_type: str = typer.Option(
        None, help="Price cost per 1M tokens at this type's on-demand rate (catalog snapshot)."
    ),
    api_key: str = typer.Option(None, envvar="OPENAI_API_KEY", help="Bearer token, if needed."),
    out: Annotated[
        Path | None,
        typer.Option(
            help="Directory for bench.json, records.csv, bench.png (default out/bench-<time>)."
        ),
    ] = None,
    no_plot: bool = typer.Option(False, "--no-plot", help="Skip the PNG."),
    progress: bool = typer.Option(True, help="Show the live progress bar."),
    compare: Annotated[
        tuple[Path, Path] | None,
        typer.Option(help="Compare two bench.json files (A B) instead of running."),
    ] = None,
) -> None:
    """Benchmark an OpenAI-compatible server (vLLM's API) with vLLM's metric definitions."""
    needed = ["aiohttp"] * (compare is None) + ["matplotlib"] * (compare is None and not no_plot)
    require_extra("bench", [*needed, *["tokenizers"] * (tokenizer is not None)])
    if compare is not None:
        _compare(compare[0], compare[1])
        return
    from .config import BenchConfig
    from .load_generator import BenchResult
    from .metrics import SLO
    from .report import prepare_output_dir

    if url is None:
        raise _fail("--url is required (or --compare A.json B.json)")
    if num_requests is None and duration is None:
        num_requests = 200
    config = BenchConfig(
        url=url,
        model=model,
        endpoint=endpoint,  # type: ignore[arg-type]
        concurrency=concurrency,
        request_rate=request_rate,
        burstiness=burstiness,
        num_requests=num_requests,
        duration_s=duration,
        warmup_requests=warmup,
        input_len=_lengths(input_len, "--input-len"),
        output_len=_lengths(output_len, "--output-len"),
        tokenizer=tokenizer,
        dataset=dataset,
        seed=seed,
        timeout_s=request_timeout,
        api_key=api_key,
    )
    problems = config.problems()
    if not 0 <= max_failure_rate <= 1:
        problems.append(f"--max-failure-rate {max_failure_rate}: must be within [0, 1]")
    if problems:
        raise _fail("; ".join(problems))
    price = _price(price_per_hour, instance_type)
    slo = SLO(ttft_ms=slo_ttft_ms, tpot_ms=slo_tpot_ms, e2e_ms=slo_e2e_ms)
    directory = out or Path("out") / time.strftime("bench-%Y%m%d-%H%M%S")
    try:
        prepare_output_dir(directory)
    except ValueError as error:
        raise _fail(str(error)) from None

    result = BenchResult(config)
    try:
        _run_with_progress(config, progress, result)
    except (ConnectionError, ValueError) as error:
        raise _fail(str(error)) from None
    except KeyboardInterrupt:
        _report(result, slo, price, directory, plot=not no_plot)
        console.print(styled(("interrupted", "yellow"), ": wrote the requests that finished"))
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except BaseException:
        # A fault of ours: what finished is still worth its files.
        _report(result, slo, price, directory, plot=not no_plot)
        raise
    metrics = _report(result, slo, price, directory, plot=not no_plot)
    if metrics.requests == 0 or metrics.error_rate > max_failure_rate:
        console.print(
            styled(
                ("failed", "bold red"),
                f": {metrics.failed} of {metrics.requests} requests failed "
                f"({metrics.error_rate:.1%}; --max-failure-rate {max_failure_rate:g})",
            )
        )
        raise typer.Exit(ExitCode.CHECK_FAILED)


def _report(
    result: BenchResult,
    slo: SLO,
    price: float | None,
    directory: Path,
    plot: bool,
) -> BenchmarkMetrics:
    """Print the summary and write the files, for a run that ended or was interrupted."""
    from .metrics import compute_metrics
    from .report import RunReport, machine, write_run_files
    from .tables import summary_table

    config = result.config
    metrics = compute_metrics(result.records, slo=slo, price_per_hour=price)
    title = f"{result.model} @ {config.url}  ({config.mode})"
    if not result.complete:
        title += "  [interrupted]"
    console.print(summary_table(metrics, title))
    cores = result.client_cpu_s / result.wall_s if result.wall_s > 0 else 0.0
    console.print(
        f"client CPU {result.client_cpu_s:.2f} s over {result.wall_s:.2f} s "
        f"({cores:.0%} of one core)"
    )
    asked = config.concurrency if config.request_rate is None else None
    if asked and metrics.mean_concurrency < 0.9 * asked and metrics.completed > 2 * asked:
        console.print(
            styled(
                ("note", "yellow"),
                f": measured concurrency {metrics.mean_concurrency:.1f} is below the "
                f"{asked} asked for: requests ended too fast to keep {asked} in flight, "
                "or the client is saturated (see client CPU)",
            )
        )
    meta = {
        **config.to_dict(),
        "model": result.model,
        "started_at": result.started_at,
        "client_cpu_s": result.client_cpu_s,
        "wall_s": result.wall_s,
        "complete": result.complete,
        "machine": machine(),
    }
    report = RunReport(meta, metrics, result.records)
    written = write_run_files(directory, report, title if plot else None)
    console.print(f"wrote {', '.join(str(path) for path in written)}")
    return metrics


def _compare(path_a: Path, path_b: Path) -> None:
    from .report import read_json
    from .tables import compare_table

    try:
        a, b = read_json(path_a), read_json(path_b)
        table = compare_table(a, b, str(path_a), str(path_b))
    except (ValueError, TypeError, ArithmeticError) as error:  # a metric that is not a number
        raise _fail(f"--compare: {error}") from None
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)
    app.command("mock-server")(mock_server)
