"""`size`: from a model, traffic and latency targets to hardware, TP, nodes and $/1M tokens."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from ..safeio.bounds import require_number
from .common import STACK_HELP, console_for_this_run, finite, input_errors, stack_args_and_config

# Bounds on what `size` is asked (ours, far past any real deployment): an unbounded count is a
# memory bomb (--min-nodes 1000000000 allocated 7.45 GiB), an unbounded length a time bomb.
MAX_TOKENS = 1 << 21
MAX_NODES = 1000
MS = finite(0, 3_600_000, open_minimum=True)

if TYPE_CHECKING:
    from ..facts.performance import Prediction, Scales
    from ..sizing.calibrate import Calibration

T = TypeVar("T")

# Where each flag means something: the search (default), --predict (alone: one point; with a
# traffic: a fixed deployment under it), --calibrate. A flag given outside its modes is refused,
# naming it, rather than silently ignored.
SEARCH, POINT, LOADED, CALIBRATE, CALIBRATE_STACK = (
    "the search", "--predict", "--predict with a traffic", "--calibrate", "--calibrate --stack"
)  # fmt: skip
_TRAFFIC_MODES = (SEARCH, LOADED)
_MODES: dict[str, tuple[str, ...]] = {
    "model": (SEARCH, POINT, LOADED, CALIBRATE),
    "model_config": (SEARCH, POINT, LOADED),
    "requests_per_s": _TRAFFIC_MODES,
    "concurrent_users": _TRAFFIC_MODES,
    "think_time_s": _TRAFFIC_MODES,
    "input_len": (SEARCH, POINT, LOADED),
    "output_len": (SEARCH, POINT, LOADED),
    "replicas_per_node": _TRAFFIC_MODES,
    "instance_type": (SEARCH, POINT, LOADED, CALIBRATE),
    "max_num_seqs": (SEARCH, POINT, LOADED, CALIBRATE),
    "tensor_parallel_size": (POINT, LOADED, CALIBRATE),
    "batch": (POINT,),
    "nodes": (LOADED,),
    "stack": (CALIBRATE, CALIBRATE_STACK),
    "bench_nodes": (CALIBRATE, CALIBRATE_STACK),
    "save": (CALIBRATE, CALIBRATE_STACK),
    **{
        name: (SEARCH,)
        for name in (
            "input_len_p50", "input_len_p99", "output_len_p99", "max_model_len", "ttft_p50_ms",
            "ttft_p99_ms", "tpot_ms", "region", "discount_1yr", "discount_3yr", "min_nodes",
            "include_uncalibrated", "include_extrapolated", "show_all", "write_stack", "force",
            "vpc_id", "subnet_id", "weights_uri", "price_per_hour",
        )
    },
}  # fmt: skip
_HINTS = {"nodes": " (the search's is --min-nodes)", "batch": " (the search tries --max-num-seqs)"}


def _given(ctx: typer.Context, name: str) -> bool:
    """The user typed the flag (not its default). By name: typer may carry its own click."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def misplaced_flags(ctx: typer.Context, mode: str) -> list[str]:
    """Every flag given on the command line that ``mode`` does not read, with where it
    belongs."""
    problems = []
    for param in ctx.command.params:
        name = param.name
        if name is None or name not in _MODES or mode in _MODES[name]:
            continue
        if not _given(ctx, name):
            continue
        flag = max(getattr(param, "opts", [f"--{name}"]), key=len)
        places = " or ".join(_MODES[name])
        problems.append(f"{flag} applies to {places}, not {mode}{_HINTS.get(name, '')}")
    return problems


