"""Benchmark (not a test): fit the performance model and report its error on published figures.

    .venv/bin/python benchmarks/bench_performance_model.py [--rows]

Fits the parameters on the ``fit`` rows of
graviton_llm/facts/performance/data/performance_measurements.csv (performance.fit.fit), prints
them beside the constants stored in graviton_llm/facts/performance/parameters.py, then the
median absolute percentage error of the stored model on the fit and on the validation rows, per
family (inf2, trn1, trn2, graviton) and metric. ``--rows`` also prints every compared row.
Target: median |error| <= 25 % on the validation rows for TPOT and aggregate throughput on
inf2/trn1.
"""

from __future__ import annotations

import argparse
import collections
import time

from graviton_llm.facts.performance import errors, fit, measurements, parameters

TARGET = 0.25


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", action="store_true", help="print every compared row")
    args = parser.parse_args()

    rows = measurements.load_measurements()
    counts = collections.Counter(r.set for r in rows)
    print(f"rows: {len(rows)} ({', '.join(f'{s} {counts[s]}' for s in measurements.SETS)})")
    by_source = collections.Counter((r.id.split("-")[0], r.set) for r in rows)
    for source in sorted({k[0] for k in by_source}):
        parts = ", ".join(
            f"{s} {by_source[(source, s)]}" for s in measurements.SETS if by_source[(source, s)]
        )
        print(f"  {source:5} {parts}")

    start = time.perf_counter()
    fitted = fit.fit(rows)
    print(f"\nfit: {time.perf_counter() - start:.2f} s")
    for generation, params in fitted.items():
        stored = parameters.FITTED.get(generation)
        print(f"{generation}: {params.provenance}")
        for name, value in zip(parameters.PARAMETER_NAMES, params.as_vector(), strict=True):
            note = ""
            if stored is not None and getattr(stored, name) != value:
                note = f"   (stored {getattr(stored, name):.4g})"
            print(f"  {name:32} {value:.4g}{note}")
    print("graviton4: no fit rows; roofline bound (every efficiency 1, no overhead)")

    comparisons = errors.compare(rows)  # the stored constants, as the package uses them
    print("\nmedian |predicted / measured - 1| of the stored model (rows)")
    print(f"{'family':9} {'metric':18} {'fit':>14} {'validation':>14}")
    table = {(s, f, m): (n, e) for s, f, m, n, e in errors.error_table(comparisons)}
    for family in measurements.FAMILIES:
        for metric in errors.METRIC_GROUPS:
            cells = []
            for set_ in ("fit", "validation"):
                n, e = table[(set_, family, metric)]
                cells.append(f"{e:6.1%} ({n:3d})" if n else f"{'-':>6} ({n:3d})")
            if any(table[(s, family, metric)][0] for s in ("fit", "validation")):
                print(f"{family:9} {metric:18} {cells[0]:>14} {cells[1]:>14}")
    print("graviton  (no row in fit or validation)")

    print(f"\ntarget: median |error| <= {TARGET:.0%} on validation, TPOT and aggregate, inf2/trn1")
    for family in ("inf2", "trn1"):
        for metric in ("TPOT", "aggregate tok/s"):
            n, e = table[("validation", family, metric)]
            verdict = "met" if e is not None and e <= TARGET else "NOT met"
            print(f"  {family} {metric:16} {e:6.1%} over {n} rows: {verdict}")
    pooled = [
        abs(c.error)
        for c in comparisons
        if c.measurement.set == "validation"
        and c.measurement.family in ("inf2", "trn1")
        and c.measurement.metric in ("tpot_ms", "output_tokens_per_s_aggregate")
    ]
    pooled_error = errors.median_of(pooled)
    print(f"  inf2+trn1 TPOT and aggregate pooled: {pooled_error:.1%} over {len(pooled)}")

    validation = sorted(
        (c for c in comparisons if c.measurement.set == "validation"), key=lambda c: -abs(c.error)
    )
    print("\nlargest validation errors")
    for c in validation[:8]:
        print("  " + describe(c))
    if args.rows:
        print("\nall compared rows")
        for c in comparisons:
            print(f"  {c.measurement.set:10} " + describe(c))


def describe(c: errors.Comparison) -> str:
    m = c.measurement
    return (
        f"{m.id:17} {m.model.split('/')[-1][:22]:22} {m.instance_type:13} tp{m.tp:<2} "
        f"B{m.batch:<2} I{m.input_len:<5} O{m.output_len:<4} {m.metric:30} "
        f"{m.value:9.2f} -> {c.predicted:9.2f} ({c.error:+.0%})"
    )


if __name__ == "__main__":
    main()
