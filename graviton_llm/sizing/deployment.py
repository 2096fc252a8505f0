"""Predicted performance of a cluster as deployed: its model, instance type, TP degree and
max_num_seqs. What `cost` prices per token when no throughput is given and what `plan` prints.

``deployment_performance`` takes the few values it reads, not the cluster args;
``stack_performance`` reads them from a stack's args, so `plan` and `cost` share one definition
of the prediction, the lengths assumed and the document shape.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..args import ResolvedClusterArgs
from ..facts import catalog
from ..facts import performance as perf

# Assumed request shape when none is given: 512 prompt / 128 output tokens, the shape of the
# published vLLM-on-Neuron figure we check against (vllm-neuron EAGLE3 tutorial baseline, sonnet
# 512 / 128; docs/performance-model.md). An assumption about traffic, not a measurement.
DEFAULT_INPUT_LEN = 512
DEFAULT_OUTPUT_LEN = 128

# The args' model.dtype as the performance model names weight formats; float32 is not modelled.
WEIGHT_DTYPE = {"bfloat16": "bf16", "float16": "fp16"}


@dataclass(frozen=True)
class DeploymentPerformance:
    """One replica per node (the stack serves one), every node running ``batch`` requests
    (max_num_seqs unless told otherwise)."""

    model: str
    instance_type: str
    tensor_parallel_size: int
    max_num_seqs: int
    batch: int  # requests running on each node
    nodes: int
    input_len: int
    output_len: int
    prediction: perf.Prediction | None
    problem: str | None  # why there is no prediction
    scales: perf.Scales | None = None  # the deployment's own calibration, if any

    @property
    def basis(self) -> str:
        p = self.prediction
        if p is None:
            return "no prediction"
        if self.scales is not None:
            return (
                f"predicted ({p.generation}), calibrated on your own bench run (step x"
                f"{self.scales.step:g}, prefill x{self.scales.prefill:g}, serving "
                f"{self.scales.serving_ms:g} ms; size --calibrate --save)"
            )
        if p.calibrated:
            return (
                f"predicted ({p.generation}: calibrated on published measurements, "
                "docs/performance-model.md)"
            )
        return (
            f"predicted ({p.generation}: NOT calibrated, a roofline upper bound; real "
            "throughput will be lower, measure it with `graviton-llm bench`)"
        )

    def document(self) -> dict[str, Any]:
        """The `performance` section of `plan --json` (docs/plan-json.md)."""
        p = self.prediction

        def num(value: float | None) -> float | None:
            return None if value is None else round(value, 2)

        return {
            "model": self.model,
            "instance_type": self.instance_type,
            "tensor_parallel_size": self.tensor_parallel_size,
            "max_num_seqs": self.max_num_seqs,
            "batch": self.batch,
            "nodes": self.nodes,
            "input_len": self.input_len,
            "output_len": self.output_len,
            "ttft_ms": num(None if p is None else p.ttft_ms),
            "tpot_ms": num(None if p is None else p.tpot_ms),
            "itl_under_load_ms": num(None if p is None else p.itl_under_load_ms),
            "e2e_ms": num(None if p is None else p.e2e_ms),
            "per_request_tokens_per_s": num(None if p is None else p.per_request_tokens_per_s),
            "output_tokens_per_s": num(None if p is None else p.output_tokens_per_s),
            "cluster_output_tokens_per_s": num(
                None if p is None else p.output_tokens_per_s * self.nodes
            ),
            "calibrated": None if p is None else p.calibrated,
            "generation": None if p is None else p.generation,
            "decode_bound": None if p is None else p.decode_bound,
            "basis": self.basis,
            "note": self.problem,
        }


def deployment_performance(
    model_id: str,
    instance_type: str,
    *,
    tensor_parallel_size: int,
    max_num_seqs: int,
    max_model_len: int,
    dtype: str = "bfloat16",
    nodes: int = 1,
    input_len: int = DEFAULT_INPUT_LEN,
    output_len: int = DEFAULT_OUTPUT_LEN,
    batch: int | None = None,
    scales: perf.Scales | None = None,
) -> DeploymentPerformance:
    """The prediction at ``batch`` running requests (default: max_num_seqs, a full node).
    Never raises for what the model cannot predict: ``problem`` says why instead."""
    running = max_num_seqs if batch is None else batch

    def result(prediction: perf.Prediction | None, problem: str | None) -> DeploymentPerformance:
        return DeploymentPerformance(
            model_id, instance_type, tensor_parallel_size, max_num_seqs, running, nodes,
            input_len, output_len, prediction, problem, scales,
        )  # fmt: skip

    weight_dtype = WEIGHT_DTYPE.get(dtype)
    if weight_dtype is None:
        return result(None, f"model.dtype {dtype}: the performance model has no {dtype} figures")
    if input_len + output_len > max_model_len:
        return result(
            None,
            f"{input_len} + {output_len} tokens exceed the stack's max_model_len "
            f"{max_model_len}: give shorter --input-len/--output-len",
        )
    try:
        prediction = perf.predict(
            model_id,
            instance_type,
            tensor_parallel_size=tensor_parallel_size,
            batch=running,
            input_len=input_len,
            output_len=output_len,
            weight_dtype=weight_dtype,
            max_num_seqs=max_num_seqs,
            scales=scales,
        )
    except perf.PerformanceInputError as error:
        return result(None, str(error))
    return result(prediction, None)


def stack_performance(
    args: ResolvedClusterArgs, input_len: int | None = None, output_len: int | None = None
) -> DeploymentPerformance:
    """A stack's cluster as `cost` and `plan` see it: every node at its max_num_seqs, requests
    of ``input_len`` / ``output_len`` tokens (None: the assumed 512 / 128), with the
    deployment's own calibration when `size --calibrate --save` wrote one."""
    from .calibration_store import scales_for

    assert args.tensor_parallel_size is not None  # filled by the args' validation
    return deployment_performance(
        args.model.id, args.instance_type, tensor_parallel_size=args.tensor_parallel_size,
        max_num_seqs=args.max_num_seqs, max_model_len=args.max_model_len,
        dtype=args.model.dtype, nodes=args.desired_capacity,
        input_len=input_len or DEFAULT_INPUT_LEN, output_len=output_len or DEFAULT_OUTPUT_LEN,
        scales=scales_for(args.model.id, args.instance_type, args.tensor_parallel_size,
                          args.max_num_seqs),
    )  # fmt: skip


