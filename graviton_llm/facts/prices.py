"""On-demand prices per instance type and region: one dated snapshot (data/on_demand_prices.csv),
each row with its source and date, and a reader for the AWS Price List bulk API offer file so
the snapshot can be refreshed from AWS's own data.

A type is priced only where a source gives its price: no region inherits another's price (they
differ by up to 70 %: inf2.48xlarge is $12.98/h in us-east-1 and $22.07/h in sa-east-1). Where
a type is sold but the snapshot has no price, callers say so instead of guessing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

DATA_FILE = "on_demand_prices.csv"
COLUMNS = ("instance_type", "region", "usd_per_hour", "source", "source_date")


@dataclass(frozen=True)
class RegionalPrice:
    """Linux, shared tenancy, on-demand $/h of one instance type in one region."""

    instance_type: str
    region: str
    usd_per_hour: float
    source: str
    source_date: str  # ISO date the source's figures were taken


def parse_rows(rows: Iterable[Mapping[str, str]], where: str) -> tuple[RegionalPrice, ...]:
    """Rows of the snapshot's columns; a duplicate (type, region) or a price <= 0 is refused."""
    seen: set[tuple[str, str]] = set()
    prices = []
    for number, row in enumerate(rows, start=2):
        key = (row["instance_type"], row["region"])
        price = float(row["usd_per_hour"])
        if key in seen or not price > 0 or not row["source"] or not row["source_date"]:
            raise ValueError(f"{where} line {number}: duplicate, non-positive or unsourced {key}")
        seen.add(key)
        prices.append(RegionalPrice(*key, price, row["source"], row["source_date"]))
    return tuple(prices)


@cache
def snapshot() -> tuple[RegionalPrice, ...]:
    """Every price the package knows, as shipped."""
    text = resources.files(__package__).joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"{DATA_FILE}: columns {reader.fieldnames} != {COLUMNS}")
    return parse_rows(reader, DATA_FILE)


@cache
def _index() -> dict[tuple[str, str], RegionalPrice]:
    return {(p.instance_type, p.region): p for p in snapshot()}


def on_demand(instance_type: str, region: str) -> RegionalPrice | None:
    """The snapshot's price of ``instance_type`` in ``region``; None when it has none."""
    return _index().get((instance_type, region))


def priced_regions(instance_type: str) -> tuple[str, ...]:
    """Regions where the snapshot prices ``instance_type``, sorted."""
    return tuple(sorted(p.region for p in snapshot() if p.instance_type == instance_type))


# The attributes that select the plain on-demand Linux price in an AWS Price List offer file
# (AmazonEC2 offer, "products" -> attributes; "terms" -> "OnDemand" -> price dimension in USD).
_PLAIN_LINUX = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
    "licenseModel": "No License required",
}


def prices_from_offer_file(
    offer: Mapping[str, Any], instance_types: Iterable[str], source: str
) -> tuple[RegionalPrice, ...]:
    """Prices of ``instance_types`` from an AWS Price List bulk API offer file (the AmazonEC2
    regional or global ``index.json``): products whose attributes are plain on-demand Linux,
    their OnDemand term's hourly USD price, dated by the file's ``publicationDate``."""
    wanted = set(instance_types)
    date = str(offer.get("publicationDate", ""))[:10]
    if not date:
        raise ValueError("offer file: no publicationDate to date the prices by")
    on_demand_terms = offer.get("terms", {}).get("OnDemand", {})
    found: dict[tuple[str, str], float] = {}
    for sku, product in offer.get("products", {}).items():
        attributes = product.get("attributes", {})
        name, region = attributes.get("instanceType"), attributes.get("regionCode")
        if name not in wanted or region is None:
            continue
        if any(attributes.get(key, value) != value for key, value in _PLAIN_LINUX.items()):
            continue
        for term in on_demand_terms.get(sku, {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                if dimension.get("unit") == "Hrs":
                    price = float(dimension["pricePerUnit"]["USD"])
                    if price > 0:
                        found[(name, region)] = price
    return tuple(
        RegionalPrice(name, region, price, source, date)
        for (name, region), price in sorted(found.items())
    )
