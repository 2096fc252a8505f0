"""`size --calibrate bench.json --save`: a deployment's own scales fitted from a bench run, in a
local, reviewable JSON file that later `size`, `cost` and `plan` use for that deployment.

Three numbers are fitted (perf.Scales): a multiplier on the decode step, one on the prefill, and
vLLM's serving time. They are what a team's stack changes against ours (its image, sampling,
kernels, network path); the load model is kept. The prediction is the bench's own closed loop:
its concurrency in users spread over the nodes it reached (load.py), so TTFT includes the
queueing the bench saw. The fit minimizes the squared log error over every figure the bench
gives (TTFT mean and median, TPOT mean and median, E2E, throughput), within [0.1, 10] for the
multipliers and [0.1 ms, 5 s] for the serving time. A scale that ends on a bound, and scales one
run cannot tell apart (the fit's Jacobian is nearly singular: e.g. serving time and prefill both
only lengthen TTFT when the bench gives no other figure they move differently), are said in the
file and printed: the fit still reproduces the bench, but not each scale on its own.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..facts import performance as perf
from ..facts.models import model_key
from ..facts.performance.fit import levenberg_marquardt
from ..facts.performance.parameters import generation_params
from ..safeio.json_text import to_json
from .calibrate import BenchSummary
from .deployment import loaded_prediction

FORMAT = "graviton-llm-calibration/1"
DIRECTORY_ENV = "GRAVITON_LLM_CALIBRATION_DIR"
DEFAULT_DIRECTORY = Path(".graviton-llm") / "calibration"
_LOWER = np.log([0.1, 0.1, 0.1])
_UPPER = np.log([10.0, 10.0, 5000.0])
_NAMES = ("step", "prefill", "serving_ms")
# A scale is settled by the bench when a 2 % error in each figure (ours: a bench's run-to-run
# spread) moves it by less than 10 %: its standard error from the fit's Jacobian in
# log-parameters, sd = 0.02 x sqrt(sum_k V_jk^2 / s_k^2) over the singular values s_k.
_FIGURE_ERROR = 0.02
_SETTLED = math.log(1.1)


@dataclass(frozen=True)
class Deployment:
    model: str
    instance_type: str
    tensor_parallel_size: int
    max_num_seqs: int
    nodes: int = 1  # nodes the bench reached (not part of the key)

    @property
    def key(self) -> str:
        name = re.sub(r"[^a-z0-9.]+", "-", model_key(self.model)).strip("-")
        return (
            f"{name}--{self.instance_type}--tp{self.tensor_parallel_size}--seqs{self.max_num_seqs}"
        )


def directory() -> Path:
    """Where calibrations live: $GRAVITON_LLM_CALIBRATION_DIR, else ./.graviton-llm/calibration."""
    return Path(os.environ.get(DIRECTORY_ENV) or DEFAULT_DIRECTORY)


def predicted(bench: BenchSummary, d: Deployment, scales: perf.Scales) -> dict[str, float]:
    """The bench's figures as the load model predicts them for this deployment."""
    p = loaded_prediction(
        d.model, d.instance_type, tensor_parallel_size=d.tensor_parallel_size,
        max_num_seqs=d.max_num_seqs, input_len=bench.input_len, output_len=bench.output_len,
        concurrent_users=max(1, round(bench.concurrency)), nodes=d.nodes, scales=scales,
    )  # fmt: skip
    load = p.load
    return {
        "ttft_mean": load.ttft_mean_s * 1e3,
        "ttft_median": load.ttft_p50_s * 1e3,
        "tpot_mean": load.inter_token_s * 1e3,
        "tpot_median": load.inter_token_s * 1e3,
        "e2e_mean": load.e2e_s * 1e3,
        "output_throughput": load.throughput_rps * bench.output_len,
    }


@dataclass(frozen=True)
class Fit:
    """Fitted scales and what the fit could not settle."""

    scales: perf.Scales
    at_bounds: tuple[str, ...]  # e.g. "serving_ms at its lower bound 0.1"
    unsettled: tuple[str, ...] = ()  # scales the run does not pin down on their own

    @property
    def identifiable(self) -> bool:
        return not self.unsettled

    @property
    def warnings(self) -> tuple[str, ...]:
        notes = [
            f"{bound}: the bench asks for more than the fit allows; check the deployment "
            "(model, TP, max_num_seqs, nodes) matches the bench"
            for bound in self.at_bounds
        ]
        if not self.identifiable:
            notes.append(
                f"this bench run does not settle {', '.join(self.unsettled)} on its own (a 2 % "
                "error in its figures would move each by more than 10 %: they move the figures "
                "together): the saved scales reproduce this run, not each cost apart; a run at "
                "another concurrency or prompt length separates them"
            )
        return tuple(notes)


