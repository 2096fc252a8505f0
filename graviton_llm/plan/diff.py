"""`plan --against OLD.json`: what a deployment of the new plan would do to each resource of the
old one, from two plan documents alone (no state, no cloud).

A resource is keyed by type and name (its URN within the stack). Present only in the new plan:
create; only in the old: delete; in both: replace when an input the provider marks ForceNew
differs (the plan's `replace_on_change`), update when any other input differs (`inputs_sha256`),
else nothing. One change the mock engine cannot show by itself: every update of a launch template
publishes a new version in AWS, so a resource that carries the template's version (the cluster's
rollout) is updated with it. A Pulumi replacement creates the new resource before deleting the
old unless the resource says otherwise; for a load balancer or an Auto Scaling group either way is
an outage or a full rollout, which is why a reviewer should see it before `pulumi up`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..safeio.files import InputFileError, expect, load_json
from ..testing.answers import mock_id
from .findings import LAUNCH_TEMPLATE

Action = Literal["create", "update", "replace", "delete"]
ORDER: dict[Action, int] = {"replace": 0, "delete": 1, "create": 2, "update": 3}


@dataclass(frozen=True)
class Change:
    action: Action
    type: str
    name: str
    because: tuple[str, ...] = ()  # the inputs that force a replacement, or what updates it
    # A replacement's ignore_changes paths: the engine gives the new resource the old values
    # there (pulumi pkg/resource/deploy/step_generator.go, processIgnoreChanges runs before the
    # diff), so a replaced Auto Scaling group starts on the old launch template version.
    kept: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "type": self.type, "name": self.name,
                "because": list(self.because), "kept": list(self.kept)}  # fmt: skip


def _rows(document: dict[str, Any], where: str = "plan") -> dict[tuple[str, str], dict[str, Any]]:
    """The document's resources by (type, name), each row checked for the keys the diff reads:
    an earlier document is a file anyone may have edited."""
    resources = document.get("resources")
    if not isinstance(resources, list):
        raise ValueError(
            f"{where}: not a plan document: no `resources` list (write one with plan --json)"
        )
    rows = {}
    for n, row in enumerate(resources):
        at = f"{where}: resources[{n}]"
        if not isinstance(row, dict):
            raise ValueError(f"{at} is not an object; not a plan document")
        for key in ("type", "name"):
            expect(
                row.get(key),
                str,
                f"{at}.{key}",
                "a plan document names each resource's type and name",
            )
        expect(
            row.get("replace_on_change") or {},
            dict,
            f"{at}.replace_on_change",
            "it maps input names to values",
        )
        expect(
            row.get("inputs_sha256"),
            (str, type(None)),
            f"{at}.inputs_sha256",
            "it is a SHA-256 in hex",
        )
        rows[(row["type"], row["name"])] = row
    return rows


def diff_plans(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from ``old`` to ``new``, replacements first."""
    before, after = _rows(old), _rows(new)
    changes = [Change("delete", *key) for key in before if key not in after]
    for key, row in after.items():
        previous = before.get(key)
        if previous is None:
            changes.append(Change("create", *key))
            continue
        old_forcing = previous.get("replace_on_change") or {}
        new_forcing = row.get("replace_on_change") or {}
        forcing = tuple(
            sorted(k for k in old_forcing.keys() | new_forcing.keys()
                   if old_forcing.get(k) != new_forcing.get(k))
        )  # fmt: skip
        if forcing:
            kept = tuple(sorted(previous.get("ignore_changes") or []))
            changes.append(Change("replace", *key, forcing, kept))
        elif previous.get("inputs_sha256") != row.get("inputs_sha256"):
            changes.append(Change("update", *key))
    changes += _new_template_versions(changes, after)
    return sorted(changes, key=lambda c: (ORDER[c.action], c.type, c.name))


def _new_template_versions(
    changes: list[Change], after: dict[tuple[str, str], dict[str, Any]]
) -> list[Change]:
    """Updates of resources that carry the version of a changed launch template (under the mocks
    a template's latest version is always the first, so their own inputs did not differ)."""
    changed = {
        mock_id(c.name): c.name
        for c in changes
        if c.type == LAUNCH_TEMPLATE and c.action in ("update", "replace")
    }
    already = {(c.type, c.name) for c in changes}
    carried = []
    for key, row in after.items():
        templates = sorted(set(_version_carriers(row.get("properties"))) & changed.keys())
        if templates and key not in already:
            because = tuple(f"new version of {changed[t]}" for t in templates)
            carried.append(Change("update", *key, because))
    return carried


def _version_carriers(value: Any) -> list[str]:
    """Ids of the launch templates whose version ``value`` names (EC2 API shape)."""
    if isinstance(value, dict):
        found = (
            [value["LaunchTemplateId"]] if {"LaunchTemplateId", "Version"} <= value.keys() else []
        )
        return found + [t for v in value.values() for t in _version_carriers(v)]
    if isinstance(value, list):
        return [t for v in value for t in _version_carriers(v)]
    return []


MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # ours: a plan document of a big stack is a few hundred KB


def load_plan_document(path: Path) -> dict[str, Any]:
    """A `plan --json` document from a file, or a ValueError saying why it is not one."""
    try:
        document = load_json(path, limit=MAX_DOCUMENT_BYTES, what="a plan document")
    except InputFileError as error:
        raise ValueError(
            f"{error}; not a plan document (plan --json > {path} writes one)"
        ) from None
    if not isinstance(document, dict):
        raise ValueError(f"{path}: not a plan document (the top level is not an object)")
    _rows(document, str(path))
    return document
