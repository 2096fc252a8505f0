"""`cost` (terms and alternatives, $/1M tokens) and `reserve` (RI offerings, dry-run-first
purchase)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import common
from .common import STACK_HELP, console_for_this_run, finite, input_errors

if TYPE_CHECKING:
    from ..args import ResolvedClusterArgs


def cost(
    project_dir: Annotated[
        Path | None, typer.Argument(help=common.PROJECT_DIR_HELP, show_default=False)
    ] = None,
    stack: str = typer.Option("dev", help=STACK_HELP),
    cluster: str | None = typer.Option(None, help=common.CLUSTER_HELP),
    tokens_per_second: float | None = typer.Option(
        None,
        callback=finite(0, 1e9, open_minimum=True),
        help="Measured output tokens/s of one node of the stack's instance type.",
    ),
    utilization: float = typer.Option(
        1.0,
        callback=finite(0.01, 1.0),
        help="Fraction of paid hours spent at that throughput (0.01-1).",
    ),
    alt_tps: Annotated[
        list[str] | None,
        typer.Option("--alt-tps", help="Measured tokens/s of an alternative, TYPE=X (repeatable)."),
    ] = None,
    discount_1yr: float | None = typer.Option(
        None,
        callback=finite(0, 0.99),
        help="Your 1-year rate as a fraction off on-demand (e.g. 0.31); replaces the "
        "assumed figure.",
    ),
    discount_3yr: float | None = typer.Option(
        None,
        callback=finite(0, 0.99),
        help="Your 3-year rate as a fraction off on-demand; there is no default.",
    ),
    blog: bool = typer.Option(False, help="Recompute the blog's cost table instead."),
    input_len: int = typer.Option(
        None,
        min=1,
        max=1 << 21,
        help="Prompt tokens of the predicted throughput (default 512, docs/size.md).",
    ),
    output_len: int = typer.Option(
        None, min=1, max=1 << 21, help="Output tokens of the predicted throughput (default 128)."
    ),
    program_timeout: float = common.program_timeout_option(),
) -> None:
    """Hourly, monthly and per-1M-token cost of the stack's nodes against alternatives.

    Without --tokens-per-second, the stack's throughput is predicted (graviton-llm size):
    one node at its max_num_seqs, --input-len / --output-len tokens per request."""
    from ..facts import cold_start
    from ..pricing import cost as model
    from ..pricing.report import print_blog_checks, print_cold_start, print_comparison

    console = console_for_this_run()
    if blog:
        print_blog_checks(console)
        return
    with input_errors(console):
        args = common.stack_cluster(stack, project_dir, cluster, program_timeout).args
        basis = None
        if tokens_per_second is None:
            tokens_per_second, basis = _predicted_throughput(args, input_len, output_len)
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
    print_comparison(
        console, comparison, args.model.id, args.model.weights_gib, throughput_basis=basis
    )
    cold = cold_start.predict_cold_start(args.spec, args.model.weights_gib, args.model.info)
    cached = args.artifact_cache_root is not None
    print_cold_start(console, cold, args.instance_type, artifact_cache=cached)


def _predicted_throughput(
    args: ResolvedClusterArgs, input_len: int | None, output_len: int | None
) -> tuple[float | None, str]:
    """One node's predicted output tokens/s at its max_num_seqs, and what `cost` says of it."""
    from ..sizing import stack_performance

    performance = stack_performance(args, input_len, output_len)
    shape = (
        f"{args.max_num_seqs} requests running (max_num_seqs), {performance.input_len} in / "
        f"{performance.output_len} out tokens (--input-len/--output-len)"
    )
    if performance.prediction is None:
        return None, f"no prediction ({performance.problem}); give --tokens-per-second"
    tokens = round(performance.prediction.output_tokens_per_s, 1)
    return tokens, f"{tokens:g} output tok/s per node, {performance.basis}, at {shape}"


def reserve(
    project_dir: Annotated[
        Path | None, typer.Argument(help=common.PROJECT_DIR_HELP, show_default=False)
    ] = None,
    stack: str = typer.Option("dev", help=STACK_HELP),
    cluster: str | None = typer.Option(None, help=common.CLUSTER_HELP),
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
    program_timeout: float = common.program_timeout_option(),
) -> None:
    """Reserved Instance offerings for the stack's nodes, break-even utilization against
    on-demand, and a dry-run-first purchase. Needs AWS credentials. Never buys Savings Plans or
    Capacity Blocks (non-cancellable, no dry run)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ..facts import catalog
    from ..pricing import reservations
    from ..pricing.report import print_offerings

    console = console_for_this_run()
    config: dict[str, Any] | None = None  # the stack's AWS settings, when it was read
    with input_errors(console):
        if instance_type is None or count is None or region is None:
            target = common.stack_cluster(stack, project_dir, cluster, program_timeout)
            config = target.config
            instance_type = instance_type or target.args.instance_type
            count = count or max(target.args.desired_capacity, 1)
            region = region or target.region
        reservations.check_request(instance_type, region)
        if purchase and offering is None:
            raise ValueError("--purchase needs --offering <id> from the list")
    price = catalog.on_demand_price(instance_type)
    try:
        ec2 = common.ec2_client(region, config, console)
        rows = reservations.advise(reservations.find_offerings(ec2, instance_type), price, count)
    except (BotoCoreError, ClientError) as error:
        raise common.aws_failed(console, "AWS lookup failed", error) from None
    print_offerings(console, rows, instance_type, count, region, price)
    if offering is None:
        return
    with input_errors(console):
        chosen = reservations.choose(rows, offering)
    if purchase and not yes:
        typer.confirm(reservations.purchase_question(chosen, instance_type, count), abort=True)
    try:
        result = reservations.purchase(ec2, chosen, instance_count=count, really=purchase)
    except (BotoCoreError, ClientError) as error:
        raise common.aws_failed(console, "purchase failed", error) from None
    console.print(result.message, highlight=False)
    if not result.dry_run_ok:
        raise typer.Exit(1)
    if result.reserved_instances_id:
        console.print(f"reserved instances id: {result.reserved_instances_id}")
    elif not purchase:
        console.print("nothing bought; rerun with --purchase to buy")


def _parse_alt_tps(values: list[str]) -> dict[str, float]:
    from ..facts import catalog

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


def register(app: typer.Typer) -> None:
    app.command()(cost)
    app.command()(reserve)
