"""Human rendering of `size`: the ranked table, the formulas and assumptions, and the dropped
options grouped so that a whole family that cannot fit takes one line."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..facts.performance import Prediction
from ..pricing.prices import LABELS
from .calibrate import Calibration
from .deployment import LoadedPrediction
from .document import ASSUMPTIONS, BALANCER, BASIS_NOTES, FORMULAS, other_bases, price_sources
from .search import MARGIN, Option, Rejection, SizingResult, best_per_degree

_LABELS = {
    "not-offered-in-region": "not offered in the region",
    "no-price": "no price",
    "uncalibrated": "not calibrated",
    "does-not-fit": "does not fit",
    "host-memory": "host RAM cannot stage the checkpoint",
    "extrapolated": "extrapolated beyond published data",
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


# Below this many columns the table cannot show an option without folding numbers and names
# ("inf2.48xlarg e"): each option is printed as a few lines instead.
TABLE_WIDTH = 140


def _marks(option: Option) -> list[str]:
    marks = [] if option.prediction.calibrated else ["roofline bound"]
    if option.coverage.kind != "measured":
        marks.append(option.coverage.kind)
    if option.calibrated_by_bench:
        marks.append("your bench")
    if option.purchase_option != "on-demand":
        marks.append(option.cost.basis.label if option.cost.basis else option.purchase_option)
    if option.replicas_per_node > 1:
        marks.append(f"{option.replicas_per_node} replicas/node: not deployable yet")
    if option.near_target:
        marks.append(f"within {MARGIN:.0%} of {', '.join(option.near_target)}")
    return marks


def _add_option(table: Table, rank: int, option: Option) -> None:
    p = option.prediction
    nodes = str(option.nodes)
    if option.nodes != option.nodes_for_traffic:
        nodes += f"\n(traffic: {option.nodes_for_traffic})"
    marks = _marks(option)
    config = [
        str(rank),
        option.instance_type + "".join(f"\n({mark})" for mark in marks),
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


def _option_lines(rank: int, option: Option) -> list[str]:
    """One option as a few lines, for a terminal too narrow for the table."""
    p = option.prediction
    marks = "".join(f" ({mark})" for mark in _marks(option))
    traffic = (
        ""
        if option.nodes == option.nodes_for_traffic
        else f" (traffic: {option.nodes_for_traffic})"
    )
    terms = "; ".join(
        f"{t.term} {_money(t.usd_per_hour)}/h, {_money(t.usd_per_month, 0)}/month, "
        f"{_money(t.usd_per_million_tokens)}/1M output"
        for t in option.cost.terms
    )
    return [
        f"{rank}. {option.instance_type}{marks}",
        f"   TP {option.tensor_parallel_size}, max_num_seqs {option.max_num_seqs}, "
        f"{option.nodes} node(s)*{traffic}",
        f"   TTFT p50 / p99 {option.ttft_p50_ms:,.0f} / {option.ttft_p99_ms:,.0f} ms, TPOT "
        f"{option.tpot_ms:,.1f} ms, {p.output_tokens_per_s:,.0f} tok/s per node "
        f"({p.per_request_tokens_per_s:,.1f} per request)",
        f"   {terms}",
    ]


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
        "#", "instance", "TP", "max_num_seqs", "nodes*", "TTFT p50 / p99 ms", "TPOT ms",
        "tok/s per node (per request)", "term", "$/h", "$/month", "$/1M output",
    ):  # fmt: skip
        table.add_column(column, overflow="fold")
    # Numbered as shown (the best per instance type and TP); --json ranks every option.
    for rank, option in enumerate(shown, start=1):
        _add_option(table, rank, option)
    if shown and console.width >= TABLE_WIDTH:
        console.print(table)
    elif shown:
        console.print(_title(result), highlight=False, markup=False)
        for rank, option in enumerate(shown, start=1):
            for line in _option_lines(rank, option):
                console.print(line, highlight=False, markup=False)
    else:
        console.print(
            Text.assemble(("no feasible configuration", "bold red"), f" for {_title(result)}")
        )
    hidden = len(result.options) - len(shown)
    if hidden:
        console.print(
            f"{hidden} more feasible configuration(s) with other max_num_seqs (--all lists "
            "them; --json has every one, ranked)."
        )
    if shown:
        console.print(f"* nodes: {BALANCER}", highlight=False, markup=False)
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
    for price in price_sources(result):
        console.print(
            f"  price {price['instance_type']} in {price['region']}: ${price['usd_per_hour']}/h "
            f"{_purchase_label(price['purchase_option'])} ({price['source']}, {price['date']})",
            highlight=False,
            markup=False,
        )
    for basis in other_bases(result):
        console.print(
            f"  {_purchase_label(basis)}: {BASIS_NOTES[basis]}", highlight=False, markup=False
        )
    seen = set()
    for option in result.options:
        for term in option.cost.terms:
            if term.discount is not None and term.discount.source not in seen:
                seen.add(term.discount.source)
                console.print(f"  {term.discount.label}: {term.discount.source}", highlight=False)
    if not any(t.term == "3yr" for o in result.options for t in o.cost.terms):
        console.print("  3yr: no sourced rate; give yours with --discount-3yr", highlight=False)


def print_prediction(
    console: Console,
    prediction: Prediction,
    inputs: str,
    calibration: dict[str, str] | None = None,
) -> None:
    """`size --predict` without --json; ``calibration``: the saved one applied, if any."""
    p = prediction
    console.print(Text.assemble(("predicted", "bold"), f" {inputs}"))
    applied = calibration["path"] if calibration else None
    console.print(f"  {_calibration_line(applied)}", highlight=False)
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


def print_calibration(
    console: Console, result: Calibration, saved: tuple[Path, dict[str, Any]] | None = None
) -> None:
    """`size --calibrate` without --json; ``saved``: the file --save wrote and its content."""
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
    table = Table(
        title=f"1. published constants, no queue ({result.batch} running per node) vs measured"
    )
    for column in ("metric", "statistic", "predicted, no queue", "measured", "error"):
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
        f"error = predicted / measured - 1; {d.basis}. Table 1 is the model's equations with "
        "every node running its share of the bench's requests and none waiting (TTFT without a "
        "queue; TPOT as the inter-token latency under load, what bench measures)"
        + (
            "; table 2 is the load model (the bench's requests queued for slots), before and "
            "after the fitted scales: its TTFT is the one later `size` uses."
            if saved is not None
            else "."
        ),
        highlight=False,
    )
    for warning in result.warnings:
        console.print(Text.assemble(("note", "bold yellow"), f": {warning}"))
    if saved is not None:
        path, document = saved
        scales = document["scales"]
        console.print(
            Text.assemble(
                ("saved", "bold"),
                f" {path}: decode step x{scales['step']:g}, prefill x{scales['prefill']:g}, "
                f"serving {scales['serving_ms']:g} ms. Later `size`, `cost` and `plan` of this "
                "model, instance type, TP degree and max_num_seqs use it.",
            )
        )
        for warning in document.get("fit", {}).get("warnings", []):
            console.print(Text.assemble(("fit", "bold yellow"), f": {warning}"))
        table = Table(title="2. load model (the bench's concurrency queued) vs measured")
        for column in ("figure", "measured", "load model, published", "load model, your scales"):
            table.add_column(column)
        for row in document["rows"]:
            table.add_row(
                row["figure"],
                f"{row['measured']:,.1f}",
                f"{row['predicted_before']:,.1f}",
                f"{row['predicted_after']:,.1f}",
            )
        console.print(table)


def _calibration_line(path: Path | str | None) -> str:
    if path is None:
        return (
            "calibration: none saved for this model, instance type, TP and max_num_seqs "
            "(published figures only; size --calibrate bench.json --save adds yours)"
        )
    return f"calibration: applied, your bench ({path})"


def print_loaded_prediction(console: Console, p: LoadedPrediction) -> None:
    """`size --predict` with --concurrent-users or --requests-per-s, without --json."""
    load = p.load
    traffic = (
        f"{p.concurrent_users} users (think time {p.think_time_s:g} s)"
        if p.concurrent_users is not None
        else f"{p.requests_per_s:g} requests/s (Poisson)"
    )
    console.print(
        Text.assemble(
            ("predicted", "bold"),
            f" {p.model} on {p.nodes} x {p.instance_type} ({p.replicas_per_node} replica(s) per "
            f"node, TP {p.tensor_parallel_size}, max_num_seqs {p.max_num_seqs}), "
            f"{p.input_len} in / {p.output_len} out tokens, {traffic}",
        )
    )
    console.print(f"  {_calibration_line(p.calibration)}", highlight=False)
    if p.replicas > 1:
        console.print(f"  assumed: {BALANCER}", highlight=False, markup=False)
    if not load.stable:
        console.print(
            Text.assemble(
                "  ",
                ("unstable", "bold red"),
                f": {p.requests_per_s:g} requests/s exceed what {p.replicas} replica(s) complete "
                f"({p.replicas * p.engine.rate(p.max_num_seqs):.3g}/s): the queue grows without "
                "bound; add nodes or replicas",
            )
        )
        return
    rows = (
        ("TTFT p50 / p99", f"{load.ttft_p50_s * 1e3:,.0f} / {load.ttft_p99_s * 1e3:,.0f} ms"),
        ("  of which waiting for a slot", f"{load.slot_wait_mean_s * 1e3:,.0f} ms (mean)"),
        ("TTFT without a queue", f"{(p.engine.serving_s + p.engine.prefill_s) * 1e3:,.0f} ms"),
        ("TPOT under load", f"{load.inter_token_s * 1e3:,.1f} ms"),
        ("E2E", f"{load.e2e_s * 1e3:,.0f} ms"),
        ("requests/s served", f"{load.throughput_rps:,.3f}"),
        ("output tokens/s", f"{load.throughput_rps * p.output_len:,.1f}"),
        ("running / queued per replica", f"{load.running:,.1f} / {load.queued:,.1f}"),
    )
    for label, value in rows:
        console.print(f"  {label:<32} {value}", highlight=False)
    console.print(
        '  load model: graviton_llm/facts/performance/load.py (docs/performance-model.md, "Load")',
        highlight=False,
    )


def _purchase_label(option: str) -> str:
    """How a snapshot row is bought, in words (the documents carry the plain code)."""
    return next((label for code, label in LABELS.items() if code == option), option)
