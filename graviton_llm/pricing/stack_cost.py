"""The whole stack's cost: every resource of a plan priced by what it bills (the instances, their
volumes and detailed monitoring, load balancers, NAT gateways, public IPv4 addresses, endpoints,
KMS keys, alarms, dashboards, the agent's metrics and log ingestion, ...), in the stack's region.

Each resource type has one rule (``RULES``); a rule turns a resource into priced lines (a unit
price from facts/prices.py or facts/service_prices.py times a quantity, with the price's source
and date), usage-based lines (a unit price, no quantity offline: what infracost shows as "depends
on usage") and unpriced entries (why not). A type without a rule is listed as unpriced, never
guessed; a resource that bills nothing (a VPC, a role, a component) is counted as free.

Pure: a plan hands in its resources as ``PlannedResource`` and each cluster's facts as
``ClusterBill`` (plan/stack_bill.py builds both); the lines' types are in stack_items.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..facts import service_prices
from ..facts.prices import hourly
from ..facts.units import HOURS_PER_MONTH
from .stack_items import (
    ClusterBill,
    Context,
    Line,
    PlannedResource,
    UnknownQuantity,
    Unpriced,
    UsageLine,
)
from .stack_rules import FREE_TYPES, RULES


@dataclass(frozen=True)
class StackCost:
    region: str
    lines: list[Line] = field(default_factory=list)
    usage_based: list[UsageLine] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)
    free_resources: int = 0

    @property
    def usd_per_month(self) -> float:
        return sum(line.usd_per_month for line in self.lines)

    @property
    def usd_per_hour(self) -> float:
        return self.usd_per_month / HOURS_PER_MONTH

    def document(self) -> dict[str, Any]:
        """The plan document's `stack_cost` (docs/plan-json.md)."""
        return {
            "region": self.region,
            "hours_per_month": HOURS_PER_MONTH,
            "usd_per_hour": round(self.usd_per_hour, 5),
            "usd_per_month": round(self.usd_per_month, 2),
            "lines": [
                {"resource": x.resource, "type": x.type, "item": x.item,
                 "quantity": round(x.quantity, 6), "unit": x.unit, "usd_per_unit": x.usd_per_unit,
                 "usd_per_month": round(x.usd_per_month, 2), "source": x.source,
                 "source_date": x.source_date, "basis": x.basis}
                for x in self.lines
            ],
            "usage_based": [
                {"resource": x.resource, "type": x.type, "item": x.item, "unit": x.unit,
                 "usd_per_unit": x.usd_per_unit, "source": x.source, "source_date": x.source_date}
                for x in self.usage_based
            ],
            "unpriced": [{"resource": x.resource, "type": x.type, "reason": x.reason}
                         for x in self.unpriced],
            "free_resources": self.free_resources,
        }  # fmt: skip


def stack_cost(
    resources: list[PlannedResource], clusters: list[ClusterBill], region: str
) -> StackCost:
    """Every resource of ``resources`` priced in ``region`` (rules in pricing/stack_rules.py)."""
    context = Context(
        region=region,
        resources=resources,
        clusters={c.name: c for c in clusters},
        instance_price=lambda instance_type: hourly(instance_type, region),
        service_price=lambda item: service_prices.price(item, region),
    )
    cost = StackCost(region)
    # By name: the engine registers a program's resources in an order its async code decides,
    # and a document must not change from one run to the next (each list keeps this order).
    for resource in sorted(resources, key=lambda r: (r.name, r.type)):
        rule = RULES.get(resource.type)
        if rule is None:
            if not resource.custom or resource.type in FREE_TYPES:
                object.__setattr__(cost, "free_resources", cost.free_resources + 1)
            else:
                cost.unpriced.append(Unpriced(resource.name, resource.type,
                                              "no price rule for this type"))  # fmt: skip
            continue
        try:
            entries = list(rule(resource, context))
        except UnknownQuantity as unknown:
            entries = [Unpriced(resource.name, resource.type,
                                f"{unknown} unknown until deployed")]  # fmt: skip
        for entry in entries:
            _add(cost, entry)
    return cost


def _add(cost: StackCost, entry: Line | UsageLine | Unpriced) -> None:
    if isinstance(entry, Line):
        cost.lines.append(entry)
    elif isinstance(entry, UsageLine):
        cost.usage_based.append(entry)
    else:
        cost.unpriced.append(entry)

