"""A hardware family is whole or refused: each part a family lacks (catalog row, serving stack's
image, roofline, chip links, weight formats, prices) is named at import, never a KeyError when
`plan`, `size` or `cost` runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from graviton_llm.facts import catalog, images
from graviton_llm.facts.performance.families import (
    FamilyTables,
    HardwareFamilyError,
    check_families,
    family_problems,
)
from graviton_llm.facts.performance.hardware import NEURON_RANKS, NEURONLINK_BYTES_PER_S_PER_CHIP
from graviton_llm.facts.performance.parameters import WEIGHT_DTYPES


def _without(table, key):
    return {k: v for k, v in table.items() if k != key}


def test_every_shipped_family_is_whole():
    assert family_problems() == []
    check_families()


# (what is removed, the tables without it, what the refusal must say)
REMOVED = {
    "catalog family row": (
        FamilyTables(neuron_families=_without(catalog.NEURON_FAMILIES, "trn2")),
        "family trn2: Neuron instance types but no row in catalog.NEURON_FAMILIES",
    ),
    "catalog instance rows": (
        FamilyTables(
            instance_types={k: v for k, v in catalog.INSTANCE_TYPES.items() if v.family != "inf2"}
        ),
        "family inf2: no instance type in catalog.INSTANCE_TYPES",
    ),
    "serving stack image": (
        FamilyTables(stack_images=_without(images.IMAGES, "neuron-plugin")),
        "family trn2: serving stack 'neuron-plugin' has no image in images.IMAGES",
    ),
    "cpu serving stack image": (
        FamilyTables(stack_images=_without(images.IMAGES, "cpu")),
        "family r8g: serving stack 'cpu' has no image in images.IMAGES",
    ),
    "roofline": (
        FamilyTables(ranks=_without(NEURON_RANKS, "trn1n")),
        "family trn1n: no roofline in performance/hardware.py NEURON_RANKS",
    ),
    "chip links": (
        FamilyTables(links=_without(NEURONLINK_BYTES_PER_S_PER_CHIP, "inf2")),
        "family inf2: no chip-to-chip bandwidth in performance/hardware.py",
    ),
    "weight formats": (
        FamilyTables(weight_dtypes=_without(WEIGHT_DTYPES, "neuron-v3")),
        "family trn2: generation 'neuron-v3' has no weight formats in "
        "performance/parameters.py WEIGHT_DTYPES",
    ),
    "price": (
        FamilyTables(priced=lambda instance_type: instance_type != "c8g.2xlarge"),
        "family c8g: no price for c8g.2xlarge in data/instance_prices.csv",
    ),
}


@pytest.mark.parametrize("part", sorted(REMOVED))
def test_a_family_missing_a_part_is_refused_naming_family_and_part(part):
    tables, message = REMOVED[part]
    with pytest.raises(HardwareFamilyError) as refused:
        check_families(tables)
    assert message in str(refused.value)
    assert len(family_problems(tables)) >= 1


def test_a_family_added_to_the_catalog_alone_is_refused_at_import():
    """What a contributor who adds only the catalog rows sees: the import of the performance
    model (which plan, size and cost load) refuses it with every missing part, no KeyError."""
    program = textwrap.dedent("""
        import dataclasses
        from graviton_llm.facts import catalog as c
        c.NEURON_FAMILIES["inf3"] = dataclasses.replace(c.NEURON_FAMILIES["inf2"], name="inf3")
        c.INSTANCE_TYPES["inf3.xlarge"] = dataclasses.replace(
            c.INSTANCE_TYPES["inf2.xlarge"], name="inf3.xlarge", family="inf3")
        import graviton_llm.facts.performance
    """)
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert run.returncode != 0
    assert "HardwareFamilyError" in run.stderr and "KeyError" not in run.stderr
    for part in ("family inf3: no price for inf3.xlarge", "family inf3: no roofline",
                 "family inf3: no chip-to-chip bandwidth"):  # fmt: skip
        assert part in run.stderr
