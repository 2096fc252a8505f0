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


def _prose() -> dict[str, str]:
    root = DOCS.parent
    files = [root / "README.md", *DOCS.glob("*.md"), *root.glob("graviton_llm/scaffold/**/*.md")]
    return {str(path.relative_to(root)): path.read_text() for path in files}


def test_the_exit_code_for_no_group_found_is_the_one_the_cli_uses():
    from graviton_llm.safeio.exits import ExitCode

    said = []
    for name, text in _prose().items():
        for pattern in (
            r"\b(\d)\b[^\d.;()|]{0,80}?\bno group",
            r"[Nn]o group[^.;]{0,60}?exit (\d)",
        ):
            said += [(name, int(code)) for code in re.findall(pattern, text)]
    assert said, "the docs no longer say what `rollout status` exits with when no group is found"
    assert {code for _, code in said} == {ExitCode.NOT_FOUND}, said
