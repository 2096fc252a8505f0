"""Pure cost model: catalog prices + a cluster's shape -> hourly, monthly and per-token cost.

No Pulumi, no network. Prices come only from the dated snapshot in ``catalog``; reservation
discounts come from AWS offerings when someone fetched them (``discount_from_offering``) and
otherwise from ``ASSUMED_DISCOUNTS``, which says in every figure's ``source`` that it is an
assumption and where it was read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..facts import catalog
from ..facts.memory import fits
from ..facts.prices import RegionalPrice, hourly
from ..facts.units import HOURS_PER_MONTH, SECONDS_PER_HOUR

Term = Literal["on-demand", "1yr", "3yr", "capacity-block", "your-rate"]
# On-Demand and the commitment terms priced off it. A Capacity Block rate or a rate the user
# gives is a term of its own: no Reserved Instance or Savings Plan discount applies to it.
TERMS: tuple[Term, ...] = ("on-demand", "1yr", "3yr")


@dataclass(frozen=True)
class Discount:
    """A fraction off the on-demand rate for a commitment term, and where the figure comes from."""

    term: Term
    fraction: float  # 0.35 = 35 % below on-demand
    source: str
    assumption: bool  # True unless read from an AWS reserved-instance offering

    def __post_init__(self) -> None:
        if not 0 <= self.fraction < 1:
            raise ValueError(f"{self.term} discount must be in [0, 1), got {self.fraction}")

    @property
    def label(self) -> str:
        kind = "assumed" if self.assumption else "offering"
        return f"{self.term} {kind} {self.fraction:.0%} off"


# Only one figure has even a second-hand source (docs/sources.md, "Reserved Instance discount"):
# "A 1-year RI discount of ~35-40 % is commonly quoted but unverified here: get real rates from
# describe_reserved_instances_offerings."
# We take the low end and call it an assumption. No 3-year figure has a source (the blog's 62 %
# does not count), so there is none: `graviton-llm cost --discount-3yr` or `--live` supplies one.
ASSUMED_DISCOUNTS: dict[Term, Discount] = {
    "1yr": Discount(
        "1yr",
        0.35,
        "assumption: low end of the commonly quoted 35-40 % for 1-year RIs (docs/sources.md "
        "marks it unverified); check with `graviton-llm reserve`",
        assumption=True,
    ),
}


def discounts_with(overrides: Mapping[Term, float | None], source: str) -> dict[Term, Discount]:
    """ASSUMED_DISCOUNTS with the user's own fractions in place of (or beside) them."""
    discounts = dict(ASSUMED_DISCOUNTS)
    for term, fraction in overrides.items():
        if fraction is not None:
            discounts[term] = Discount(term, fraction, source, assumption=True)
    return discounts


def cost_per_million_tokens(
    usd_per_hour: float, tokens_per_second: float, utilization: float = 1.0
) -> float:
    """Dollars per 1M output tokens: price/h / (tokens/s x 3600) x 1e6 / utilization.

    ``tokens_per_second`` is the output throughput the hours buy (one node's price with one
    node's throughput, or a cluster's with the cluster's); ``utilization`` is the fraction of
    paid hours spent at that throughput (idle hours still bill).
    """
    if tokens_per_second <= 0:
        raise ValueError(f"tokens_per_second must be > 0, got {tokens_per_second}")
    if not 0 < utilization <= 1:
        raise ValueError(f"utilization must be in (0, 1], got {utilization}")
    return usd_per_hour / (tokens_per_second * SECONDS_PER_HOUR) * 1e6 / utilization


def monthly(usd_per_hour: float) -> float:
    """A month of an hourly rate, as AWS pricing pages bill it (730 h)."""
    return usd_per_hour * HOURS_PER_MONTH


@dataclass(frozen=True)
class ReservationCost:
    """What capacity reservations bill: the on-demand rate for every reserved instance."""

    instance_type: str
    instance_count: int
    usd_per_hour: float | None
    price_snapshot: str

    @property
    def usd_per_month(self) -> float | None:
        return None if self.usd_per_hour is None else monthly(self.usd_per_hour)


def reservation_cost(instance_type: str, instance_count: int) -> ReservationCost:
    """An ODCR bills the on-demand rate for every reserved instance, used or not."""
    price = catalog.on_demand_price(instance_type)
    return ReservationCost(
        instance_type=instance_type,
        instance_count=instance_count,
        usd_per_hour=None if price is None else round(price * instance_count, 5),
        price_snapshot=f"{catalog.PRICE_SNAPSHOT_REGION} on-demand, {catalog.PRICE_SNAPSHOT_DATE}",
    )


