"""Prices per instance type, region and purchase option: one dated snapshot
(data/instance_prices.csv), each row with its source and date, a reader for the AWS Price List
offer file, and the merge a maintainer runs to refresh the snapshot from it
(scripts/refresh_prices.py).

A type is priced only where a source gives its price: no region inherits another's price (they
differ by up to 70 %: inf2.48xlarge is $12.98/h in us-east-1 and $22.07/h in sa-east-1), and no
purchase option stands in for another. Most types are priced On-Demand. trn2.48xlarge has no
On-Demand price in AWS's own price list (SkyPilot's catalog, built from the Price List's OnDemand
terms, lists it with an empty price); what is sourced is its EC2 Capacity Block rate, a prepaid
reservation of 1 to 182 days bought ahead: kept as its own option, never as On-Demand, and never
given a Reserved Instance or Savings Plan discount (docs/sources.md, "Prices").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

DATA_FILE = "instance_prices.csv"
COLUMNS = ("instance_type", "region", "purchase_option", "usd_per_hour", "source", "source_date")

# How the hours are bought: On-Demand, an EC2 Capacity Block (the effective hourly rate of its
# upfront reservation fee), or a rate the user gives (`size --price-per-hour`).
PurchaseOption = Literal["on-demand", "capacity-block", "your-rate"]
SNAPSHOT_OPTIONS: tuple[PurchaseOption, ...] = ("on-demand", "capacity-block")
LABELS: dict[PurchaseOption, str] = {
    "on-demand": "On-Demand",
    "capacity-block": "Capacity Block rate",
    "your-rate": "your rate",
}


@dataclass(frozen=True)
class RegionalPrice:
    """Linux, shared tenancy $/h of one instance type in one region, bought one way."""

    instance_type: str
    region: str
    usd_per_hour: float
    source: str
    source_date: str  # ISO date the source's figures were taken
    purchase_option: PurchaseOption = "on-demand"

    @property
    def label(self) -> str:
        return LABELS[self.purchase_option]


def parse_rows(rows: Iterable[Mapping[str, str]], where: str) -> tuple[RegionalPrice, ...]:
    """Rows of the snapshot's columns; a duplicate (type, region, option), an unknown option,
    a price <= 0 or a row without source and date is refused."""
    seen: set[tuple[str, str, str]] = set()
    prices = []
    for number, row in enumerate(rows, start=2):
        option = row["purchase_option"]
        key = (row["instance_type"], row["region"], option)
        price = float(row["usd_per_hour"])
        if option not in SNAPSHOT_OPTIONS:
            raise ValueError(f"{where} line {number}: purchase_option {option!r} is not one of "
                             f"{', '.join(SNAPSHOT_OPTIONS)}")  # fmt: skip
        if key in seen or not price > 0 or not row["source"] or not row["source_date"]:
            raise ValueError(f"{where} line {number}: duplicate, non-positive or unsourced {key}")
        seen.add(key)
        prices.append(
            RegionalPrice(key[0], key[1], price, row["source"], row["source_date"], option)
        )
    return tuple(prices)


def read_snapshot_text(text: str, where: str = DATA_FILE) -> tuple[RegionalPrice, ...]:
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"{where}: columns {reader.fieldnames} != {COLUMNS}")
    return parse_rows(reader, where)


@cache
def snapshot() -> tuple[RegionalPrice, ...]:
    """Every price the package knows, as shipped."""
    text = resources.files(__package__).joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return read_snapshot_text(text)


@cache
def _index() -> dict[tuple[str, str, str], RegionalPrice]:
    return {(p.instance_type, p.region, p.purchase_option): p for p in snapshot()}


def on_demand(instance_type: str, region: str) -> RegionalPrice | None:
    """The snapshot's On-Demand price of ``instance_type`` in ``region``; None when it has none."""
    return _index().get((instance_type, region, "on-demand"))


def capacity_block(instance_type: str, region: str) -> RegionalPrice | None:
    """The snapshot's Capacity Block rate of ``instance_type`` in ``region``, if sourced."""
    return _index().get((instance_type, region, "capacity-block"))


