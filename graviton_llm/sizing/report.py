"""Human rendering of `size`: the ranked table, the formulas and assumptions, and the dropped
options grouped so that a whole family that cannot fit takes one line."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..facts import catalog
from ..facts.performance import Prediction
from .calibrate import Calibration
from .document import ASSUMPTIONS, FORMULAS, region_note
from .search import Option, Rejection, SizingResult, best_per_degree

_LABELS = {
    "not-offered-in-region": "not offered in the region",
    "no-price": "no price",
    "uncalibrated": "not calibrated",
    "does-not-fit": "does not fit",
    "misses-ttft-p50": "misses the TTFT p50 target",
    "misses-ttft-p99": "misses the TTFT p99 target",
    "misses-tpot": "misses the TPOT target",
    "not-servable": "cannot be served",
}


def _money(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"${value:,.{digits}f}"


def _title(result: SizingResult) -> str:
    request = result.request
    traffic, targets = request.traffic, request.targets
    load = (
        f"{traffic.requests_per_s:g} req/s"
        if traffic.requests_per_s is not None
        else f"{traffic.concurrent_users} concurrent users"
    )
    goals = [
        f"TTFT {label} <= {value:,.0f} ms"
        for label, value in (("p50", targets.ttft_p50_ms), ("p99", targets.ttft_p99_ms))
        if value is not None
    ]
    if targets.tpot_ms is not None:
        goals.append(f"TPOT <= {targets.tpot_ms:g} ms")
    return (
        f"size: {request.model.id} at {load}, {traffic.input_len} in / {traffic.output_len} "
        f"out tokens (max_model_len {request.max_model_len}); "
        f"{', '.join(goals) or 'no latency targets'}; {request.region}"
    )


def _add_option(table: Table, rank: int, option: Option) -> None:
    p = option.prediction
    nodes = str(option.nodes)
    if option.nodes != option.nodes_for_traffic:
        nodes += f"\n(traffic: {option.nodes_for_traffic})"
    config = [
        str(rank),
        option.instance_type + ("" if p.calibrated else "\n(roofline bound)"),
        str(option.tensor_parallel_size),
        str(option.max_num_seqs),
        nodes,
        f"{option.ttft_p50_ms:,.0f} / {option.ttft_p99_ms:,.0f}",
        f"{option.tpot_ms:,.1f}",
        f"{p.output_tokens_per_s:,.0f} ({p.per_request_tokens_per_s:,.1f})",
    ]
    for i, term in enumerate(option.cost.terms):
        table.add_row(
            *(config if i == 0 else [""] * len(config)),
            term.term,
            _money(term.usd_per_hour),
            _money(term.usd_per_month, 0),
            _money(term.usd_per_million_tokens),
        )


def _seqs(values: list[int]) -> str:
    return ", ".join(map(str, values))


def rejection_lines(rejected: Iterable[Rejection]) -> list[str]:
    """Dropped options, grouped: instance types with the same reasons on one line; TP degrees
    that fit at no max_num_seqs on one line per type; then runs of max_num_seqs with the same
    reasons, each with the detail of its first (closest) case."""
    rejected = list(rejected)
    lines = []
    by_instance = [r for r in rejected if r.tensor_parallel_size is None]
    details = sorted({r.reasons for r in by_instance}, key=lambda rs: [x.detail for x in rs])
    for reasons in details:
        names = [r.instance_type for r in by_instance if r.reasons == reasons]
        lines.append(f"{', '.join(names)}: " + "; ".join(x.detail for x in reasons))
    rest = [r for r in rejected if r.tensor_parallel_size is not None]
    for name, group in groupby(rest, key=lambda r: r.instance_type):
        entries = list(group)
        whole = [r for r in entries if r.max_num_seqs is None]
        if whole:
            degrees = ", ".join(str(r.tensor_parallel_size) for r in whole)
            lines.append(
                f"{name} TP {degrees}: does not fit at any max_num_seqs "
                f"(TP {whole[-1].tensor_parallel_size}: {whole[-1].reasons[0].detail})"
            )
        partial = [r for r in entries if r.max_num_seqs is not None]
        key = lambda r: (r.tensor_parallel_size, tuple(x.code for x in r.reasons))  # noqa: E731
        for (tp, codes), run in groupby(partial, key=key):
            cases = list(run)
            seqs = [r.max_num_seqs for r in cases if r.max_num_seqs is not None]
            labels = ", ".join(_LABELS.get(code, code) for code in codes)
            first = "; ".join(x.detail for x in cases[0].reasons)
            lines.append(
                f"{name} TP {tp}, max_num_seqs {_seqs(seqs)}: {labels} (at {seqs[0]}: {first})"
            )
    return lines


def print_sizing(
    console: Console,
    result: SizingResult,
    show_all: bool = False,
    written: tuple[Path | None, list[str] | None] = (None, None),
) -> None:
    """The table, the notes, the dropped options; ``written``: the --write-stack path and the
    placeholders it holds (None: not written)."""
    shown = list(result.options) if show_all else best_per_degree(result.options)
    table = Table(title=_title(result), show_lines=True)
    for column in (
        "#", "instance", "TP", "max_num_seqs", "nodes", "TTFT p50 / p99 ms", "TPOT ms",
        "tok/s per node (per request)", "term", "$/h", "$/month", "$/1M output",
    ):  # fmt: skip
        table.add_column(column, overflow="fold")
    ranks = {id(o): i for i, o in enumerate(result.options, start=1)}
    for option in shown:
        _add_option(table, ranks[id(option)], option)
    if shown:
        console.print(table)
    else:
        console.print(
            Text.assemble(("no feasible configuration", "bold red"), f" for {_title(result)}")
        )
    hidden = len(result.options) - len(shown)
    if hidden:
        console.print(
            f"{hidden} more feasible configuration(s) with other max_num_seqs (--all lists "
            "them; --json has every one)."
        )
    _print_notes(console, result)
    lines = rejection_lines(result.rejected)
    if lines:
        console.print("dropped", style="bold")
        for line in lines:
            console.print(f"  {line}", highlight=False, markup=False)
    path, placeholders = written
    if path is not None and placeholders is not None:
        marked = f"; placeholders to replace: {', '.join(placeholders)}" if placeholders else ""
        console.print(f"wrote {path} (validated by the args model){marked}", highlight=False)
    elif path is not None:
        console.print(f"no feasible option: {path} not written", highlight=False)


def _print_notes(console: Console, result: SizingResult) -> None:
    request = result.request
    console.print(Text.assemble(("how", "bold"), " (graviton_llm/sizing/search.py, docs/size.md)"))
    for name, formula in FORMULAS.items():
        console.print(f"  {name} = {formula}", highlight=False, markup=False)
    for assumption in ASSUMPTIONS:
        console.print(f"  assumed: {assumption}", highlight=False, markup=False)
    console.print(
        "  predictions: graviton_llm/facts/performance (fitted on published figures; errors "
        "and known faults in docs/performance-model.md)",
        highlight=False,
    )
    console.print(
        f"  prices: {catalog.PRICE_SNAPSHOT_REGION} on-demand, snapshot "
        f"{catalog.PRICE_SNAPSHOT_DATE}; source {catalog.PRICE_SNAPSHOT_SOURCE}",
        highlight=False,
    )
    note = region_note(request.region)
    if note:
        console.print(Text.assemble("  ", ("note", "bold yellow"), f": {note}"))
    seen = set()
    for option in result.options:
        for term in option.cost.terms:
            if term.discount is not None and term.discount.source not in seen:
                seen.add(term.discount.source)
                console.print(f"  {term.discount.label}: {term.discount.source}", highlight=False)
    if not any(t.term == "3yr" for o in result.options for t in o.cost.terms):
        console.print("  3yr: no sourced rate; give yours with --discount-3yr", highlight=False)


def print_prediction(console: Console, prediction: Prediction, inputs: str) -> None:
    """`size --predict` without --json."""
    p = prediction
    console.print(Text.assemble(("predicted", "bold"), f" {inputs}"))
    rows = (
        ("TTFT (no queue)", f"{p.ttft_ms:,.1f} ms"),
        ("TPOT (decode step)", f"{p.tpot_ms:,.2f} ms"),
        ("inter-token latency under load", f"{p.itl_under_load_ms:,.2f} ms"),
        ("E2E under load", f"{p.e2e_ms:,.0f} ms"),
        ("output tokens/s per request", f"{p.per_request_tokens_per_s:,.2f}"),
        ("output tokens/s aggregate", f"{p.output_tokens_per_s:,.1f}"),
        ("decode bound by", p.decode_bound),
        (
            "calibrated",
            f"yes ({p.generation})" if p.calibrated else f"no: {p.generation} roofline bound",
        ),
    )
    for label, value in rows:
        console.print(f"  {label:<32} {value}", highlight=False)


def print_calibration(console: Console, result: Calibration) -> None:
    """`size --calibrate` without --json."""
    d, bench = result.deployment, result.bench
    console.print(
        Text.assemble(
            ("calibrate", "bold"),
            f": {d.model} on {result.nodes} x {d.instance_type}, TP "
            f"{d.tensor_parallel_size}, max_num_seqs {d.max_num_seqs}; bench ({bench.source}): "
            f"{bench.completed} requests, {bench.input_len} in / {bench.output_len} out tokens, "
            f"{bench.concurrency:g} in flight ({result.batch} per node)",
        )
    )
    table = Table(title="predicted vs measured")
    for column in ("metric", "statistic", "predicted", "measured", "error"):
        table.add_column(column)
    for row in result.rows:
        table.add_row(
            row.metric,
            row.statistic,
            f"{row.predicted:,.1f}",
            f"{row.measured:,.1f}",
            f"{row.error:+.1%}",
        )
    console.print(table)
    console.print(
        f"error = predicted / measured - 1; {d.basis}. TTFT predicted without a queue; TPOT "
        "as the inter-token latency under load (what bench measures).",
        highlight=False,
    )
    for warning in result.warnings:
        console.print(Text.assemble(("note", "bold yellow"), f": {warning}"))
