"""`graviton-llm`: thin commands. Each parses its options, calls the layer that does the work,
prints, and sets the exit code: 0 done, 1 a check failed, 2 bad input (never a traceback)."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="An earlier `plan --json` document: show what deploying this plan would "
            "create, update, replace or delete.",
        ),
    ] = None,
) -> None:
    """Run the stack program offline under the mock engine and print what it would create.

    Exit codes: 0 clean, 1 a security check failed, 2 bad configuration.
    """
    from .plan import build_plan, to_json
    from .plan.diff import diff_plans, load_plan_document
    from .plan.report import print_changes, print_plan

    console = _console()
    with _input_errors(console, as_json=json_output):
        old = load_plan_document(against) if against is not None else None
        result = build_plan(stack)
    document = result.document(full=full)
    changes = None if old is None else diff_plans(old, document)
    if json_output:
        if changes is not None:
            document["changes"] = [change.as_dict() for change in changes]
        sys.stdout.write(to_json(document))
    else:
        print_plan(console, document)
        if changes is not None:
            print_changes(console, changes, str(against))
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
    input_len: int = typer.Option(
        None, min=1, help="Prompt tokens of the predicted throughput (default 512, docs/size.md)."
    ),
    output_len: int = typer.Option(
        None, min=1, help="Output tokens of the predicted throughput (default 128)."
    ),
) -> None:
    """Hourly, monthly and per-1M-token cost of the stack's nodes against alternatives.

    Without --tokens-per-second, the stack's throughput is predicted (graviton-llm size):
    one node at its max_num_seqs, --input-len / --output-len tokens per request."""
    from .facts import sizing
    from .pricing import cost as model
    from .pricing.report import print_blog_checks, print_cold_start, print_comparison

    console = _console()
    if blog:
        print_blog_checks(console)
        return
    with _input_errors(console):
        args, _ = _stack_args_and_config(stack)
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
    cold = sizing.predict_cold_start(args.spec, args.model.weights_gib, args.model.info)
    cached = args.artifact_cache_root is not None
    print_cold_start(console, cold, args.instance_type, artifact_cache=cached)


def _predicted_throughput(args, input_len, output_len) -> tuple[float | None, str]:
    """One node's predicted output tokens/s at its max_num_seqs, and what `cost` says of it."""
    from .sizing import stack_performance

    performance = stack_performance(args, input_len, output_len)
    shape = (
        f"{args.max_num_seqs} requests running (max_num_seqs), {performance.input_len} in / "
        f"{performance.output_len} out tokens (--input-len/--output-len)"
    )
    if performance.prediction is None:
        return None, f"no prediction ({performance.problem}); give --tokens-per-second"
    tokens = round(performance.prediction.output_tokens_per_s, 1)
    return tokens, f"{tokens:g} output tok/s per node, {performance.basis}, at {shape}"


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


@app.command()
def ami(
    stack: str = typer.Option("dev", help=STACK_HELP),
    write: bool = typer.Option(False, "--write", help="Pin the latest image in the stack file."),
) -> None:
    """The stack's pinned AMI against the latest its SSM parameter names (needs AWS
    credentials); --write pins the latest, for review with `plan --against`."""
    from botocore.exceptions import BotoCoreError, ClientError

    from .program import ami_pin
    from .program.stack_files import stack_config_path, stack_region

    console = _console()
    with _input_errors(console):
        args, config = _stack_args_and_config(stack)
        region = stack_region(stack, config)
    try:
        ec2, ssm = _ec2_client(region), _client("ssm", region)
        parameter, newest = ami_pin.latest(ssm, ec2, args.spec)
        pinned = ami_pin.describe(ec2, args.ami_id) if isinstance(args.ami_id, str) else None
    except (BotoCoreError, ClientError) as error:
        console.print(f"[bold red]AWS lookup failed[/]: {error}", highlight=False)
        raise typer.Exit(2) from None
    for label, image in (("pinned", pinned), ("latest", newest)):
        if image is None:
            console.print(f"{label}: none: every deploy takes the latest ({parameter})")
        else:
            console.print(
                f"{label}: {image.image_id} {image.name or ''} created {image.created or '?'} "
                f"root {image.root_device or '?'}",
                highlight=False,
            )
    if pinned is not None and pinned.image_id == newest.image_id:
        console.print("the pin is the latest image")
    elif write:
        with _input_errors(console):
            ami_pin.write_pin(stack_config_path(stack), newest.image_id)
        console.print(f"pinned {newest.image_id}; review the rollout with `plan --against`")


