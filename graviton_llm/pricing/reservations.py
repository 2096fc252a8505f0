"""Reserved Instance advice from real offerings, and a purchase that is hard to do by accident.

Reads offerings with ``describe_reserved_instances_offerings`` and compares each with the
on-demand snapshot price: effective hourly rate, discount, break-even utilization. Buying goes
through ``purchase_reserved_instances_offering`` with ``DryRun=True`` first, then reads the
offering again and buys only if its price is still the one shown (``LimitPrice`` would not
guard this: AWS applies it to Marketplace offerings only, EC2 API reference). Savings Plans and
Capacity Blocks are non-cancellable and have no dry run: nothing here buys them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ..facts import catalog
from ..facts.units import HOURS_PER_YEAR
from .cost import (
    Term,
    break_even_utilization,
    monthly,
    offering_effective_hourly,
    offering_term,
)

PRODUCT = "Linux/UNIX"


@dataclass(frozen=True)
class OfferingAdvice:
    offering_id: str
    term: Term
    offering_class: str  # standard | convertible
    offering_type: str  # No Upfront | Partial Upfront | All Upfront
    availability_zone: str | None  # None: regional
    upfront_usd: float
    effective_usd_per_hour: float
    on_demand_usd_per_hour: float | None
    instances: int

    @property
    def discount(self) -> float | None:
        if not self.on_demand_usd_per_hour:
            return None
        return 1 - self.effective_usd_per_hour / self.on_demand_usd_per_hour

    @property
    def break_even_utilization(self) -> float | None:
        """Run the instances more than this fraction of hours, or the RI costs more."""
        if not self.on_demand_usd_per_hour:
            return None
        return break_even_utilization(self.effective_usd_per_hour, self.on_demand_usd_per_hour)

    @property
    def usd_per_month(self) -> float:
        return monthly(self.effective_usd_per_hour * self.instances)

    @property
    def total_commitment_usd(self) -> float:
        """What the term costs whatever happens: RIs are not cancellable."""
        hours = {"1yr": HOURS_PER_YEAR, "3yr": 3 * HOURS_PER_YEAR}[self.term]
        return self.effective_usd_per_hour * hours * self.instances


_REGION = re.compile(r"[a-z]{2}(?:-gov)?-[a-z]+-[0-9]{1,2}", re.ASCII)


def check_request(instance_type: str, region: str) -> None:
    """Refuse, before any AWS call, a type the catalog does not know or a malformed region."""
    if catalog.instance_spec(instance_type) is None:
        raise ValueError(
            f"--instance-type {instance_type!r} is not a supported instance type, e.g. "
            "inf2.48xlarge"
        )
    if not _REGION.fullmatch(region):
        raise ValueError(f"--region {region!r} is not an AWS region name, e.g. us-east-1")


def find_offerings(ec2: Any, instance_type: str) -> list[dict[str, Any]]:
    """Every AWS-sold (not Marketplace) Linux offering for the type, default tenancy."""
    paginator = ec2.get_paginator("describe_reserved_instances_offerings")
    offerings = []
    for page in paginator.paginate(
        Filters=[
            {"Name": "instance-type", "Values": [instance_type]},
            {"Name": "product-description", "Values": [PRODUCT]},
        ],
        InstanceTenancy="default",
        IncludeMarketplace=False,
    ):
        offerings += page.get("ReservedInstancesOfferings", [])
    return [
        o
        for o in offerings
        if o.get("InstanceType") == instance_type and not o.get("Marketplace", False)
    ]


def advise(
    offerings: list[dict[str, Any]], on_demand_usd_per_hour: float | None, instances: int
) -> list[OfferingAdvice]:
    """One row per 1- or 3-year offering, cheapest effective rate first."""
    rows = []
    for offering in offerings:
        term = offering_term(offering)
        if term is None:
            continue
        rows.append(
            OfferingAdvice(
                offering_id=offering["ReservedInstancesOfferingId"],
                term=term,
                offering_class=offering.get("OfferingClass", "standard"),
                offering_type=offering.get("OfferingType", "?"),
                availability_zone=offering.get("AvailabilityZone"),
                upfront_usd=float(offering.get("FixedPrice") or 0.0),
                effective_usd_per_hour=offering_effective_hourly(offering),
                on_demand_usd_per_hour=on_demand_usd_per_hour,
                instances=instances,
            )
        )
    return sorted(
        rows,
        key=lambda r: (r.term, r.effective_usd_per_hour, r.availability_zone or "", r.offering_id),
    )


def choose(rows: list[OfferingAdvice], offering_id: str) -> OfferingAdvice:
    """The listed offering a user picked; only what was shown may be bought."""
    for row in rows:
        if row.offering_id == offering_id:
            return row
    raise ValueError(f"--offering {offering_id} is not one of the offerings listed above")


def purchase_question(advice: OfferingAdvice, instance_type: str, count: int) -> str:
    """What a buyer confirms: the whole, non-cancellable commitment."""
    return (
        f"Buy {count} x {instance_type} {advice.term} {advice.offering_type} RIs: "
        f"${advice.upfront_usd * count:,.2f} upfront, ${advice.total_commitment_usd:,.0f} "
        "over the term, not cancellable?"
    )


@dataclass(frozen=True)
class PurchaseResult:
    dry_run_ok: bool
    message: str
    reserved_instances_id: str | None = None


def purchase(
    ec2: Any, advice: OfferingAdvice, *, instance_count: int, really: bool
) -> PurchaseResult:
    """DryRun first; only when ``really`` and the dry run passed, and the offering still
    costs what it showed, the purchase itself."""
    request = {"ReservedInstancesOfferingId": advice.offering_id, "InstanceCount": instance_count}
    try:
        ec2.purchase_reserved_instances_offering(DryRun=True, **request)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code != "DryRunOperation":
            message = error.response.get("Error", {}).get("Message", str(error))
            return PurchaseResult(False, f"dry run refused: {code}: {message}")
    else:  # pragma: no cover - AWS always answers a dry run with an error code
        return PurchaseResult(False, "dry run returned no DryRunOperation answer; not buying")
    if not really:
        return PurchaseResult(True, "dry run passed: the purchase would be accepted")
    changed = _price_change(ec2, advice)
    if changed is not None:
        return PurchaseResult(True, f"not buying: {changed}; run reserve again to see it")
    response = ec2.purchase_reserved_instances_offering(DryRun=False, **request)
    return PurchaseResult(True, "purchased", response.get("ReservedInstancesId"))


def _price_change(ec2: Any, advice: OfferingAdvice) -> str | None:
    """Why the offering no longer matches the advice the user accepted, or None."""
    found = ec2.describe_reserved_instances_offerings(
        ReservedInstancesOfferingIds=[advice.offering_id], IncludeMarketplace=False
    ).get("ReservedInstancesOfferings", [])
    if not found:
        return f"offering {advice.offering_id} is no longer offered"
    current = found[0]
    upfront = float(current.get("FixedPrice") or 0.0)
    hourly = offering_effective_hourly(current)
    if (
        abs(upfront - advice.upfront_usd) > 0.005
        or abs(hourly - advice.effective_usd_per_hour) > 1e-6
    ):
        return (
            f"its price changed (upfront ${advice.upfront_usd:,.2f} -> ${upfront:,.2f}, "
            f"effective ${advice.effective_usd_per_hour:.4f}/h -> ${hourly:.4f}/h)"
        )
    return None
