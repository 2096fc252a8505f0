"""`size`: from a model, traffic and latency targets to hardware, TP, nodes and $/1M tokens."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import STACK_HELP, console_for_this_run, finite, input_errors, stack_args_and_config

# Bounds on what `size` is asked (ours, far past any real deployment): an unbounded count is a
# memory bomb (--min-nodes 1000000000 allocated 7.45 GiB), an unbounded length a time bomb.
MAX_TOKENS = 1 << 21
MAX_NODES = 1000
MS = finite(0, 3_600_000, open_minimum=True)


@app.command()
def size(
    model: str = typer.Option(None, help="Model id, e.g. meta-llama/Llama-3.3-70B-Instruct."),
    model_config: Annotated[Path | None, typer.Option(help="Its HF config.json.")] = None,
    requests_per_s: float = typer.Option(None, help="Traffic: Poisson arrivals per second."),
    concurrent_users: int = typer.Option(
        None, min=1, max=1_000_000, help="Traffic: users sending back to back."
    ),
    input_len: int = typer.Option(512, min=1, max=MAX_TOKENS, help="Mean prompt tokens."),
    output_len: int = typer.Option(128, min=1, max=MAX_TOKENS, help="Mean output tokens."),
    input_len_p50: int = typer.Option(
        None, min=1, max=MAX_TOKENS, help="Median prompt tokens (default: the mean)."
    ),
    input_len_p99: int = typer.Option(
        None, min=1, max=MAX_TOKENS, help="p99 prompt tokens (default: the mean)."
    ),
    output_len_p99: int = typer.Option(
        None, min=1, max=MAX_TOKENS, help="p99 output tokens, for max_model_len."
    ),
    max_model_len: int = typer.Option(
        None, min=1, max=MAX_TOKENS, help="Default: 2^n >= p99 prompt + output."
    ),
    ttft_p50_ms: float = typer.Option(
        None, callback=MS, help="Target: median time to first token."
    ),
    ttft_p99_ms: float = typer.Option(None, callback=MS, help="Target: p99 time to first token."),
    tpot_ms: float = typer.Option(
        None, callback=MS, help="Target: time per output token under load."
    ),
    region: str = typer.Option("us-east-1", help="Where to deploy (prices: us-east-1)."),
    discount_1yr: float = typer.Option(
        None, callback=finite(0, 0.99), help="Your 1-year fraction off on-demand."
    ),
    discount_3yr: float = typer.Option(
        None, callback=finite(0, 0.99), help="Your 3-year fraction off (no default)."
    ),
    instance_type: Annotated[list[str] | None, typer.Option(help="Only these types.")] = None,
    max_num_seqs: Annotated[
        list[int] | None, typer.Option(min=1, max=4096, help="Only these batches.")
    ] = None,
    min_nodes: int = typer.Option(
        1, min=1, max=MAX_NODES, help="At least this many nodes (e.g. one per zone)."
    ),
    include_uncalibrated: bool = typer.Option(False, help="Rank roofline-only options too."),
    show_all: bool = typer.Option(False, "--all", help="Every feasible max_num_seqs."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON (docs/size.md)."),
    write_stack: Annotated[Path | None, typer.Option(help="Stack file for the best.")] = None,
    force: bool = typer.Option(False, help="Let --write-stack overwrite a file."),
    vpc_id: str = typer.Option(None, help="--write-stack: the VPC (else a placeholder)."),
    subnet_id: Annotated[list[str] | None, typer.Option(help="--write-stack: subnets.")] = None,
    weights_uri: str = typer.Option(None, help="--write-stack: s3://bucket/prefix/."),
    predict: bool = typer.Option(False, "--predict", help="One prediction (--batch...)."),
    tensor_parallel_size: int = typer.Option(
        None, min=1, max=128, help="--predict/--calibrate: TP degree."
    ),
    batch: int = typer.Option(1, min=1, max=4096, help="--predict: requests running at once."),
    calibrate: Annotated[Path | None, typer.Option(help="A bench.json to compare.")] = None,
    stack: str = typer.Option(None, help="--calibrate: the deployment's stack. " + STACK_HELP),
    bench_nodes: int = typer.Option(
        1, min=1, max=MAX_NODES, help="--calibrate: nodes the benchmark reached."
    ),
) -> None:
    """Which instance type, TP degree, max_num_seqs and node count serve a model at a traffic
    within latency targets, and at what cost (docs/size.md). Exit codes: 0 done, 1 no
    feasible option, 2 bad input."""
    from .. import sizing
    from ..pricing.cost import discounts_with
    from ..sizing.report import print_calibration, print_prediction, print_sizing

    console = console_for_this_run()
    with input_errors(console, as_json=json_output):
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
                from ..program import PROJECT

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
    from ..sizing import calibrate, read_bench_file

    data = read_bench_file(path)
    if stack is not None:
        args, _ = stack_args_and_config(stack)
        return calibrate(
            data, args.model.id, args.instance_type, tensor_parallel_size=args.tensor_parallel_size,
            max_num_seqs=args.max_num_seqs, max_model_len=args.max_model_len,
            dtype=args.model.dtype, nodes=nodes,
        )  # fmt: skip
    return calibrate(
        data, _required(model, "--model (or --stack)"), _one(types, "--instance-type"),
        tensor_parallel_size=tp, max_num_seqs=_one(seqs, "--max-num-seqs"), nodes=nodes,
    )  # fmt: skip