def fit_scales(bench: BenchSummary, d: Deployment) -> Fit:
    measured = {k: v for k, v in bench.measured.items() if v is not None and v > 0}
    if len(measured) < 2:
        raise ValueError("bench result: at least two of TTFT, TPOT, E2E and throughput are needed")
    names = sorted(measured)

    def scales_of(theta: np.ndarray) -> perf.Scales:
        step, prefill, serving = np.exp(theta)
        return perf.Scales(float(step), float(prefill), float(serving))

    def residuals(theta: np.ndarray) -> np.ndarray:
        values = predicted(bench, d, scales_of(theta))
        return np.array([math.log(values[n] / measured[n]) for n in names])

    generation = perf.hardware(d.instance_type).generation
    start = np.log([1.0, 1.0, generation_params(generation).serving_overhead_ms or 1.0])
    theta, _ = levenberg_marquardt(residuals, np.clip(start, _LOWER, _UPPER), _LOWER, _UPPER)
    fitted = scales_of(theta)
    bounds = []
    for name, value, low, high in zip(_NAMES, theta, _LOWER, _UPPER, strict=True):
        for side, edge in (("lower", low), ("upper", high)):
            if abs(value - edge) < 1e-6:
                bounds.append(f"{name} at its {side} bound {math.exp(edge):g}")
    base = residuals(theta)
    jacobian = np.empty((len(base), len(theta)))
    for j in range(len(theta)):
        delta = np.zeros_like(theta)
        delta[j] = 1e-4
        jacobian[:, j] = (residuals(theta + delta) - base) / 1e-4
    _, singular, v_t = np.linalg.svd(jacobian, full_matrices=True)
    inverse = np.zeros(len(theta))
    inverse[: len(singular)] = [1 / x**2 if x > 1e-12 else math.inf for x in singular]
    with np.errstate(invalid="ignore"):
        spread = _FIGURE_ERROR * np.sqrt((v_t.T**2 * inverse).sum(axis=1))
    unsettled = tuple(n for n, sd in zip(_NAMES, spread, strict=True) if not sd < _SETTLED)
    scales = perf.Scales(
        round(fitted.step, 4), round(fitted.prefill, 4), round(fitted.serving_ms or 0.0, 2)
    )
    return Fit(scales, tuple(bounds), unsettled)


def calibration_file(bench: BenchSummary, d: Deployment, fit: Fit) -> dict[str, Any]:
    scales = fit.scales
    before, after = predicted(bench, d, perf.Scales()), predicted(bench, d, scales)
    return {
        "format": FORMAT,
        "deployment": {
            "model": d.model,
            "instance_type": d.instance_type,
            "tensor_parallel_size": d.tensor_parallel_size,
            "max_num_seqs": d.max_num_seqs,
        },
        "scales": {"step": scales.step, "prefill": scales.prefill, "serving_ms": scales.serving_ms},
        "fit": {
            "at_bounds": list(fit.at_bounds),
            "unsettled": list(fit.unsettled),
            "warnings": list(fit.warnings),
        },
        "bench": {
            "source": bench.source,
            "completed": bench.completed,
            "input_len": bench.input_len,
            "output_len": bench.output_len,
            "concurrency": round(bench.concurrency, 3),
            "nodes": d.nodes,
        },
        "rows": [
            {
                "figure": name,
                "measured": round(value, 3),
                "predicted_before": round(before[name], 3),
                "predicted_after": round(after[name], 3),
            }
            for name, value in sorted(bench.measured.items())
            if value is not None and value > 0
        ],
    }


def save(document: dict[str, Any], d: Deployment, where: Path | None = None) -> Path:
    """Write the calibration (a temporary file renamed over it); returns its path."""
    folder = where or directory()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{d.key}.json"
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(to_json(document), encoding="utf-8")
    os.replace(temporary, path)
    return path


def scales_for(
    model: str, instance_type: str, tensor_parallel_size: int, max_num_seqs: int,
    where: Path | None = None,
) -> perf.Scales | None:  # fmt: skip
    """The saved scales of this deployment, or None when there are none."""
    saved = saved_calibration(model, instance_type, tensor_parallel_size, max_num_seqs, where)
    return None if saved is None else saved[1]


def saved_calibration(
    model: str, instance_type: str, tensor_parallel_size: int, max_num_seqs: int,
    where: Path | None = None,
) -> tuple[Path, perf.Scales] | None:  # fmt: skip
    """The saved calibration of this deployment (its file and scales), or None when there is
    none. A file that is not a calibration is refused (ValueError naming it), not ignored."""
    path = (
        where or directory()
    ) / f"{Deployment(model, instance_type, tensor_parallel_size, max_num_seqs).key}.json"
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        scales = document["scales"]
        if document.get("format") != FORMAT:
            raise ValueError(f"format is {document.get('format')!r}, not {FORMAT!r}")
        result = perf.Scales(
            float(scales["step"]), float(scales["prefill"]), float(scales["serving_ms"])
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"calibration {path}: unreadable ({error}); fix or delete it") from None
    if not all(
        math.isfinite(v) and v > 0 for v in (result.step, result.prefill, result.serving_ms or 1)
    ):
        raise ValueError(f"calibration {path}: scales must be positive numbers; fix or delete it")
    return path, result