def hourly(instance_type: str, region: str) -> RegionalPrice | None:
    """The price to rank ``instance_type`` by in ``region``: On-Demand where it is sold so,
    else its Capacity Block rate where that is sourced; None when the snapshot has neither."""
    return on_demand(instance_type, region) or capacity_block(instance_type, region)


def priced_regions(instance_type: str) -> tuple[str, ...]:
    """Where the snapshot prices ``instance_type`` (any option), sorted, the option named when
    it is not On-Demand: ('us-east-2 (Capacity Block rate)',)."""
    return tuple(
        sorted(
            p.region if p.purchase_option == "on-demand" else f"{p.region} ({p.label})"
            for p in snapshot()
            if p.instance_type == instance_type
        )
    )


# The attributes that select the plain On-Demand Linux price in an AWS Price List offer file
# (AmazonEC2 offer, "products" -> attributes; "terms" -> "OnDemand" -> price dimension in USD).
# A Capacity Block SKU sits among the OnDemand terms too, with marketoption "CapacityBlock" and
# an hourly figure that is not the block's price (the reservation is paid up front): only
# marketoption separates it (vantage-sh/ec2instances.info commit 07a565ec skips it the same way).
_PLAIN_LINUX = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
    "licenseModel": "No License required",
    "marketoption": "OnDemand",
}


def _hourly_usd(terms: Mapping[str, Any]) -> float | None:
    for term in terms.values():
        for dimension in term.get("priceDimensions", {}).values():
            if dimension.get("unit") == "Hrs":
                return float(dimension["pricePerUnit"]["USD"])
    return None


def prices_from_offer_file(
    offer: Mapping[str, Any], instance_types: Iterable[str], source: str
) -> tuple[RegionalPrice, ...]:
    """On-Demand prices of ``instance_types`` from an AWS Price List bulk API offer file (the
    AmazonEC2 regional or global ``index.json``): products whose attributes are plain On-Demand
    Linux, their OnDemand term's hourly USD price, dated by the file's ``publicationDate``.
    Two matching SKUs of one type and region at different prices are refused, not overwritten:
    the filter above would then be missing an attribute that tells them apart."""
    wanted = set(instance_types)
    date = str(offer.get("publicationDate", ""))[:10]
    if not date:
        raise ValueError("offer file: no publicationDate to date the prices by")
    on_demand_terms = offer.get("terms", {}).get("OnDemand", {})
    found: dict[tuple[str, str], tuple[float, str]] = {}
    for sku, product in offer.get("products", {}).items():
        attributes = product.get("attributes", {})
        name, region = attributes.get("instanceType"), attributes.get("regionCode")
        if name not in wanted or region is None:
            continue
        if any(attributes.get(key, value) != value for key, value in _PLAIN_LINUX.items()):
            continue
        price = _hourly_usd(on_demand_terms.get(sku, {}))
        if price is None or not price > 0:
            continue
        earlier = found.get((name, region))
        if earlier is not None and earlier[0] != price:
            raise ValueError(
                f"offer file: {name} in {region} has two plain On-Demand Linux prices, "
                f"${earlier[0]} (SKU {earlier[1]}) and ${price} (SKU {sku}); refusing to guess"
            )
        found[(name, region)] = (price, sku)
    return tuple(
        RegionalPrice(name, region, price, source, date)
        for (name, region), (price, _) in sorted(found.items())
    )


def refreshed(
    current: Iterable[RegionalPrice], fresh: Iterable[RegionalPrice]
) -> tuple[RegionalPrice, ...]:
    """The snapshot with ``fresh`` On-Demand prices in place of the rows they cover (same type,
    region and option); every other row, Capacity Block rates included, kept. Sorted."""
    rows = {(p.instance_type, p.region, p.purchase_option): p for p in current}
    for price in fresh:
        if price.purchase_option != "on-demand":
            raise ValueError(f"{price}: an offer file's prices are On-Demand")
        rows[(price.instance_type, price.region, price.purchase_option)] = price
    return tuple(rows[key] for key in sorted(rows))


def snapshot_text(prices: Iterable[RegionalPrice]) -> str:
    """The snapshot file's text for ``prices`` (read back by ``read_snapshot_text``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for p in prices:
        writer.writerow(
            (p.instance_type, p.region, p.purchase_option, str(p.usd_per_hour), p.source,
             p.source_date)
        )  # fmt: skip
    return out.getvalue()