def tokens_per_second_for(
    usd_per_million_tokens: float, usd_per_hour: float, utilization: float = 1.0
) -> float:
    """The throughput at which ``usd_per_hour`` costs ``usd_per_million_tokens`` (the inverse)."""
    return usd_per_hour * 1e6 / (usd_per_million_tokens * SECONDS_PER_HOUR * utilization)


# ---------------------------------------------------------------------------------------------
# Reserved-instance offerings (the shape boto3's describe_reserved_instances_offerings returns).
# ---------------------------------------------------------------------------------------------
def offering_effective_hourly(offering: Mapping[str, Any]) -> float:
    """An RI's cost per hour over its term: upfront spread over the term, plus hourly charges.

    ``FixedPrice`` is the upfront payment, ``Duration`` the term in seconds, ``UsagePrice`` and
    ``RecurringCharges`` (Frequency "Hourly") the per-hour part (AWS EC2 API reference,
    ReservedInstancesOffering).
    """
    hours = float(offering["Duration"]) / SECONDS_PER_HOUR
    hourly = float(offering.get("UsagePrice") or 0.0)
    hourly += sum(
        float(charge.get("Amount", 0.0))
        for charge in offering.get("RecurringCharges") or []
        if charge.get("Frequency") == "Hourly"
    )
    fixed: float = float(offering.get("FixedPrice") or 0.0)
    return fixed / hours + hourly


def offering_term(offering: Mapping[str, Any]) -> Term | None:
    years = offering["Duration"] / (365 * 24 * SECONDS_PER_HOUR)
    if math.isclose(years, 1, rel_tol=0.02):
        return "1yr"
    if math.isclose(years, 3, rel_tol=0.02):
        return "3yr"
    return None


def discount_from_offering(offering: Mapping[str, Any], on_demand_usd_per_hour: float) -> Discount:
    term = offering_term(offering)
    if term is None:
        raise ValueError(f"offering {offering.get('ReservedInstancesOfferingId')} is not 1 or 3 y")
    fraction = 1 - offering_effective_hourly(offering) / on_demand_usd_per_hour
    return Discount(
        term,
        max(fraction, 0.0),
        f"RI offering {offering.get('ReservedInstancesOfferingId')} "
        f"({offering.get('OfferingClass', '?')}, {offering.get('OfferingType', '?')})",
        assumption=False,
    )


def break_even_utilization(reserved_usd_per_hour: float, on_demand_usd_per_hour: float) -> float:
    """Fraction of hours an instance must run for a reservation to cost less than on-demand.

    A reservation bills every hour of its term; on-demand bills only the hours used. Above 1.0
    the reservation never pays off.
    """
    if on_demand_usd_per_hour <= 0:
        raise ValueError("on-demand price must be > 0")
    return reserved_usd_per_hour / on_demand_usd_per_hour


# ---------------------------------------------------------------------------------------------
# A cluster's cost, per term.
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TermCost:
    term: Term
    usd_per_hour: float  # whole cluster
    usd_per_month: float
    usd_per_million_tokens: float | None  # None without a throughput
    discount: Discount | None  # None for on-demand


@dataclass(frozen=True)
class OptionCost:
    """One instance type run as ``nodes`` nodes: its price and what that costs per term."""

    instance_type: str
    nodes: int
    on_demand_usd_per_hour: float | None  # one node; None without an On-Demand price
    tokens_per_second: float | None  # per node
    utilization: float
    terms: tuple[TermCost, ...]
    basis: RegionalPrice | None = None  # the price the terms start from (None: no price)

    def term(self, term: Term) -> TermCost | None:
        return next((t for t in self.terms if t.term == term), None)


def option_cost(
    instance_type: str,
    nodes: int = 1,
    *,
    tokens_per_second: float | None = None,
    utilization: float = 1.0,
    discounts: Mapping[Term, Discount] | None = None,
    region: str = catalog.PRICE_SNAPSHOT_REGION,
    price: RegionalPrice | None = None,
) -> OptionCost:
    """Hourly, monthly and per-1M-token cost of ``nodes`` x ``instance_type`` in ``region``
    for each term (no terms where the price snapshot has no price for it there).

    ``price`` (default: the snapshot's, ``facts.prices.hourly``) is what the terms start from:
    an On-Demand price gives On-Demand and the discounted commitment terms; a Capacity Block
    rate or the user's own rate is one term, undiscounted. ``tokens_per_second`` is one node's
    output throughput. Terms without a discount figure are left out rather than guessed.
    ``discounts`` defaults to ``ASSUMED_DISCOUNTS``.
    """
    if nodes < 1:
        raise ValueError(f"nodes must be >= 1, got {nodes}")
    discounts = ASSUMED_DISCOUNTS if discounts is None else discounts
    basis = price or hourly(instance_type, region)
    terms: list[TermCost] = []
    chain: tuple[Term, ...] = ()
    if basis is not None:
        chain = TERMS if basis.purchase_option == "on-demand" else (basis.purchase_option,)
    for term in chain:
        assert basis is not None
        discount = None if term == chain[0] else discounts.get(term)
        if term != chain[0] and discount is None:
            continue
        node_hourly = (
            basis.usd_per_hour * (1 - discount.fraction) if discount else basis.usd_per_hour
        )
        per_token = (
            None
            if tokens_per_second is None
            else cost_per_million_tokens(node_hourly, tokens_per_second, utilization)
        )
        fleet_hourly = node_hourly * nodes
        terms.append(TermCost(term, fleet_hourly, monthly(fleet_hourly), per_token, discount))
    on_demand_price = (
        basis.usd_per_hour if basis is not None and basis.purchase_option == "on-demand" else None
    )
    return OptionCost(
        instance_type, nodes, on_demand_price, tokens_per_second, utilization, tuple(terms), basis
    )


