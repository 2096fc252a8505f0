"""CHANGELOG.md names the current value of every contract a deployed stack or a saved document
depends on, read from the code: bumping one (or renaming a component's type token) without an
upgrade note fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHANGELOG = (ROOT / "CHANGELOG.md").read_text()

# (row name in the Contracts table, module file, constant)
CONTRACTS = [
    ("`plan --json` `schema_version`", "graviton_llm/plan/build.py", "SCHEMA_VERSION"),
    ("`size --json` `schema_version`", "graviton_llm/sizing/document.py", "SCHEMA_VERSION"),
    ("artifact cache key format", "graviton_llm/node/artifact_key.py", "ARTIFACT_KEY_FORMAT"),
    ("node config document", "graviton_llm/node_agent/config.py", "FORMAT"),
    ("artifact cache manifest", "graviton_llm/node_agent/model_store.py", "FORMAT"),
    ("saved calibration", "graviton_llm/sizing/calibration_store.py", "FORMAT"),
    ("`bench` result JSON", "graviton_llm/bench/report.py", "JSON_FORMAT"),
]


def _constant(source: str, name: str) -> str:
    """The literal assigned to ``name`` at module level (a number or a string)."""
    found = re.findall(rf'^{name}(?:: \w+)? = ("[^"]*"|\d+)$', source, re.MULTILINE)
    assert len(found) == 1, f"{name}: {found}"
    return found[0].strip('"')


def _row(name: str) -> str:
    found = re.findall(rf"^\| {re.escape(name)} \| `([^`]*)` \|", CHANGELOG, re.MULTILINE)
    assert len(found) == 1, f"CHANGELOG.md's Contracts table has no single row {name!r}"
    return found[0]


def test_every_contract_value_in_the_code_is_the_one_the_changelog_names() -> None:
    for row, module, constant in CONTRACTS:
        value = _constant((ROOT / module).read_text(), constant)
        assert _row(row) == value, f"{module} {constant} = {value}: add an upgrade note"


def test_the_plan_and_artifact_key_versions_are_read_from_the_code_the_package_uses() -> None:
    """The table's two deploy-facing rows are the values the package itself exposes."""
    from graviton_llm.node import artifact_key
    from graviton_llm.plan import build

    assert _row("`plan --json` `schema_version`") == str(build.SCHEMA_VERSION)
    assert _row("artifact cache key format") == str(artifact_key.ARTIFACT_KEY_FORMAT)


def test_every_component_type_token_is_listed() -> None:
    tokens = set()
    for path in (ROOT / "graviton_llm").rglob("*.py"):
        tokens |= set(re.findall(r'"(graviton-llm:[a-z]+:[A-Za-z]+)"', path.read_text()))
    assert tokens, "no type token found: the scan no longer matches the code"
    missing = sorted(t for t in tokens if f"`{t}`" not in CHANGELOG)
    assert not missing, f"type tokens without a CHANGELOG entry (and aliases=?): {missing}"


def test_the_changelog_keeps_an_unreleased_section() -> None:
    assert "\n## [Unreleased]\n" in CHANGELOG
