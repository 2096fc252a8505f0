"""How far an option is from published data: ``measured`` (a published figure on the same
family, TP degree and max_num_seqs with a model of the same size), ``interpolated`` (inside the
range the data spans on that hardware generation, on every axis) or ``extrapolated`` (outside it
on some axis, by the distance given). `size` keeps extrapolated options out of the ranking
unless asked (--include-extrapolated): the fit never saw anything like them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Literal

from ..facts import performance as perf
from ..facts.performance.measurements import load_measurements
from ..facts.performance.shapes import model_shape

Kind = Literal["measured", "interpolated", "extrapolated"]
SAME_SIZE = 0.10  # models within 10 % in parameters count as the same size


@dataclass(frozen=True)
class Coverage:
    kind: Kind
    detail: str


@dataclass(frozen=True)
class _Point:
    family: str
    tp: int
    seqs: int
    params: float


@cache
def _points(generation: str) -> tuple[_Point, ...]:
    points = set()
    for m in load_measurements():
        if m.set == "excluded":
            continue
        shape = model_shape(m.model)
        seqs = m.max_num_seqs or m.batch
        if shape is None or seqs is None:
            continue
        if _generation(m.family) == generation:
            points.add(_Point(m.family, m.tp, seqs, float(shape.params)))
    return tuple(sorted(points, key=lambda p: (p.family, p.tp, p.seqs, p.params)))


def _generation(family: str) -> str:
    return "neuron-v3" if family == "trn2" else "neuron-v2" if family in ("inf2", "trn1") else ""


def _outside(value: float, low: float, high: float) -> float:
    """log2 distance of ``value`` outside [low, high] (0 inside)."""
    if value < low:
        return math.log2(low / value)
    if value > high:
        return math.log2(value / high)
    return 0.0


def coverage(instance_type: str, tp: int, seqs: int, params: float) -> Coverage:
    hw = perf.hardware(instance_type)
    family = instance_type.split(".")[0].removesuffix("n")
    points = _points(hw.generation)
    if not points:
        return Coverage("extrapolated", f"no published figure on {hw.generation}")
    for p in points:
        if (p.family, p.tp, p.seqs) == (family, tp, seqs) and abs(
            p.params / params - 1
        ) <= SAME_SIZE:
            return Coverage("measured", f"published: {family} TP {tp}, max_num_seqs {seqs}")
    axes = {
        "TP degree": (tp, min(p.tp for p in points), max(p.tp for p in points)),
        "max_num_seqs": (seqs, min(p.seqs for p in points), max(p.seqs for p in points)),
        "model size": (params, min(p.params for p in points), max(p.params for p in points)),
    }
    outside = {name: _outside(value, low, high) for name, (value, low, high) in axes.items()}
    far = {name: d for name, d in outside.items() if d > math.log2(1 + SAME_SIZE)}
    if not far:
        return Coverage("interpolated", f"inside the {hw.generation} data on every axis")
    parts = []
    for name, distance in far.items():
        value, low, high = axes[name]
        parts.append(
            f"{name} {_shown(name, value)} outside the published {_shown(name, low)}-"
            f"{_shown(name, high)} "
            f"({distance:.1f} doublings)"
        )
    return Coverage("extrapolated", "; ".join(parts))


def _shown(axis: str, value: float) -> str:
    return f"{value / 1e9:.0f}B" if axis == "model size" else f"{value:g}"
