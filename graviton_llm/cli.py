"""`graviton-llm`: review a cluster offline (plan), and more commands as they land."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from . import catalog
from .reserved_capacity import HOURS_PER_MONTH

app = typer.Typer(
    name="graviton-llm",
    help="LLM serving clusters on AWS Neuron and Graviton4: plan offline, cost, benchmark.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


@app.callback()
def _root() -> None:
    """Keep subcommands as subcommands even while only one exists."""


from .bench.cli import register as _register_bench  # noqa: E402

_register_bench(app)


def _print_validation_error(error: ValidationError) -> None:
    console.print(f"[bold red]Invalid configuration[/]: {error.error_count()} problem(s)")
    for entry in error.errors():
        field = ".".join(str(part) for part in entry["loc"]) or "(args)"
        console.print(f"  [bold]{field}[/] = {entry.get('input')!r}")
        console.print(f"      {entry['msg']}")


@app.command()
def plan(
    stack: str = typer.Option("dev", help="Stack name (stacks/Pulumi.<name>.yaml) or a path."),
    full: bool = typer.Option(False, help="Print the whole rendered user data."),
) -> None:
    """Run the stack program offline under the mock engine and print what it would create."""
    from .plan import build_plan

    try:
        result = build_plan(stack)
    except ValidationError as error:
        _print_validation_error(error)
        raise typer.Exit(2) from None
    except FileNotFoundError as error:
        console.print(f"[bold red]{error}[/]")
        raise typer.Exit(2) from None

    table = Table(title=f"graviton-llm plan: stack {result.stack}", show_lines=False)
    for column in ("resource", "type", "protect", "ignore_changes"):
        table.add_column(column)
    for row in result.resource_rows():
        table.add_row(
            "  " * row["depth"] + row["name"],
            row["type"],
            "yes" if row["protect"] else "",
            ", ".join(row["ignore_changes"]),
        )
    console.print(table)
    console.print(f"{len(result.result.resources)} resources")

    cluster = result.cluster
    if full:
        console.print(cluster.user_data, markup=False, highlight=False)
    else:
        console.print(
            f"user data: {len(cluster.user_data)} bytes, sha256 {result.user_data_sha256[:16]} "
            "(--full prints it)"
        )
    args = cluster.args
    price = catalog.on_demand_price(args.instance_type)
    if price is None:
        console.print(f"cost: no snapshot price for {args.instance_type}")
    else:
        hourly = price * args.desired_capacity
        console.print(
            f"cost: {args.desired_capacity} x {args.instance_type} at ${price}/h = "
            f"${hourly:,.2f}/h, ${hourly * HOURS_PER_MONTH:,.0f}/month on-demand "
            f"({catalog.PRICE_SNAPSHOT_REGION}, {catalog.PRICE_SNAPSHOT_DATE})"
        )


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
