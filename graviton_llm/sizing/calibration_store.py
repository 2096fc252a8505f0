"""`size --calibrate bench.json --save`: a deployment's own scales fitted from a bench run, in a
local, reviewable JSON file that later `size`, `cost` and `plan` use for that deployment.

Three numbers are fitted (perf.Scales): a multiplier on the decode step, one on the prefill, and
vLLM's serving time. They are what a team's stack changes against ours (its image, sampling,
kernels, network path); the load model is kept. The prediction is the bench's own closed loop:
its concurrency in users spread over the nodes it reached (load.py), so TTFT includes the
queueing the bench saw. The fit minimizes the squared log error over every figure the bench
gives (TTFT mean and median, TPOT mean and median, E2E, throughput), within [0.1, 10] for the
multipliers and [0.1 ms, 5 s] for the serving time.
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
from .calibrate import BenchSummary
from .deployment import loaded_prediction

FORMAT = "graviton-llm-calibration/1"
DIRECTORY_ENV = "GRAVITON_LLM_CALIBRATION_DIR"
DEFAULT_DIRECTORY = Path(".graviton-llm") / "calibration"
_LOWER = np.log([0.1, 0.1, 0.1])
_UPPER = np.log([10.0, 10.0, 5000.0])


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


def fit_scales(bench: BenchSummary, d: Deployment) -> perf.Scales:
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
    return perf.Scales(
        round(fitted.step, 4), round(fitted.prefill, 4), round(fitted.serving_ms or 0.0, 2)
    )


def calibration_file(bench: BenchSummary, d: Deployment, scales: perf.Scales) -> dict[str, Any]:
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
    temporary.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


def scales_for(
    model: str, instance_type: str, tensor_parallel_size: int | None, max_num_seqs: int | None,
    where: Path | None = None,
) -> perf.Scales | None:  # fmt: skip
    """The saved scales of this deployment, or None when there are none. A file that is not a
    calibration is refused (ValueError naming it), not ignored."""
    if tensor_parallel_size is None or max_num_seqs is None:
        return None
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
    return result
