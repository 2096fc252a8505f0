"""The price API: an instance type's on-demand $/h in a region, with its source and date
(graviton_llm/facts/prices.py holds the snapshot). One lookup for `size`, `cost` and the
whole-stack cost: ``on_demand(instance_type, region)`` is None where the snapshot has no price,
and ``priced_regions`` says where it has one."""

from __future__ import annotations

from ..facts.prices import (
    RegionalPrice,
    on_demand,
    priced_regions,
    prices_from_offer_file,
    snapshot,
)

__all__ = ["RegionalPrice", "on_demand", "priced_regions", "prices_from_offer_file", "snapshot"]