def size(
    ctx: typer.Context,
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
    region: str = typer.Option("us-east-1", help="Where to deploy (priced per region)."),
    price_per_hour: Annotated[
        list[str] | None,
        typer.Option(help="TYPE=USD: your $/h for a type (no discount applied); repeatable."),
    ] = None,
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
    include_extrapolated: bool = typer.Option(False, help="Rank options far from any data."),
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
    think_time_s: float = typer.Option(
        0.0, callback=finite(0, 86_400), help="--concurrent-users: pause between requests."
    ),
    nodes: int = typer.Option(
        1, min=1, max=MAX_NODES, help="--predict with a traffic: nodes serving it."
    ),
    replicas_per_node: Annotated[
        list[int] | None,
        typer.Option(min=1, max=64, help="vLLM replicas per node (see docs/size.md)."),
    ] = None,
    calibrate: Annotated[Path | None, typer.Option(help="A bench.json to compare.")] = None,
    stack: str = typer.Option(None, help="--calibrate: the deployment's stack. " + STACK_HELP),
    bench_nodes: int = typer.Option(
        1, min=1, max=MAX_NODES, help="--calibrate: nodes the benchmark reached."
    ),
    save: bool = typer.Option(False, help="--calibrate: fit and save the deployment's scales."),
) -> None:
    """Which instance type, TP degree, max_num_seqs and node count serve a model at a traffic
    within latency targets, and at what cost (docs/size.md). Exit codes: 0 done, 1 no
    feasible option, 2 bad input."""
    from .. import sizing
    from ..pricing.cost import discounts_with
    from ..sizing.report import (
        print_calibration,
        print_loaded_prediction,
        print_prediction,
        print_sizing,
    )

    console = console_for_this_run()
    traffic_given = requests_per_s is not None or concurrent_users is not None
    if predict:
        mode = LOADED if traffic_given else POINT
    elif calibrate is not None:
        mode = CALIBRATE_STACK if stack is not None else CALIBRATE
    else:
        mode = SEARCH
    with input_errors(console, as_json=json_output):
        problems = misplaced_flags(ctx, mode)
        if mode == CALIBRATE_STACK:
            problems += [
                f"{flag} comes from the stack with --calibrate --stack; drop it"
                for name, flag in (("model", "--model"), ("instance_type", "--instance-type"),
                                   ("tensor_parallel_size", "--tensor-parallel-size"),
                                   ("max_num_seqs", "--max-num-seqs"))
                if _given(ctx, name)
            ]  # fmt: skip
        if predict:
            problems += _missing(
                ("--model", model), ("--instance-type", instance_type),
                *([("--max-num-seqs (the slots users queue for)", max_num_seqs)]
                  if traffic_given else []),
            )  # fmt: skip
        if problems:
            raise ValueError("; ".join(problems))
        prediction: Prediction | sizing.LoadedPrediction | None = None
        if predict:
            shape = sizing.choose_model(model, model_config).shape
            kind = _one(instance_type, "--instance-type")
            seqs = _at_most_one(max_num_seqs, "--max-num-seqs")
            tp = sizing.tensor_parallel_size_or_default(kind, tensor_parallel_size)
            calibration = sizing.saved_calibration(model, kind, tp, seqs or batch)
            if not traffic_given:
                prediction = sizing.point_prediction(
                    shape, kind, tensor_parallel_size=tp, batch=batch, input_len=input_len,
                    output_len=output_len, max_num_seqs=seqs,
                    scales=calibration[1] if calibration else None,
                )  # fmt: skip
            else:
                assert seqs is not None
                prediction = sizing.loaded_prediction(
                    shape, kind, tensor_parallel_size=tp, max_num_seqs=seqs,
                    input_len=input_len, output_len=output_len,
                    concurrent_users=concurrent_users, requests_per_s=requests_per_s,
                    think_time_s=think_time_s, nodes=nodes,
                    replicas_per_node=_at_most_one(replicas_per_node, "--replicas-per-node") or 1,
                    scales=calibration[1] if calibration else None, model_id=model,
                    calibration=calibration[0] if calibration else None,
                )  # fmt: skip
        elif calibrate is not None:
            result = _size_calibrate(
                calibrate, stack, model, instance_type, tensor_parallel_size, max_num_seqs,
                bench_nodes,
            )  # fmt: skip
            saved = _save_calibration(result) if save else None
        else:
            choice = sizing.choose_model(_required(model, "--model"), model_config)
            traffic = sizing.Traffic(
                input_len, output_len, requests_per_s, concurrent_users, input_len_p50,
                input_len_p99, output_len_p99, think_time_s,
            )  # fmt: skip
            request = sizing.SizingRequest(
                choice, traffic, sizing.Targets(ttft_p50_ms, ttft_p99_ms, tpot_ms),
                sizing.checked_max_model_len(max_model_len, traffic, choice), region,
                discounts_with({"1yr": discount_1yr, "3yr": discount_3yr}, "command line"),
                tuple(instance_type) if instance_type else None,
                tuple(max_num_seqs or sizing.search.CANDIDATE_MAX_NUM_SEQS),
                include_uncalibrated, min_nodes, tuple(replicas_per_node or (1,)),
                include_extrapolated, _prices_given(price_per_hour),
            )  # fmt: skip
            sized = sizing.size(request)
            placeholders = None
            if write_stack is not None and sized.best is not None:
                from ..project import PROJECT
                from ..project.files import project_of_stack_file, require_cluster_key

                # The namespace of the project the file is a stack of (its `<project>:cluster`).
                owner = project_of_stack_file(write_stack)
                if owner is not None:
                    stack = write_stack.stem.removeprefix("Pulumi.")
                    require_cluster_key(owner, "size --write-stack", stack)
                where = sizing.Placement(region, vpc_id, tuple(subnet_id or ()), weights_uri)
                placeholders = sizing.write_stack(
                    write_stack, sized.best, choice, request.max_model_len, where,
                    project=owner.name if owner else PROJECT, force=force,
                )  # fmt: skip
    if isinstance(prediction, sizing.LoadedPrediction):
        if json_output:
            sys.stdout.write(sizing.to_json(prediction.document()))
        else:
            print_loaded_prediction(console, prediction)
    elif prediction is not None:
        applied = None if calibration is None else {"path": str(calibration[0])}
        if json_output:
            document = {**prediction.as_dict(), "calibration": _calibration_json(calibration)}
            sys.stdout.write(sizing.to_json(document))
        else:
            print_prediction(
                console, prediction, f"{model} on {kind}, TP {tp}, batch {batch}", applied
            )
    elif calibrate is not None:
        if json_output:
            document = sizing.calibration_document(result)
            if saved is not None:
                document["saved"] = {"path": str(saved[0]), **saved[1]}
            sys.stdout.write(sizing.to_json(document))
        else:
            print_calibration(console, result, saved)
    elif json_output:
        sys.stdout.write(sizing.to_json(sizing.sizing_document(sized)))
    else:
        print_sizing(console, sized, show_all, written=(write_stack, placeholders))
    if not (predict or calibrate) and sized.best is None:
        raise typer.Exit(1)


