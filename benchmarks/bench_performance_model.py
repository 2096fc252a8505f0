"""Benchmark (not a test): fit the performance model and report its error on published figures.

    .venv/bin/python benchmarks/bench_performance_model.py [--rows]

Fits the device parameters on the ``fit`` rows of
graviton_llm/facts/performance/data/performance_measurements.csv (performance.fit.fit) and the
load model's cohort fraction on the fit set's loaded figures (performance.loaded.fit_cohort),
prints them beside the constants stored in parameters.py, then the median absolute percentage
error on the ``validation`` rows (pages the fit never saw) by metric, for three models:

* roofline: every efficiency 1, no overhead, no cohort; the same scenarios (closed loop, static
  batch, load model), so only the fitted figures are missing;
* before: the constants and the queue model of commit 401faa5 (issue 23's starting point): a
  TTFT under load is a request's own prefill plus an M/D/1 wait for the prefill engine (and,
  for Poisson arrivals, an M/M/c wait for a slot); users beyond the slots do not exist;
* after: the stored constants with the load model (facts/performance/load.py).

Goals (issue 23): median |error| on validation <= 25 % for TTFT, aggregate and per-request
throughput, <= 15 % for TPOT, <= 35 % for TTFT under load. ``--rows`` prints every row.
"""

from __future__ import annotations

import argparse
import collections
import math
import time

import numpy as np

from graviton_llm.facts.performance import errors, fit, loaded, measurements, parameters
from graviton_llm.facts.performance.fit import predict_rows, stacked
from graviton_llm.facts.performance.parameters import GenerationParams

GOALS = {"TTFT": 0.25, "aggregate tok/s": 0.25, "per-request tok/s": 0.25, "TPOT": 0.15,
         "TTFT under load": 0.35}  # fmt: skip

# The constants of commit 401faa5 (parameters.py before issue 23).
BEFORE = {
    "neuron-v2": GenerationParams(0.5763, 0.003072, 0.248, 0.01539, 2.521, 1e-05, 0.01462, 13.58,
                                  62.38, True, "401faa5"),
    "neuron-v3": GenerationParams(0.4112, 1.0, 0.2948, 0.2948, 2.521, 1e-05, 0.01462, 13.58,
                                  11.69, True, "401faa5"),
}  # fmt: skip
ROOFLINE = {g: parameters.ROOFLINE_ONLY for g in ("neuron-v2", "neuron-v3")}


def _erlang_c(servers: int, offered: float) -> float:
    if offered >= servers:
        return 1.0
    k = np.arange(servers + 1)
    log_terms = k * math.log(offered) - np.concatenate(([0.0], np.cumsum(np.log(k[1:]))))
    blocking = float(
        np.exp(log_terms[-1] - log_terms.max()) / np.exp(log_terms - log_terms.max()).sum()
    )
    return servers * blocking / (servers - offered * (1 - blocking))


def before_queued(case: fit._Case) -> float:
    """What the code before issue 23 predicted for a figure under load (its sizing's waits)."""
    m, p = case.measurement, BEFORE[case.generation].as_vector()
    engine = loaded.engine_of(p, case, cohort=0.0)
    running = min((m.users or 1) / m.replicas, engine.slots)
    cycle = engine.cycle(max(1, round(running)))
    arrivals = (m.request_rate / m.replicas) if m.request_rate else running / cycle
    if m.metric == "tpot_ms":
        n = engine.slots if m.request_rate else running  # sized at a full node
        return (engine.step_s + (n - 1) * engine.prefill_s / max(engine.output_len - 1, 1)) * 1e3
    rho = arrivals * engine.prefill_s
    prefill_wait = math.inf if rho >= 1 else rho * engine.prefill_s / (2 * (1 - rho))
    slot_wait = 0.0
    if m.request_rate:  # M/M/c on the slots, service = a full node's cycle
        full = engine.cycle(engine.slots)
        offered = arrivals * full
        c = engine.slots
        slot_wait = math.inf if offered >= c else _erlang_c(c, offered) * full / (c - offered)
    return (engine.serving_s + engine.prefill_s + prefill_wait + slot_wait) * 1e3


