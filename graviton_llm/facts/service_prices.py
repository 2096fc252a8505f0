"""What the resources around the instances bill, per region: one dated snapshot
(data/service_prices.csv), each row with its source and date, read like the instance prices
(prices.py). A row is a unit price of one billed dimension (`nat-gateway-hour`, `ebs-gp3-storage`
per GB-month, ...).

Sourced for us-east-1 only: the unit prices infracost's golden tests show (its prices come from
the AWS Price List; each row names the test file and commit, and docs/sources.md how a monthly
figure there gives the unit price). No region inherits another's: elsewhere a line is listed as
unpriced, never guessed (pricing/stack_cost.py).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

DATA_FILE = "service_prices.csv"
COLUMNS = ("item", "region", "unit", "usd", "source", "source_date")

# Figures that are not prices but come with them (same sources).
DETAILED_MONITORING_METRICS_PER_INSTANCE = 7
"""EC2 detailed monitoring bills its 1-minute metrics as custom metrics: 7 per Linux instance
(infracost's instance_test golden, `EC2 detailed monitoring 7 metrics`)."""
ANOMALY_DETECTION_METRICS = 3
"""An anomaly detection alarm bills 3 alarm metrics (the metric and the band's two bounds:
infracost's cloudwatch_metric_alarm_test golden, `anomaly detection 3 alarms`)."""


@dataclass(frozen=True)
class ServicePrice:
    item: str
    region: str
    unit: str
    usd: float
    source: str
    source_date: str


def read_snapshot_text(text: str, where: str = DATA_FILE) -> tuple[ServicePrice, ...]:
    """The rows of ``text``; a duplicate (item, region), a price < 0 or a row without source
    and date is refused."""
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"{where}: columns {reader.fieldnames} != {COLUMNS}")
    seen: set[tuple[str, str]] = set()
    prices = []
    for number, row in enumerate(reader, start=2):
        key = (row["item"], row["region"])
        usd = float(row["usd"])
        if key in seen or usd < 0 or not row["source"] or not row["source_date"]:
            raise ValueError(f"{where} line {number}: duplicate, negative or unsourced {key}")
        seen.add(key)
        prices.append(ServicePrice(key[0], key[1], row["unit"], usd, row["source"],
                                   row["source_date"]))  # fmt: skip
    return tuple(prices)


@cache
def snapshot() -> tuple[ServicePrice, ...]:
    text = resources.files(__package__).joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return read_snapshot_text(text)


@cache
def _index() -> dict[tuple[str, str], ServicePrice]:
    return {(p.item, p.region): p for p in snapshot()}


def price(item: str, region: str) -> ServicePrice | None:
    """The snapshot's unit price of ``item`` in ``region``; None where it has none."""
    return _index().get((item, region))


def items() -> frozenset[str]:
    return frozenset(p.item for p in snapshot())


def priced_regions() -> tuple[str, ...]:
    return tuple(sorted({p.region for p in snapshot()}))