# ---------------------------------------------------------------------------------------------
# Alternatives "of the same capability": instances whose accelerator memory (host RAM on
# Graviton) holds the model's weights and the stack's KV cache by the same rule the args apply
# (facts/memory.py). Memory only: this says nothing about speed, which is why the comparison
# shows the throughput each would need.
# ---------------------------------------------------------------------------------------------
COMPARISON_FAMILIES = ("inf2", "trn1", "g5", "g6", "r8g")


def model_memory_gib(instance_type: str) -> float | None:
    """Memory a model can live in: Neuron cores at the largest valid TP degree, GPU memory,
    or host RAM for Graviton CPU serving. None for types the catalogs do not describe."""
    spec = catalog.instance_spec(instance_type)
    if spec is not None:
        return float(catalog.serving_memory_gib(spec))
    gpu = catalog.GPU_INSTANCES.get(instance_type)
    return None if gpu is None else float(gpu.device_memory_gib)


def holds_model(instance_type: str, required_gib: float) -> bool:
    """The type's model memory holds weights + KV cache (``required_gib``) with headroom."""
    memory = model_memory_gib(instance_type)
    return memory is not None and fits(required_gib, memory)


def comparable_instance_types(
    required_gib: float, families: tuple[str, ...] = COMPARISON_FAMILIES
) -> list[str]:
    """Per family, the cheapest priced instance type that holds weights + KV cache."""
    chosen = []
    for family in families:
        fitting = [
            name
            for name, price in catalog.ON_DEMAND_USD_PER_HOUR.items()
            if name.split(".")[0] == family and holds_model(name, required_gib)
        ]
        if fitting:
            chosen.append(min(fitting, key=lambda n: (catalog.ON_DEMAND_USD_PER_HOUR[n], n)))
    return chosen


@dataclass(frozen=True)
class Comparison:
    stack: OptionCost
    alternatives: tuple[OptionCost, ...]

    def tokens_per_second_to_match(self, option: OptionCost) -> float | None:
        """Throughput per node at which ``option`` costs what the stack costs per token
        (on-demand), at the same utilization."""
        ours = self.stack.term("on-demand")
        theirs = option.term("on-demand")
        if ours is None or theirs is None or ours.usd_per_million_tokens is None:
            return None
        return tokens_per_second_for(
            ours.usd_per_million_tokens, option.on_demand_usd_per_hour or 0, option.utilization
        )


def compare(
    instance_type: str,
    nodes: int,
    required_gib: float,
    *,
    tokens_per_second: float | None = None,
    utilization: float = 1.0,
    alternative_tokens_per_second: Mapping[str, float] | None = None,
    discounts: Mapping[str, Mapping[Term, Discount]] | None = None,
    default_discounts: Mapping[Term, Discount] | None = None,
) -> Comparison:
    """The stack's instance type against comparable ones (holding ``required_gib`` of weights
    and KV cache), each at the same node count.

    ``discounts`` maps an instance type to its discounts (e.g. read from offerings); types not
    in it use ``default_discounts`` (default ``ASSUMED_DISCOUNTS``).
    ``alternative_tokens_per_second`` gives measured throughput for alternatives; without it
    their per-token cost is unknown.
    """
    discounts = discounts or {}
    measured = alternative_tokens_per_second or {}

    def cost(name: str, tps: float | None) -> OptionCost:
        return option_cost(
            name, nodes, tokens_per_second=tps, utilization=utilization,
            discounts=discounts.get(name, default_discounts),
        )  # fmt: skip

    others = [t for t in comparable_instance_types(required_gib) if t != instance_type]
    others += [t for t in measured if t not in others and t != instance_type]
    return Comparison(
        stack=cost(instance_type, tokens_per_second),
        alternatives=tuple(cost(name, measured.get(name)) for name in others),
    )
