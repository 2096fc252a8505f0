"""The whole stack's cost as `plan` prints it: one row per priced line with its source (numbered
below the table, each with its snapshot date), what bills by usage, what has no sourced price."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ..safeio.terminal import styled


def print_stack_cost(console: Console, cost: dict[str, Any]) -> None:
    sources: dict[tuple[str, str], int] = {}
    table = Table(title=f"cost of the whole stack ({cost['region']}, monthly)", box=None,
                  pad_edge=False, show_lines=False)  # fmt: skip
    for column in ("resource", "item", "quantity", "$/unit", "$/month", "src"):
        numbers = column not in ("resource", "item")
        table.add_column(column, justify="right" if numbers else "left", overflow="fold")
    for line in cost["lines"]:
        number = sources.setdefault((line["source"], line["source_date"]), len(sources) + 1)
        table.add_row(
            line["resource"],
            line["item"] + ("  *" if line["basis"] else ""),
            f"{line['quantity']:,.6g} {line['unit']}",
            f"{line['usd_per_unit']:,.6g}",
            f"{line['usd_per_month']:,.2f}",
            f"[{number}]",
        )
    console.print(table, highlight=False)
    total = (
        f" ${cost['usd_per_month']:,.2f}/month, ${cost['usd_per_hour']:,.2f}/h "
        f"({cost['hours_per_month']} h a month); {cost['free_resources']} resources bill nothing "
        "by themselves"
    )
    console.print(styled(("  total", "bold"), total), highlight=False)
    for line in cost["lines"]:
        if line["basis"]:
            console.print(f"  * {line['resource']} {line['item']}: {line['basis']}",
                          highlight=False, markup=False, soft_wrap=True)  # fmt: skip
    usage = [u for u in cost["usage_based"] if u["unit"] or u["usd_per_unit"] is None]
    if usage:
        console.print("  not in the total, billed by usage:", highlight=False)
        for entry in usage:
            price = (f" (${entry['usd_per_unit']:g} per {entry['unit']})"
                     if entry["usd_per_unit"] is not None else "")  # fmt: skip
            console.print(f"    {entry['resource']}: {entry['item']}{price}",
                          highlight=False, markup=False)  # fmt: skip
    if cost["unpriced"]:
        console.print(styled(("  unpriced", "yellow"), " (not in the total):"))
        for entry in cost["unpriced"]:
            console.print(f"    {entry['resource']} ({entry['type']}): {entry['reason']}",
                          highlight=False, markup=False)  # fmt: skip
    for (source, date), number in sources.items():
        console.print(f"  [{number}] {source}, {date}", highlight=False, markup=False,
                      soft_wrap=True)  # fmt: skip
