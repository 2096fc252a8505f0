"""Human rendering of the cost model: a comparison table and the blog's claims."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..facts import catalog
from ..facts.cold_start import ColdStart
from . import blog_claims
from .cost import TERMS, Comparison, OptionCost, model_memory_gib
from .reservations import OfferingAdvice


def _money(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"${value:,.{digits}f}"


def _rows(table: Table, option: OptionCost, comparison: Comparison, label: str) -> None:
    memory = model_memory_gib(option.instance_type)
    first = f"{label}{option.instance_type}\n{option.nodes} node(s)" + (
        f", {memory:.0f} GiB for the model" if memory is not None else ""
    )
    if option.on_demand_usd_per_hour is None:
        table.add_row(first, "-", "-", "-", "-", "no snapshot price: not compared")
        return
    match_tps = comparison.tokens_per_second_to_match(option)
    for i, term in enumerate(TERMS):
        cost = option.term(term)
        name = first if i == 0 else ""
        if cost is None:
            table.add_row(name, term, "n/a", "n/a", "n/a", "no sourced rate")
            continue
        if cost.usd_per_million_tokens is not None:
            per_token = _money(cost.usd_per_million_tokens)
        elif term == "on-demand" and match_tps is not None:
            per_token = f"needs {match_tps:,.1f} tok/s/node to match"
        else:
            per_token = "-"
        basis = (
            f"snapshot ${option.on_demand_usd_per_hour}/h"
            if cost.discount is None
            else cost.discount.label
        )
        table.add_row(
            name,
            term,
            _money(cost.usd_per_hour),
            _money(cost.usd_per_month, 0),
            per_token,
            basis,
        )


def print_comparison(
    console: Console,
    comparison: Comparison,
    model_id: str,
    weights_gib: float,
    throughput_basis: str | None = None,
) -> None:
    """``throughput_basis`` says where the stack's throughput came from when it was not given
    (e.g. predicted, by which model, at which request shape)."""
    stack = comparison.stack
    tps = (
        f"{stack.tokens_per_second:g} output tok/s per node"
        + (" (predicted)" if throughput_basis else "")
        if stack.tokens_per_second is not None
        else "no throughput given (--tokens-per-second)"
    )
    table = Table(
        title=f"cost: {model_id} ({weights_gib:.1f} GiB weights), {tps}, "
        f"utilization {stack.utilization:.0%}",
        show_lines=True,
    )
    for column in ("instance", "term", "$/h", "$/month", "$/1M output tokens", "basis"):
        table.add_column(column, overflow="fold")
    _rows(table, stack, comparison, "* ")
    for option in comparison.alternatives:
        _rows(table, option, comparison, "")
    console.print(table)
    if throughput_basis is not None:
        console.print(f"Throughput: {throughput_basis}.", highlight=False)
    console.print(
        f"Prices: {catalog.PRICE_SNAPSHOT_REGION} on-demand, snapshot {catalog.PRICE_SNAPSHOT_DATE}"
        f"; source: {catalog.PRICE_SNAPSHOT_SOURCE}.",
        highlight=False,
    )
    seen = set()
    for option in (stack, *comparison.alternatives):
        for term_cost in option.terms:
            discount = term_cost.discount
            if discount is not None and discount.source not in seen:
                seen.add(discount.source)
                console.print(f"{discount.label}: {discount.source}.", highlight=False)
    console.print(
        "Alternatives: per family, the cheapest type whose accelerator memory (host RAM on "
        "Graviton) holds the weights and the stack's KV cache with 10 % headroom, the rule the "
        "args apply. Memory, not speed: give "
        "measured throughput with --alt-tps TYPE=X. Monthly = 730 h; $/1M = $/h / (tok/s x "
        "3600) x 1e6 / utilization.",
        highlight=False,
    )


def print_cold_start(
    console: Console, cold: ColdStart, instance_type: str, *, artifact_cache: bool
) -> None:
    """What a new node (scale-out, rollout) takes to serve on both paths, and what the compile
    the artifact cache saves costs in instance time."""
    price = catalog.on_demand_price(instance_type)
    line = "Cold start of a new node (facts/cold_start.py; `graviton-llm plan` shows each part): "
    if cold.compile_s == 0:
        console.print(line + f"{cold.total_s:,.0f} s, nothing compiled.", highlight=False)
        return
    line += f"{cold.total_s:,.0f} s when it compiles, {cold.cache_hit_s:,.0f} s on a cache hit"
    if price is not None:
        saved = (cold.total_s - cold.cache_hit_s) / 3600 * price
        line += f"; each compile the cache saves is {_money(saved)} of {instance_type} time"
    if not artifact_cache:
        line += " (the artifact cache is off: every new node compiles)"
    console.print(line + ".", highlight=False)


def print_blog_checks(console: Console) -> None:
    table = Table(
        title="The blog's cost claims against the price snapshot "
        f"({catalog.PRICE_SNAPSHOT_REGION}, {catalog.PRICE_SNAPSHOT_DATE})",
        show_lines=True,
    )
    for column in ("claim", "blog", "from real prices", "verdict", "why"):
        table.add_column(column, overflow="fold")
    colours = {"holds": "green", "does not hold": "red", "unverifiable": "yellow"}
    for check in blog_claims.checks():
        table.add_row(
            check.claim,
            check.blog,
            check.computed,
            Text(check.verdict, style=colours[check.verdict]),
            check.why,
        )
    console.print(table)
    console.print(f"Source: {catalog.PRICE_SNAPSHOT_SOURCE}.", highlight=False)


def print_offerings(
    console: Console,
    rows: list[OfferingAdvice],
    instance_type: str,
    count: int,
    region: str,
    on_demand: float | None,
) -> None:
    title = f"Reserved Instance offerings: {count} x {instance_type}, {region}"
    if not rows:
        console.print(f"{title}: none offered (Linux/UNIX, default tenancy, sold by AWS).")
    else:
        table = Table(title=title, show_lines=False)
        for column in (
            "offering", "term", "class", "payment", "scope", "upfront/inst",
            "effective $/h/inst", "off on-demand", "break-even use", "$/month (all)",
        ):  # fmt: skip
            table.add_column(column, overflow="fold")
        for r in rows:
            discount, break_even = r.discount, r.break_even_utilization
            table.add_row(
                r.offering_id,
                r.term,
                r.offering_class,
                r.offering_type,
                r.availability_zone or "region",
                _money(r.upfront_usd),
                f"${r.effective_usd_per_hour:.4f}",
                "-" if discount is None else f"{discount:.1%}",
                "-" if break_even is None else f"{break_even:.0%}",
                _money(r.usd_per_month, 0),
            )
        console.print(table)
    if on_demand is None:
        console.print(f"No snapshot on-demand price for {instance_type}: no break-even.")
    else:
        console.print(
            f"On-demand: ${on_demand}/h ({catalog.PRICE_SNAPSHOT_REGION}, snapshot "
            f"{catalog.PRICE_SNAPSHOT_DATE}; source: {catalog.PRICE_SNAPSHOT_SOURCE}).",
            highlight=False,
        )
        if region != catalog.PRICE_SNAPSHOT_REGION:
            console.print(
                f"The snapshot is {catalog.PRICE_SNAPSHOT_REGION}; {region} prices differ, so "
                "the break-even is approximate.",
                style="yellow",
            )
    console.print(
        "Break-even use: the fraction of hours the instances must run for the RI to cost less "
        "than on-demand. RIs bill every hour of the term and cannot be cancelled. Savings Plans "
        "and Capacity Blocks are never bought here.",
        highlight=False,
    )
