"""The price API: an instance type's $/h in a region, On-Demand or (where that is all a source
gives) its Capacity Block rate, with source and date (graviton_llm/facts/prices.py holds the
snapshot). One lookup for `size`, `cost` and the whole-stack cost: ``hourly(instance_type,
region)`` is the price to rank by, None where the snapshot has none; ``priced_regions`` says
where it has one; ``refreshed`` and ``snapshot_text`` are what scripts/refresh_prices.py writes.
"""

from __future__ import annotations

from ..facts.prices import (
    LABELS,
    PurchaseOption,
    RegionalPrice,
    capacity_block,
    hourly,
    on_demand,
    priced_regions,
    prices_from_offer_file,
    read_snapshot_text,
    refreshed,
    snapshot,
    snapshot_text,
)

__all__ = [
    "LABELS",
    "PurchaseOption",
    "RegionalPrice",
    "capacity_block",
    "hourly",
    "on_demand",
    "priced_regions",
    "prices_from_offer_file",
    "read_snapshot_text",
    "refreshed",
    "snapshot",
    "snapshot_text",
]