def _required(value: T | None, option: str) -> T:
    if value is None:
        raise ValueError(f"{option} is required")
    return value


def _missing(*given: tuple[str, object]) -> list[str]:
    """Every required flag not given, each as its own problem (reported together)."""
    return [f"{option} is required" for option, value in given if not value]


def _prices_given(values: list[str] | None) -> dict[str, float] | None:
    """--price-per-hour TYPE=USD, repeatable."""
    prices: dict[str, float] = {}
    for value in values or ():
        name, sep, usd = value.partition("=")
        try:
            price = float(usd)
        except ValueError:
            sep = ""
        if not sep:
            raise ValueError(f"--price-per-hour {value!r}: give TYPE=USD, e.g. trn2.48xlarge=35.76")
        # ours: far above any instance's hourly rate; NaN, infinities and 0 are refused
        prices[name.strip()] = require_number(
            price, f"--price-per-hour {name.strip()}", minimum=0, maximum=10_000, open_minimum=True
        )
    return prices or None


def _calibration_json(calibration: tuple[Path, Scales] | None) -> dict[str, object]:
    if calibration is None:
        return {"applied": False, "path": None, "scales": None}
    path, scales = calibration
    return {
        "applied": True,
        "path": str(path),
        "scales": {"step": scales.step, "prefill": scales.prefill, "serving_ms": scales.serving_ms},
    }


def _at_most_one(values: list[T] | None, option: str) -> T | None:
    """The single value of a repeatable option where only one makes sense, if given."""
    if values and len(values) > 1:
        raise ValueError(f"{option}: give one value here, got {len(values)}")
    return values[0] if values else None


def _one(values: list[T] | None, option: str) -> T:
    """The single value of a repeatable option where one, and only one, is needed."""
    return _required(_at_most_one(values, option), option)


def _save_calibration(result: Calibration) -> tuple[Path, dict[str, Any]]:
    """Fit the deployment's scales on the bench and write them (size --calibrate --save)."""
    from ..sizing import calibration_store as store

    d = result.deployment
    deployment = store.Deployment(
        d.model, d.instance_type, d.tensor_parallel_size, d.max_num_seqs, result.nodes
    )
    fit = store.fit_scales(result.bench, deployment)
    document = store.calibration_file(result.bench, deployment, fit)
    return store.save(document, deployment), document


def _size_calibrate(
    path: Path, stack: str | None, model: str | None, types: list[str] | None, tp: int | None,
    seqs: list[int] | None, nodes: int,
) -> Calibration:  # fmt: skip
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


def register(app: typer.Typer) -> None:
    app.command()(size)
