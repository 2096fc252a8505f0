"""When each request of an open-loop run is sent: Poisson or gamma arrivals at a nominal rate.

Same process as ``vllm bench serve --request-rate R --burstiness B`` (vLLM
vllm/benchmarks/serve.py ``get_request``): gaps are gamma-distributed with shape ``B`` and mean
``1/R`` (``B = 1`` is a Poisson process; below 1 burstier, above 1 more regular, ``inf`` a fixed
interval), the first request waits one gap like the others, and the cumulative offsets are
rescaled so the last one falls exactly at ``count / R``. Without that rescaling a seed's
schedule offers its own random rate (17.6 to 23.8 req/s over 20 seeds of 200 arrivals at a
nominal 20): a run would measure the seed as much as the server.
"""

from __future__ import annotations

import math

import numpy as np


def arrival_offsets(count: int, rate: float, burstiness: float, seed: int) -> list[float]:
    """Send offsets in seconds from the start, for ``count`` requests at ``rate`` req/s."""
    if count < 1:
        raise ValueError(f"count {count}: must be >= 1")
    if not rate > 0:
        raise ValueError(f"request rate {rate}: must be > 0")
    if not burstiness > 0:
        raise ValueError(f"burstiness {burstiness}: must be > 0")
    if math.isinf(rate):
        return [0.0] * count
    if math.isinf(burstiness):
        gaps = np.full(count, 1.0 / rate)
    else:
        rng = np.random.default_rng(seed)
        gaps = rng.gamma(shape=burstiness, scale=1.0 / (rate * burstiness), size=count)
    offsets = np.cumsum(gaps)
    if not 0 < offsets[-1] < math.inf:  # a shape so small every gap underflowed to 0
        raise ValueError(f"burstiness {burstiness}: too small to draw arrival gaps from")
    offsets *= (count / rate) / offsets[-1]
    spaced: list[float] = offsets.tolist()
    return spaced


def arrivals_for(
    rate: float, burstiness: float, seed: int, num_requests: int | None, duration_s: float | None
) -> list[float]:
    """The run's schedule: ``num_requests`` arrivals, or as many as ``duration_s`` holds at the
    rate (the run's deadline stops the schedule where it runs past)."""
    if num_requests is not None:
        count = num_requests
    elif duration_s is not None and not math.isinf(rate):
        count = max(1, math.floor(rate * duration_s))
    else:
        raise ValueError("an open-loop schedule needs num_requests, or duration_s at a finite rate")
    return arrival_offsets(count, rate, burstiness, seed)
