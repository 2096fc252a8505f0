"""Human rendering of the cost model: a comparison table and the blog's claims."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from . import blog_claims, catalog
from .cost import TERMS, Comparison, OptionCost, model_memory_gib


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
    console: Console, comparison: Comparison, model_id: str, weights_gib: float
) -> None:
    stack = comparison.stack
    tps = (
        f"{stack.tokens_per_second:g} output tok/s per node"
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
        "Graviton) holds the weights with 20 % left for KV cache. Memory, not speed: give "
        "measured throughput with --alt-tps TYPE=X. Monthly = 730 h; $/1M = $/h / (tok/s x "
        "3600) x 1e6 / utilization.",
        highlight=False,
    )


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
            f"[{colours[check.verdict]}]{check.verdict}[/]",
            check.why,
        )
    console.print(table)
    console.print(f"Source: {catalog.PRICE_SNAPSHOT_SOURCE}.", highlight=False)