def _client(service: str, region: str):
    import boto3

    return boto3.client(service, region_name=region)


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


@app.command()
def size(
    model: str = typer.Option(None, help="Model id, e.g. meta-llama/Llama-3.3-70B-Instruct."),
    model_config: Annotated[Path | None, typer.Option(help="Its HF config.json.")] = None,
    requests_per_s: float = typer.Option(None, help="Traffic: Poisson arrivals per second."),
    concurrent_users: int = typer.Option(None, help="Traffic: users sending back to back."),
    input_len: int = typer.Option(512, help="Mean prompt tokens."),
    output_len: int = typer.Option(128, help="Mean output tokens."),
    input_len_p50: int = typer.Option(None, help="Median prompt tokens (default: the mean)."),
    input_len_p99: int = typer.Option(None, help="p99 prompt tokens (default: the mean)."),
    output_len_p99: int = typer.Option(None, help="p99 output tokens, for max_model_len."),
    max_model_len: int = typer.Option(None, help="Default: 2^n >= p99 prompt + output."),
    ttft_p50_ms: float = typer.Option(None, help="Target: median time to first token."),
    ttft_p99_ms: float = typer.Option(None, help="Target: p99 time to first token."),
    tpot_ms: float = typer.Option(None, help="Target: time per output token under load."),
    region: str = typer.Option("us-east-1", help="Where to deploy (prices: us-east-1)."),
    discount_1yr: float = typer.Option(None, help="Your 1-year fraction off on-demand."),
    discount_3yr: float = typer.Option(None, help="Your 3-year fraction off (no default)."),
    instance_type: Annotated[list[str] | None, typer.Option(help="Only these types.")] = None,
    max_num_seqs: Annotated[list[int] | None, typer.Option(help="Only these batches.")] = None,
    min_nodes: int = typer.Option(1, help="At least this many nodes (e.g. one per zone)."),
    include_uncalibrated: bool = typer.Option(False, help="Rank roofline-only options too."),
    show_all: bool = typer.Option(False, "--all", help="Every feasible max_num_seqs."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON (docs/size.md)."),
    write_stack: Annotated[Path | None, typer.Option(help="Stack file for the best.")] = None,
    force: bool = typer.Option(False, help="Let --write-stack overwrite a file."),
    vpc_id: str = typer.Option(None, help="--write-stack: the VPC (else a placeholder)."),
    subnet_id: Annotated[list[str] | None, typer.Option(help="--write-stack: subnets.")] = None,
    weights_uri: str = typer.Option(None, help="--write-stack: s3://bucket/prefix/."),
    predict: bool = typer.Option(False, "--predict", help="One prediction (--batch...)."),
    tensor_parallel_size: int = typer.Option(None, help="--predict/--calibrate: TP degree."),
    batch: int = typer.Option(1, help="--predict: requests running at once."),
    calibrate: Annotated[Path | None, typer.Option(help="A bench.json to compare.")] = None,
    stack: str = typer.Option(None, help="--calibrate: the deployment's stack. " + STACK_HELP),
    bench_nodes: int = typer.Option(1, help="--calibrate: nodes the benchmark reached."),
) -> None:
    """Which instance type, TP degree, max_num_seqs and node count serve a model at a traffic
    within latency targets, and at what cost (docs/size.md). Exit codes: 0 done, 1 no
    feasible option, 2 bad input."""
    from . import sizing
    from .pricing.cost import discounts_with
    from .sizing.report import print_calibration, print_prediction, print_sizing

    console = _console()
    with _input_errors(console, as_json=json_output):
        if predict:
            shape = sizing.choose_model(_required(model, "--model"), model_config).shape
            kind = _one(instance_type, "--instance-type")
            prediction = sizing.point_prediction(
                shape, kind, tensor_parallel_size=tensor_parallel_size, batch=batch,
                input_len=input_len, output_len=output_len,
                max_num_seqs=_one(max_num_seqs, "--max-num-seqs", required=False),
            )  # fmt: skip
        elif calibrate is not None:
            result = _size_calibrate(
                calibrate, stack, model, instance_type, tensor_parallel_size, max_num_seqs,
                bench_nodes,
            )  # fmt: skip
        else:
            choice = sizing.choose_model(_required(model, "--model"), model_config)
            traffic = sizing.Traffic(
                input_len, output_len, requests_per_s, concurrent_users, input_len_p50,
                input_len_p99, output_len_p99,
            )  # fmt: skip
            request = sizing.SizingRequest(
                choice, traffic, sizing.Targets(ttft_p50_ms, ttft_p99_ms, tpot_ms),
                sizing.checked_max_model_len(max_model_len, traffic, choice), region,
                discounts_with({"1yr": discount_1yr, "3yr": discount_3yr}, "command line"),
                tuple(instance_type) if instance_type else None,
                tuple(max_num_seqs or sizing.search.CANDIDATE_MAX_NUM_SEQS),
                include_uncalibrated, min_nodes,
            )  # fmt: skip
            sized = sizing.size(request)
            placeholders = None
            if write_stack is not None and sized.best is not None:
                from .program import PROJECT

                where = sizing.Placement(region, vpc_id, tuple(subnet_id or ()), weights_uri)
                placeholders = sizing.write_stack(
                    write_stack, sized.best, choice, request.max_model_len, where,
                    project=PROJECT, force=force,
                )  # fmt: skip
    if predict:
        if json_output:
            sys.stdout.write(json.dumps(prediction.as_dict(), indent=2) + "\n")
        else:
            print_prediction(console, prediction, f"{model} on {kind}, batch {batch}")
    elif calibrate is not None:
        if json_output:
            sys.stdout.write(sizing.to_json(sizing.calibration_document(result)))
        else:
            print_calibration(console, result)
    elif json_output:
        sys.stdout.write(sizing.to_json(sizing.sizing_document(sized)))
    else:
        print_sizing(console, sized, show_all, written=(write_stack, placeholders))
    if not (predict or calibrate) and sized.best is None:
        raise typer.Exit(1)


def _required(value, option: str):
    if value is None:
        raise ValueError(f"{option} is required")
    return value


def _one(values: list | None, option: str, required: bool = True):
    """The single value of a repeatable option where only one makes sense."""
    if values and len(values) > 1:
        raise ValueError(f"{option}: give one value here, got {len(values)}")
    if required and not values:
        raise ValueError(f"{option} is required")
    return values[0] if values else None


def _size_calibrate(path, stack, model, types, tp, seqs, nodes):
    """`size --calibrate`: the deployment from --stack, or from the flags."""
    from .sizing import calibrate, read_bench_file

    data = read_bench_file(path)
    if stack is not None:
        args, _ = _stack_args_and_config(stack)
        return calibrate(
            data, args.model.id, args.instance_type, tensor_parallel_size=args.tensor_parallel_size,
            max_num_seqs=args.max_num_seqs, max_model_len=args.max_model_len,
            dtype=args.model.dtype, nodes=nodes,
        )  # fmt: skip
    return calibrate(
        data, _required(model, "--model (or --stack)"), _one(types, "--instance-type"),
        tensor_parallel_size=tp, max_num_seqs=_one(seqs, "--max-num-seqs"), nodes=nodes,
    )  # fmt: skip


@app.command("compile")
def compile_(
    stack: str = typer.Option("dev", help=STACK_HELP),
    output: Annotated[
        Path | None,
        typer.Option(help="The job's user data file (default: compile-<stack>.user-data.gz)."),
    ] = None,
    script: bool = typer.Option(False, "--script", help="Print the job's script instead."),
) -> None:
    """Pre-warm the artifact cache before a rollout: writes the user data of a one-off job and
    prints the command that runs it. The job boots like a node of the stack (its launch
    template, role, image, weights and container command), compiles once, publishes the
    artifacts and terminates; the first node of the rollout then downloads them."""
    from .plan.prewarm import prewarm_job

    console = _console()
    with _input_errors(console):
        job = prewarm_job(stack)
    if script:
        sys.stdout.write(job.script)
        return
    path = output or Path(f"compile-{job.stack}.user-data.gz")
    path.write_bytes(job.user_data)
    for line in (
        f"artifact cache {job.cache_prefix} (static key {job.static_key}; the weights' digest "
        "is added at boot)",
        f"wrote {path} ({len(job.user_data):,} bytes, gzip); run it once, after `pulumi up` "
        "created the launch template and before the rollout:",
        job.command(str(path)),
        f"done when `aws s3 ls {job.cache_prefix} --recursive` lists a manifest.json; "
        "`aws ec2 get-console-output` shows the job's log",
    ):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
