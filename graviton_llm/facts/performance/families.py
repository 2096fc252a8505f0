"""Every hardware family whole, checked when the performance model is imported.

A family's parts live beside the facts they are made of, each with its source: its catalog row
(catalog.NEURON_FAMILIES and its instance types; a Graviton family's row in
catalog.GRAVITON4_FAMILIES), its serving stack's image (images.IMAGES), its roofline figures
(hardware.NEURON_RANKS, hardware.NEURONLINK_BYTES_PER_S_PER_CHIP), the weight formats of its
generation (parameters.WEIGHT_DTYPES) and a price for each of its types (data/instance_prices.csv).
A family missing one would end `plan`, `size` or `cost` in a KeyError; this refuses it at import
instead, naming the family and the part to add. The fitted parameters are not a part: a
generation without them is predicted by the roofline alone (parameters.ROOFLINE_ONLY), as
Graviton is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .. import catalog, images, prices
from .hardware import NEURON_RANKS, NEURONLINK_BYTES_PER_S_PER_CHIP, RankRoofline
from .parameters import WEIGHT_DTYPES


class HardwareFamilyError(ImportError):
    """A hardware family declared in part: the message names each family and the missing part."""


@dataclass(frozen=True)
class FamilyTables:
    """The tables a family's parts are rows of (the shipped ones by default; a test swaps one)."""

    instance_types: Mapping[str, catalog.InstanceSpec] = field(
        default_factory=lambda: catalog.INSTANCE_TYPES
    )
    neuron_families: Mapping[str, catalog.NeuronFamily] = field(
        default_factory=lambda: catalog.NEURON_FAMILIES
    )
    stack_images: Mapping[images.ServingStack, str] = field(default_factory=lambda: images.IMAGES)
    ranks: Mapping[str, RankRoofline] = field(default_factory=lambda: NEURON_RANKS)
    links: Mapping[str, float] = field(default_factory=lambda: NEURONLINK_BYTES_PER_S_PER_CHIP)
    weight_dtypes: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: WEIGHT_DTYPES)
    priced: Callable[[str], bool] = lambda instance_type: bool(
        prices.priced_regions(instance_type)
    )


def family_problems(tables: FamilyTables | None = None) -> list[str]:
    """Each part a family lacks, as "family <name>: <the part and where it goes>"."""
    t = tables or FamilyTables()
    by_family: dict[str, list[catalog.InstanceSpec]] = {}
    for spec in t.instance_types.values():
        by_family.setdefault(spec.family, []).append(spec)
    problems = [
        f"family {name}: no instance type in catalog.INSTANCE_TYPES (add its rows to "
        "catalog._NEURON_ROWS)"
        for name in t.neuron_families
        if name not in by_family
    ]
    for name, specs in sorted(by_family.items()):
        problems += [f"family {name}: {p}" for p in _parts_missing(name, specs, t)]
    return problems


def _parts_missing(name: str, specs: list[catalog.InstanceSpec], t: FamilyTables) -> list[str]:
    missing = [
        f"no price for {spec.name} in data/instance_prices.csv (facts/prices.py)"
        for spec in specs
        if not t.priced(spec.name)
    ]
    if all(spec.accelerator == "cpu" for spec in specs):
        stack = "cpu"  # one replica on the instance's cores: the roofline is graviton4_rank
    elif name not in t.neuron_families:
        return [*missing, "Neuron instance types but no row in catalog.NEURON_FAMILIES"]
    else:
        stack = t.neuron_families[name].serving_stack
        rank = t.ranks.get(name)
        if rank is None:
            missing.append("no roofline in performance/hardware.py NEURON_RANKS")
        elif rank.generation not in t.weight_dtypes:
            missing.append(
                f"generation {rank.generation!r} has no weight formats in "
                "performance/parameters.py WEIGHT_DTYPES"
            )
        if name not in t.links:
            missing.append("no chip-to-chip bandwidth in performance/hardware.py "
                           "NEURONLINK_BYTES_PER_S_PER_CHIP")  # fmt: skip
    if stack not in t.stack_images:
        missing.append(f"serving stack {stack!r} has no image in images.IMAGES")
    return missing


def check_families(tables: FamilyTables | None = None) -> None:
    """Refuse a family declared in part, naming each family and what it lacks."""
    problems = family_problems(tables)
    if problems:
        raise HardwareFamilyError(
            "graviton-llm: hardware families declared in part (ARCHITECTURE.md, 'Where to "
            "add'):\n  " + "\n  ".join(problems)
        )
