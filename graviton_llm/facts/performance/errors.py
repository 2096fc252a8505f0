"""The error report: each published figure against the model's prediction of it, median absolute
error per set, family and metric, and the self-consistency check that excludes rows."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .fit import cases, predict_rows, stacked
from .loaded import predict_queued
from .measurements import FAMILIES, Measurement
from .parameters import COHORT, GenerationParams, generation_params


@dataclass(frozen=True)
class Comparison:
    measurement: Measurement
    predicted: float

    @property
    def error(self) -> float:
        """Signed relative error of the prediction."""
        return self.predicted / self.measurement.value - 1


def compare(
    rows: list[Measurement],
    params: dict[str, GenerationParams] | None = None,
    cohort: float = COHORT,
) -> list[Comparison]:
    """The model's prediction of every non-excluded row: queued ones through the load model
    (loaded.py), the others through the closed-loop or static-batch equations."""
    out = []
    for c in cases(rows):
        p = (params or {}).get(c.generation) or generation_params(c.generation)
        if c.measurement.queued:
            value = predict_queued(p.as_vector(), c, cohort)
        else:
            feats, x = stacked([c])
            value = float(predict_rows(p.as_vector(), feats, x)[0])
        out.append(Comparison(c.measurement, value))
    return out


METRIC_GROUPS = {
    "TPOT": ("tpot_ms",),
    "aggregate tok/s": ("output_tokens_per_s_aggregate",),
    "TTFT": ("ttft_ms",),
    "TTFT under load": ("ttft_ms",),
    "per-request tok/s": ("output_tokens_per_s_per_request",),
}


def metric_group(m: Measurement) -> str:
    """The error table's row for a figure: TTFT alone (one request at a time, or a static
    batch) apart from TTFT with a queue (more users than one, or Poisson arrivals)."""
    if m.metric == "ttft_ms":
        return "TTFT under load" if m.queued else "TTFT"
    return next(label for label, metrics in METRIC_GROUPS.items() if m.metric in metrics)


def error_table(comparisons: list[Comparison]) -> list[tuple[str, str, str, int, float | None]]:
    """(set, family, metric group, rows, median |error|) for every combination."""
    table = []
    for set_ in ("fit", "validation"):
        for family in FAMILIES:
            for label in METRIC_GROUPS:
                errors = [
                    abs(c.error)
                    for c in comparisons
                    if c.measurement.set == set_
                    and c.measurement.family == family
                    and metric_group(c.measurement) == label
                ]
                median = float(np.median(errors)) if errors else None
                table.append((set_, family, label, len(errors), median))
    return table


def consistency_ratio(rows: list[Measurement], row: Measurement) -> float | None:
    """For an aggregate throughput of a static batch: its value over what its own TTFT and TPOT
    give, B x O / (TTFT + (O - 1) x TPOT). None when the page has no such siblings."""
    if row.metric != "output_tokens_per_s_aggregate" or row.scheduling != "static":
        return None
    siblings = {
        r.metric: r.value
        for r in rows
        if (r.model, r.instance_type, r.tp, r.batch, r.input_len, r.output_len, r.source_url)
        == (
            row.model,
            row.instance_type,
            row.tp,
            row.batch,
            row.input_len,
            row.output_len,
            row.source_url,
        )
    }
    if "ttft_ms" not in siblings or "tpot_ms" not in siblings:
        return None
    assert row.batch and row.output_len
    implied = (
        row.batch
        * row.output_len
        / ((siblings["ttft_ms"] + (row.output_len - 1) * siblings["tpot_ms"]) / 1e3)
    )
    return row.value / implied


def median_of(values: list[float]) -> float:
    return float(np.median(values)) if values else math.nan
