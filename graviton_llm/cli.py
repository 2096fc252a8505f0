"""`graviton-llm`: thin commands. Each parses its options, calls the layer that does the work,
prints, and sets the exit code: 0 done, 1 a check failed, 2 bad input (never a traceback)."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from .bench.cli import register as register_bench
from .facts import catalog

app = typer.Typer(
    name="graviton-llm",
    help="LLM serving clusters on AWS Neuron and Graviton4: plan offline, cost, benchmark.",
    no_args_is_help=True,
    add_completion=False,
)
register_bench(app)


def _console() -> Console:
    """This invocation's output. Piped or in CI, rich assumes 80 columns and folds the resource
    table; 140 keeps rows whole (a terminal, or COLUMNS, still decides when present)."""
    wide = sys.stdout.isatty() or "COLUMNS" in os.environ
    return Console(width=None if wide else 140)


def _error_document(error: Exception) -> dict[str, Any]:
    """Bad input as `--json` reports it: {"errors": [{"field", "value", "fix"}]}."""
    if isinstance(error, ValidationError):
        return {
            "errors": [
                {
                    "field": ".".join(str(part) for part in entry["loc"]) or None,
                    "value": entry.get("input"),
                    "fix": entry["msg"],
                }
                for entry in error.errors()
            ]
        }
    return {"errors": [{"field": None, "value": None, "fix": str(error)}]}


def _print_error(console: Console, error: Exception) -> None:
    if isinstance(error, ValidationError):
        console.print(f"[bold red]Invalid configuration[/]: {error.error_count()} problem(s)")
        for entry in error.errors():
            field = ".".join(str(part) for part in entry["loc"]) or "(args)"
            console.print(f"  [bold]{field}[/] = {entry.get('input')!r}", highlight=False)
            console.print(f"      fix: {entry['msg']}", highlight=False)
    else:
        console.print(f"[bold red]Invalid configuration[/]: {error}", highlight=False)


@contextmanager
def _input_errors(console: Console, as_json: bool = False) -> Iterator[None]:
    """Bad input: a readable list (or JSON) and exit code 2, never a traceback. Every layer
    reports bad input as a ValueError (pydantic's ValidationError, the stack files'
    ConfigError, the pricing and performance models' own); unreadable files as OSError."""
    try:
        yield
    except (ValueError, OSError, ArithmeticError) as error:
        if as_json:
            sys.stdout.write(json.dumps(_error_document(error), indent=2, default=str) + "\n")
        else:
            _print_error(console, error)
        raise typer.Exit(2) from None


def _finite(minimum: float, maximum: float, *, open_minimum: bool = False):
    """A typer callback: the option, when given, is a finite number in range (click's
    FloatRange lets nan through: every comparison with it is false)."""

    def check(value: float | None) -> float | None:
        if value is None:
            return None
        low_ok = value > minimum if open_minimum else value >= minimum
        if not (math.isfinite(value) and low_ok and value <= maximum):
            low = f"> {minimum:g}" if open_minimum else f">= {minimum:g}"
            raise typer.BadParameter(f"{value!r} is not a finite number {low} and <= {maximum:g}")
        return value

    return check


STACK_HELP = "Stack name (graviton_llm/stacks/Pulumi.<name>.yaml) or a path to a stack file."


@app.command()
def plan(
    stack: str = typer.Option("dev", help=STACK_HELP),
    json_output: bool = typer.Option(False, "--json", help="Print the plan as JSON instead."),
    full: bool = typer.Option(False, help="Include the whole rendered user data."),
) -> None:
    """Run the stack program offline under the mock engine and print what it would create.

    Exit codes: 0 clean, 1 a security check failed, 2 bad configuration.
    """
    from .plan import build_plan, to_json
    from .plan.report import print_plan

    console = _console()
    with _input_errors(console, as_json=json_output):
        result = build_plan(stack)
    document = result.document(full=full)
    if json_output:
        sys.stdout.write(to_json(document))
    else:
        print_plan(console, document)
    if not document["security"]["passed"]:
        raise typer.Exit(1)


@app.command()
def cost(
    stack: str = typer.Option("dev", help=STACK_HELP),
    tokens_per_second: float | None = typer.Option(
        None,
        callback=_finite(0, 1e9, open_minimum=True),
        help="Measured output tokens/s of one node of the stack's instance type.",
    ),
    utilization: float = typer.Option(
        1.0,
        callback=_finite(0.01, 1.0),
        help="Fraction of paid hours spent at that throughput (0.01-1).",
    ),
    alt_tps: Annotated[
        list[str] | None,
        typer.Option("--alt-tps", help="Measured tokens/s of an alternative, TYPE=X (repeatable)."),
    ] = None,
    discount_1yr: float | None = typer.Option(
        None,
        callback=_finite(0, 0.99),
        help="Your 1-year rate as a fraction off on-demand (e.g. 0.31); replaces the "
        "assumed figure.",
    ),
    discount_3yr: float | None = typer.Option(
        None,
        callback=_finite(0, 0.99),
        help="Your 3-year rate as a fraction off on-demand; there is no default.",
    ),
    blog: bool = typer.Option(False, help="Recompute the blog's cost table instead."),
) -> None:
    """Hourly, monthly and per-1M-token cost of the stack's nodes against alternatives."""
    from .pricing import cost as model
    from .pricing.report import print_blog_checks, print_comparison

    console = _console()
    if blog:
        print_blog_checks(console)
        return
    with _input_errors(console):
        args, _ = _stack_args_and_config(stack)
        measured = _parse_alt_tps(alt_tps or [])
        discounts = model.discounts_with(
            {"1yr": discount_1yr, "3yr": discount_3yr}, "given on the command line"
        )
        comparison = model.compare(
            args.instance_type,
            args.desired_capacity,
            args.model_memory_gib,
            tokens_per_second=tokens_per_second,
            utilization=utilization,
            alternative_tokens_per_second=measured,
            default_discounts=discounts,
        )
    print_comparison(console, comparison, args.model.id, args.model.weights_gib)


@app.command()
def reserve(
    stack: str = typer.Option("dev", help=STACK_HELP),
    instance_type: str | None = typer.Option(None, help="Instead of the stack's instance type."),
    count: int | None = typer.Option(
        None, min=1, max=1000, help="Instances to reserve (default: the stack's)."
    ),
    region: str | None = typer.Option(None, help="AWS region (default: the stack's aws:region)."),
    offering: str | None = typer.Option(
        None, help="An offering id from the list: dry-run its purchase."
    ),
    purchase: bool = typer.Option(
        False, "--purchase", help="Really buy --offering (after a passing dry run)."
    ),
    yes: bool = typer.Option(False, "--yes", help="Do not ask before buying."),
) -> None:
    """Reserved Instance offerings for the stack's nodes, break-even utilization against
    on-demand, and a dry-run-first purchase. Needs AWS credentials. Never buys Savings Plans or
    Capacity Blocks (non-cancellable, no dry run)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from .pricing import reservations
    from .pricing.report import print_offerings
    from .program.stack_files import stack_region

    console = _console()
    with _input_errors(console):
        if instance_type is None or count is None or region is None:
            args, config = _stack_args_and_config(stack)
            instance_type = instance_type or args.instance_type
            count = count or max(args.desired_capacity, 1)
            region = region or stack_region(stack, config)
        reservations.check_request(instance_type, region)
        if purchase and offering is None:
            raise ValueError("--purchase needs --offering <id> from the list")
    price = catalog.on_demand_price(instance_type)
    try:
        ec2 = _ec2_client(region)
        rows = reservations.advise(reservations.find_offerings(ec2, instance_type), price, count)
    except (BotoCoreError, ClientError) as error:
        console.print(f"[bold red]AWS lookup failed[/]: {error}", highlight=False)
        raise typer.Exit(2) from None
    print_offerings(console, rows, instance_type, count, region, price)
    if offering is None:
        return
    with _input_errors(console):
        chosen = reservations.choose(rows, offering)
    if purchase and not yes:
        typer.confirm(reservations.purchase_question(chosen, instance_type, count), abort=True)
    try:
        result = reservations.purchase(ec2, chosen, instance_count=count, really=purchase)
    except (BotoCoreError, ClientError) as error:
        console.print(f"[bold red]purchase failed[/]: {error}", highlight=False)
        raise typer.Exit(1) from None
    console.print(result.message, highlight=False)
    if not result.dry_run_ok:
        raise typer.Exit(1)
    if result.reserved_instances_id:
        console.print(f"reserved instances id: {result.reserved_instances_id}")
    elif not purchase:
        console.print("nothing bought; rerun with --purchase to buy")


def _ec2_client(region: str):
    import boto3

    return boto3.client("ec2", region_name=region)


def _stack_args_and_config(stack: str):
    """The stack's cluster args, validated without running the program, and its raw config."""
    from .program import stack_cluster_args

    return stack_cluster_args(stack)


def _parse_alt_tps(values: list[str]) -> dict[str, float]:
    measured = {}
    for value in values:
        name, _, number = value.partition("=")
        try:
            tokens = float(number)
        except ValueError:
            raise ValueError(f"--alt-tps {value!r}: expected TYPE=TOKENS_PER_SECOND") from None
        if not (math.isfinite(tokens) and tokens > 0):
            raise ValueError(f"--alt-tps {value!r}: tokens/s must be a finite number > 0")
        if catalog.on_demand_price(name.strip()) is None:
            raise ValueError(f"--alt-tps {value!r}: no snapshot price for {name.strip()!r}")
        measured[name.strip()] = tokens
    return measured


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
