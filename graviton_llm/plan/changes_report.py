"""`plan --against` as a reviewer reads it: each resource that changes with its action, every
property old -> new (those that force a replacement marked), why a replacement happens or may,
and the monthly cost before and after."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..safeio.terminal import styled
from .diff import Change

COLOURS = {"replace": "bold red", "may-replace": "red", "delete": "red", "create": "green",
           "update": "yellow"}  # fmt: skip
SHOWN_CHARS = 80  # ours: a value longer than this is cut in the table (--json has it whole)


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def _what(change: Change) -> str:
    lines = [
        f"{p.path}: {_shown(p.old)} -> {_shown(p.new)}"
        + ("  (replaces)" if p.forces_replacement else "")
        for p in change.properties
    ]
    named = {p.path.split(".")[0].split("[")[0] for p in change.properties}
    lines += [why for why in change.because if why not in named]
    return "\n".join(lines)


def print_changes(
    console: Console, changes: list[Change], against: str, costs: dict[str, Any] | None = None
) -> None:
    """What deploying this plan does to the resources of the plan in ``against``."""
    if not changes:
        console.print(styled((f"against {against}", "bold"), ": no change"))
    else:
        table = Table(title=f"changes against {against}", show_lines=True)
        for column in ("action", "resource", "type", "what changes (old -> new)"):
            table.add_column(column, overflow="fold")
        for change in changes:
            table.add_row(Text(change.action, style=COLOURS[change.action]), change.name,
                          change.type, _what(change))  # fmt: skip
        console.print(table)
    replaced = [c for c in changes if c.action == "replace"]
    if replaced:
        console.print(styled((f"{len(replaced)} resource(s) would be replaced", "bold red"),
                             " (deleted and created): review before `pulumi up`."))  # fmt: skip
    for change in changes:
        if change.reason:
            console.print(f"{change.name}: {change.reason}", highlight=False, markup=False)
        if change.action == "replace" and change.kept:
            console.print(
                f"{change.name}: the replacement keeps {', '.join(change.kept)} from the old "
                "resource (ignore_changes applies to it too): a replaced group starts on the "
                "launch template version the old one ran, and the rollout then refreshes it "
                "onto the new one",
                highlight=False,
                markup=False,
            )
    print_cost_change(console, costs)


def print_cost_change(console: Console, costs: dict[str, Any] | None) -> None:
    if costs is None:
        console.print("cost change: the earlier document has no stack_cost (written before it "
                      "existed)", highlight=False)  # fmt: skip
        return
    sign = "+" if costs["delta"] >= 0 else "-"
    console.print(
        styled(("cost change", "bold"), f": ${costs['usd_per_month_old']:,.2f} -> "
               f"${costs['usd_per_month_new']:,.2f} a month ({sign}${abs(costs['delta']):,.2f})"),
        highlight=False,
    )  # fmt: skip
    for moved in costs["resources"]:
        console.print(
            f"  {moved['resource']}: ${moved['usd_per_month_old']:,.2f} -> "
            f"${moved['usd_per_month_new']:,.2f} ({moved['delta']:+,.2f})",
            highlight=False, markup=False,
        )  # fmt: skip
