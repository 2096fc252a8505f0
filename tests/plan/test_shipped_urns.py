"""The URN and parent of every resource the shipped stacks register stay as deployed stacks hold
them (golden files written before the cluster's parts became functions, issue 25): a change
here would replace or orphan resources on the next `pulumi up`."""

from __future__ import annotations

import pytest

from graviton_llm.plan import build_plan
from support import assert_golden


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_shipped_stacks_register_the_same_urns_under_the_same_parents(stack):
    rows = sorted(f"{r.urn} <- {r.parent_urn}" for r in build_plan(stack).result.resources)
    assert_golden(f"urns_{stack}.txt", "\n".join(rows) + "\n")
