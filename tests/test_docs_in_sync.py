"""What the docs say about the code stays true: lists the docs spell out are read back here."""

from __future__ import annotations

import re
from pathlib import Path

from graviton_llm.plan.checks import CHECKS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_plan_json_lists_every_security_check_in_the_order_plan_runs_them():
    text = (DOCS / "plan-json.md").read_text()
    (row,) = [line for line in text.splitlines() if line.startswith("| `security.checks` |")]
    listed = re.findall(r"`([a-z0-9-]+)`", row.split("in this order:", 1)[1])
    assert listed == [rule.id for rule in CHECKS]
    described = text.split("## The security checks", 1)[1]
    assert re.findall(r"^- \*\*([a-z0-9-]+)\*\*:", described, re.M) == listed