def tensor_parallel_size_or_default(instance_type: str, given: int | None) -> int:
    """The degree given, else the one the args would fill in (the largest the cores allow)."""
    if given is not None:
        return given
    spec = catalog.instance_spec(instance_type)
    return 1 if spec is None else catalog.default_tensor_parallel_size(spec)


def point_prediction(
    model: str | perf.ModelShape,
    instance_type: str,
    *,
    tensor_parallel_size: int | None,
    batch: int,
    input_len: int,
    output_len: int,
    max_num_seqs: int | None = None,
    scales: perf.Scales | None = None,
) -> perf.Prediction:
    """`size --predict`: one prediction (with the deployment's saved ``scales``, if given);
    raises PerformanceInputError naming the argument."""
    return perf.predict(
        model, instance_type,
        tensor_parallel_size=tensor_parallel_size_or_default(instance_type, tensor_parallel_size),
        batch=batch, input_len=input_len, output_len=output_len, max_num_seqs=max_num_seqs,
        scales=scales,
    )  # fmt: skip


@dataclass(frozen=True)
class LoadedPrediction:
    """A fixed deployment under a traffic: ``nodes`` x ``replicas_per_node`` vLLM replicas,
    behind a balancer that spreads requests without looking at queues (the NLB; a local proxy
    between replicas on one node)."""

    model: str
    instance_type: str
    tensor_parallel_size: int
    max_num_seqs: int
    nodes: int
    replicas_per_node: int
    input_len: int
    output_len: int
    concurrent_users: int | None
    requests_per_s: float | None
    think_time_s: float
    engine: perf.Engine
    load: perf.LoadResult
    scales: perf.Scales | None = None
    calibration: Path | None = None  # the saved calibration the scales come from

    @property
    def replicas(self) -> int:
        return self.nodes * self.replicas_per_node

    def document(self) -> dict[str, Any]:
        """`size --predict --json` with a traffic (docs/size.md)."""
        load, e = self.load, self.engine

        def ms(seconds: float) -> float | None:
            return round(seconds * 1e3, 2) if seconds != float("inf") else None

        return {
            "model": self.model,
            "instance_type": self.instance_type,
            "tensor_parallel_size": self.tensor_parallel_size,
            "max_num_seqs": self.max_num_seqs,
            "nodes": self.nodes,
            "replicas_per_node": self.replicas_per_node,
            "input_len": self.input_len,
            "output_len": self.output_len,
            "concurrent_users": self.concurrent_users,
            "requests_per_s": self.requests_per_s,
            "think_time_s": self.think_time_s,
            "stable": load.stable,
            "ttft_p50_ms": ms(load.ttft_p50_s),
            "ttft_p99_ms": ms(load.ttft_p99_s),
            "ttft_mean_ms": ms(load.ttft_mean_s),
            "slot_wait_mean_ms": ms(load.slot_wait_mean_s),
            "tpot_ms": ms(load.inter_token_s),
            "e2e_ms": ms(load.e2e_s),
            "requests_per_s_served": round(load.throughput_rps, 4) if load.stable else None,
            "output_tokens_per_s": round(load.throughput_rps * self.output_len, 2)
            if load.stable
            else None,
            "running_per_replica": round(load.running, 3),
            "queued_per_replica": round(load.queued, 3) if load.stable else None,
            "no_queue": {
                "ttft_ms": ms(e.serving_s + e.prefill_s),
                "decode_step_ms": ms(e.step_s),
                "prefill_ms": ms(e.prefill_s),
                "serving_ms": ms(e.serving_s),
            },
            "calibration": {
                "applied": self.scales is not None,
                "path": None if self.calibration is None else str(self.calibration),
                "scales": None
                if self.scales is None
                else {
                    "step": self.scales.step,
                    "prefill": self.scales.prefill,
                    "serving_ms": self.scales.serving_ms,
                },
            },
        }


