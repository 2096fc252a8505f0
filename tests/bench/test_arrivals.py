"""Open-loop schedules offer the nominal rate, with vLLM's gamma burstiness (issue 16, item 3)."""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pytest

from graviton_llm.bench.arrivals import arrival_offsets, arrivals_for


@pytest.mark.parametrize("seed", range(20))
def test_every_seed_offers_exactly_the_nominal_rate(seed):
    # Unscaled exponential gaps (the old schedule) offered 17.6 to 23.8 req/s over these seeds.
    offsets = arrival_offsets(200, 20.0, 1.0, seed)
    assert len(offsets) / offsets[-1] == pytest.approx(20.0, rel=1e-12)
    assert offsets[0] > 0 and all(b >= a for a, b in itertools.pairwise(offsets))


@pytest.mark.parametrize("burstiness", [0.25, 1.0, 4.0])
def test_burstiness_sets_the_spread_of_the_gaps_as_a_gamma_shape(burstiness):
    # A gamma gap of shape k has coefficient of variation 1/sqrt(k): Poisson (k=1) has gaps
    # as spread as their mean; burstier (k<1) more, steadier (k>1) less.
    offsets = arrival_offsets(20_000, 50.0, burstiness, seed=1)
    gaps = np.diff([0.0, *offsets])
    assert gaps.mean() == pytest.approx(1 / 50, rel=1e-9)
    assert gaps.std() / gaps.mean() == pytest.approx(1 / math.sqrt(burstiness), rel=0.05)


def test_infinite_burstiness_is_a_fixed_interval_and_infinite_rate_all_at_once():
    assert arrival_offsets(4, 10.0, math.inf, 0) == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert arrival_offsets(3, math.inf, 1.0, 0) == [0.0, 0.0, 0.0]


def test_schedules_are_reproducible_from_the_seed():
    assert arrival_offsets(50, 8.0, 1.0, 7) == arrival_offsets(50, 8.0, 1.0, 7)
    assert arrival_offsets(50, 8.0, 1.0, 7) != arrival_offsets(50, 8.0, 1.0, 8)


def test_a_duration_schedule_holds_rate_times_duration_arrivals():
    offsets = arrivals_for(12.5, 1.0, seed=0, num_requests=None, duration_s=4.0)
    assert len(offsets) == 50 and offsets[-1] == pytest.approx(4.0)
    assert statistics.fmean([len(arrivals_for(3.0, 1.0, s, 9, 100.0)) for s in range(3)]) == 9


@pytest.mark.parametrize(
    ("args", "words"),
    [((0, 1.0, 1.0, 0), "count"), ((3, 0.0, 1.0, 0), "rate"), ((3, 1.0, 0.0, 0), "burstiness")],
)
def test_impossible_schedules_are_refused(args, words):
    with pytest.raises(ValueError, match=words):
        arrival_offsets(*args)