def compare(rows, model: str) -> list[errors.Comparison]:
    if model == "after":
        return errors.compare(rows)
    if model == "roofline":
        return errors.compare(rows, ROOFLINE, cohort=0.0)
    out = []
    for c in fit.cases(rows):
        if c.measurement.queued:
            value = before_queued(c)
        else:
            feats, x = stacked([c])
            value = float(predict_rows(BEFORE[c.generation].as_vector(), feats, x)[0])
        out.append(errors.Comparison(c.measurement, value))
    return out


def medians(comparisons, keep=lambda m: True) -> dict[str, tuple[int, float]]:
    groups = collections.defaultdict(list)
    for c in comparisons:
        m = c.measurement
        if m.set == "validation" and m.family in ("inf2", "trn1", "trn2") and keep(m):
            error = abs(c.error) if math.isfinite(c.predicted) else math.inf
            groups[errors.metric_group(m)].append(error)
    return {k: (len(v), float(np.median(v))) for k, v in groups.items()}


def table(title: str, keep=lambda m: True) -> None:
    rows = measurements.load_measurements()
    results = {name: medians(compare(rows, name), keep) for name in ("roofline", "before", "after")}
    print(f"\n{title}")
    print(f"{'metric':18} {'rows':>5} {'roofline':>9} {'before':>8} {'after':>8} {'goal':>6}")
    for metric in errors.METRIC_GROUPS:
        if metric not in results["after"]:
            continue
        n = results["after"][metric][0]
        cells = [f"{results[k][metric][1]:8.1%}" for k in ("roofline", "before", "after")]
        verdict = "met" if results["after"][metric][1] <= GOALS[metric] else "NOT met"
        print(f"{metric:18} {n:5d} {cells[0]:>9} {cells[1]:>8} {cells[2]:>8} "
              f"{GOALS[metric]:5.0%} {verdict}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", action="store_true", help="print every compared row")
    args = parser.parse_args()
    rows = measurements.load_measurements()
    counts = collections.Counter(r.set for r in rows)
    print(f"rows: {len(rows)} ({', '.join(f'{s} {counts[s]}' for s in measurements.SETS)})")
    sources = collections.defaultdict(collections.Counter)
    for r in rows:
        sources[r.set][(r.source_url.rsplit("/", 1)[-1], r.source_date)] += 1
    print(f"validation sources ({len(sources['validation'])}, none with a fit row):")
    for (name, date), n in sorted(sources["validation"].items(), key=lambda x: x[0][1]):
        print(f"  {date}  {name:45} {n:3d} rows")

    start = time.perf_counter()
    fitted = fit.fit(rows)
    group = [(fitted[c.generation].as_vector(), c)
             for c in fit.cases([r for r in rows if r.set == "fit" and r.queued])]  # fmt: skip
    cohort = loaded.fit_cohort(group)
    print(f"\nfit: {time.perf_counter() - start:.2f} s")
    for generation, params in fitted.items():
        stored = parameters.FITTED[generation]
        print(f"{generation}: {params.provenance}")
        for name, value in zip(parameters.PARAMETER_NAMES, params.as_vector(), strict=True):
            note = (
                "" if getattr(stored, name) == value else f"   (stored {getattr(stored, name):.4g})"
            )
            print(f"  {name:32} {value:.4g}{note}")
    note = "" if cohort == parameters.COHORT else f"   (stored {parameters.COHORT})"
    print(f"load model cohort fraction          {cohort:g}{note}")

    table("median |predicted / measured - 1| on validation pages, Neuron (rows)")
    table("the same, vLLM-stack pages only", lambda m: "vLLM" in m.software)
    table("the same, TGI pages only (a stack we do not deploy)", lambda m: "TGI" in m.software)
    if args.rows:
        print("\nvalidation rows: measured, roofline / before / after")
        by_model = {name: compare(rows, name) for name in ("roofline", "before", "after")}
        for i, c in enumerate(by_model["after"]):
            m = c.measurement
            if m.set != "validation":
                continue
            values = " / ".join(f"{by_model[k][i].predicted:9.1f}" for k in by_model)
            print(f"  {m.id:22} {errors.metric_group(m):17} {m.value:9.1f}  {values}")


if __name__ == "__main__":
    main()