def loaded_prediction(
    model: str | perf.ModelShape,
    instance_type: str,
    *,
    tensor_parallel_size: int | None,
    max_num_seqs: int,
    input_len: int,
    output_len: int,
    concurrent_users: int | None = None,
    requests_per_s: float | None = None,
    think_time_s: float = 0.0,
    nodes: int = 1,
    replicas_per_node: int = 1,
    scales: perf.Scales | None = None,
    model_id: str | None = None,
    calibration: Path | None = None,
) -> LoadedPrediction:
    """`size --predict --concurrent-users N` (closed loop) or `--requests-per-s R` (Poisson):
    TTFT p50/p99, TPOT and throughput of a fixed deployment. ``model_id`` names the model as
    the user gave it (default: the shape's id); ``calibration`` the file ``scales`` come from.
    Raises ValueError naming the option when the inputs cannot be served."""
    if (concurrent_users is None) == (requests_per_s is None):
        raise ValueError("give exactly one of --concurrent-users and --requests-per-s")
    for option, value in (("--nodes", nodes), ("--replicas-per-node", replicas_per_node)):
        if value < 1:
            raise ValueError(f"{option} must be >= 1, got {value}")
    if not think_time_s >= 0:
        raise ValueError(f"--think-time-s must be >= 0 s, got {think_time_s}")
    if concurrent_users is not None and concurrent_users < 1:
        raise ValueError(f"--concurrent-users must be >= 1, got {concurrent_users}")
    if requests_per_s is not None and not requests_per_s > 0:
        raise ValueError(f"--requests-per-s must be > 0, got {requests_per_s}")
    tp = tensor_parallel_size_or_default(instance_type, tensor_parallel_size)
    spec = catalog.instance_spec(instance_type)
    cores = spec.neuron_cores if spec is not None and spec.neuron_cores else 1
    if spec is not None and spec.accelerator == "neuron" and tp * replicas_per_node > cores:
        raise ValueError(
            f"--replicas-per-node {replicas_per_node} x --tensor-parallel-size {tp} needs "
            f"{tp * replicas_per_node} NeuronCores; {instance_type} has {cores}"
        )
    engine = perf.engine(
        model, instance_type, tensor_parallel_size=tp, max_num_seqs=max_num_seqs,
        input_len=input_len, output_len=output_len, scales=scales,
    )  # fmt: skip
    replicas = nodes * replicas_per_node
    if concurrent_users is not None:
        load = perf.closed_loop(engine, concurrent_users, think_time_s, replicas=replicas)
    else:
        assert requests_per_s is not None
        load = perf.open_loop(engine, requests_per_s / replicas)
        if load.stable:
            load = replace(load, throughput_rps=requests_per_s)
    name = model_id or (model if isinstance(model, str) else model.id)
    return LoadedPrediction(
        name, instance_type, tp, max_num_seqs, nodes, replicas_per_node, input_len,
        output_len, concurrent_users, requests_per_s, think_time_s, engine, load, scales,
        calibration,
    )  # fmt: skip
