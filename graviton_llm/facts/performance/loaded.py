"""Published figures measured under load, predicted with the load model (load.py): a replica's
engine from the fitted device parameters, then its closed or open loop. The one parameter of the
load model itself, the cohort fraction, is fitted here on the fit set's loaded TTFTs, after and
apart from the device parameters (fit.py), which never see a queued figure."""

from __future__ import annotations

import math

import numpy as np

from .fit import _Case
from .load import Engine, LoadResult, closed_loop, open_loop
from .roofline import prefill_seconds, serving_seconds, step_seconds


def engine_of(params: np.ndarray, case: _Case, cohort: float) -> Engine:
    """One replica of a measured deployment (its compiled ``max_num_seqs`` slots)."""
    m, f = case.measurement, case.features
    return Engine(
        slots=m.max_num_seqs or m.batch or 1,
        serving_s=float(serving_seconds(params)),
        prefill_s=float(prefill_seconds(params, f)),
        step_s=float(step_seconds(params, f)),
        output_len=int(case.output_len),
        cohort=cohort,
    )


def load_of(params: np.ndarray, case: _Case, cohort: float) -> LoadResult:
    m = case.measurement
    engine = engine_of(params, case, cohort)
    if m.request_rate is not None:
        return open_loop(engine, m.request_rate / m.replicas)
    assert m.users is not None, m.id
    return closed_loop(engine, m.users, replicas=m.replicas)


def predict_queued(params: np.ndarray, case: _Case, cohort: float) -> float:
    """The row's metric under its load: TTFT (mean or median, as published) in ms, or the
    inter-token latency under Poisson arrivals."""
    m = case.measurement
    result = load_of(params, case, cohort)
    if m.metric == "ttft_ms":
        value = result.ttft_p50_s if m.statistic == "p50" else result.ttft_mean_s
        return value * 1e3
    if m.metric == "tpot_ms":
        return result.inter_token_s * 1e3
    raise ValueError(f"{m.id}: no load prediction for {m.metric}")


def fit_cohort(group: list[tuple[np.ndarray, _Case]]) -> float:
    """The cohort fraction in [0, 1] (steps of 0.005) minimizing the squared log error of the
    fit set's loaded TTFTs and inter-token latencies; deterministic (a grid, not a search)."""
    ttfts = list(group)
    if not any(c.measurement.metric == "ttft_ms" for _, c in ttfts):
        raise ValueError("no loaded TTFT in the fit set: the cohort fraction cannot be fitted")
    best, best_cost = 0.0, math.inf
    for cohort in np.arange(0.0, 1.0001, 0.005):
        cost = sum(
            math.log(predict_queued(p, c, float(cohort)) / c.measurement.value) ** 2
            for p, c in ttfts
        )
        if cost < best_cost - 1e-12:
            best, best_cost = float(cohort), cost
    return round(best, 3)
