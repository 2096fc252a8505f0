"""`plan --against OLD.json`: what a deployment of the new plan would do to each resource of the
old one, from two plan documents alone (no state, no cloud): the action, each property that
changes (old -> new; a secret shows as "[secret]" on both sides, its value never), why a
replacement happens, and what the stack's monthly cost becomes.

A resource is keyed by type and name (its URN within the stack). Present only in the new plan:
create; only in the old: delete; in both: replace when an input the provider marks ForceNew
differs (facts/aws_replacements.py: the row's `replace_on_change`, or its `inputs` under the
type's rule), update when any other input differs (`inputs`, `inputs_sha256`), "may-replace"
for a type we have no rule for (any change may replace it: never shown as a plain update), else
nothing. Inputs under the resource's `ignore_changes` are not compared, as Pulumi does not. One
change the mock engine cannot show by itself: every update of a launch template publishes a new
version in AWS, so a resource that carries the template's version (the cluster's rollout) is
updated with it. A Pulumi replacement creates the new resource before deleting the old unless
the resource says otherwise; for a load balancer or an Auto Scaling group either way is an outage
or a full rollout, which is why a reviewer should see it before `pulumi up`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..facts.aws_replacements import has_replacement_rule, replacing_inputs
from ..facts.resource_types import DYNAMIC_RESOURCE, LAUNCH_TEMPLATE, NEURON_SERVING_CLUSTER
from ..safeio.files import InputFileError, expect, load_json
from ..testing.answers import mock_id
from .property_changes import PropertyChange, property_changes

Action = Literal["create", "update", "replace", "may-replace", "delete"]
ORDER: dict[Action, int] = {"replace": 0, "may-replace": 1, "delete": 2, "create": 3, "update": 4}
CLUSTER = NEURON_SERVING_CLUSTER
DYNAMIC = DYNAMIC_RESOURCE


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
    properties: tuple[PropertyChange, ...] = ()
    reason: str | None = None  # why a replacement happens (or may), in words

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "type": self.type, "name": self.name,
                "because": list(self.because), "kept": list(self.kept),
                "properties": [p.as_dict() for p in self.properties],
                "reason": self.reason}  # fmt: skip


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
            expect(row.get(key), str, f"{at}.{key}",
                   "a plan document names each resource's type and name")  # fmt: skip
        expect(row.get("replace_on_change") or {}, dict, f"{at}.replace_on_change",
               "it maps input names to values")  # fmt: skip
        expect(row.get("inputs_sha256"), (str, type(None)), f"{at}.inputs_sha256",
               "it is a SHA-256 in hex")  # fmt: skip
        expect(row.get("inputs", {}), dict, f"{at}.inputs", "it maps input names to values")
        rows[(row["type"], row["name"])] = row
    return rows


def diff_plans(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from ``old`` to ``new``, replacements first."""
    before, after = _rows(old), _rows(new)
    kinds = {name: type_ for type_, name in after}
    changes = [Change("delete", *key) for key in before if key not in after]
    for key, row in after.items():
        previous = before.get(key)
        if previous is None:
            changes.append(Change("create", *key))
            continue
        change = _compare(key, previous, row, kinds)
        if change is not None:
            changes.append(change)
    changes = _new_ids(changes, after, kinds)
    changes += _new_template_versions(changes, after)
    return sorted(changes, key=lambda c: (ORDER[c.action], c.type, c.name))


def _new_ids(changes: list[Change], after: dict[tuple[str, str], dict[str, Any]],
             kinds: dict[str, str]) -> list[Change]:  # fmt: skip
    """What a replacement does to the resources that name it: a replaced resource gets a new id
    in AWS (the mocks keep the old one), so every input holding its id changes too, replacing
    the holder when that input is ForceNew (a subnet's route table association), which may
    replace the next, and updating it otherwise (an Auto Scaling group's subnets)."""
    by_key = {(c.type, c.name): c for c in changes}
    done: set[str] = set()
    while True:
        replaced = {mock_id(c.name, c.type): c.name for c in by_key.values()
                    if c.action == "replace" and mock_id(c.name, c.type) not in done}  # fmt: skip
        if not replaced:
            return list(by_key.values())
        done |= replaced.keys()
        for key, row in sorted(after.items()):
            holding = {k: sorted(replaced[i] for i in replaced if _holds(v, i))
                       for k, v in (row.get("inputs") or {}).items()}  # fmt: skip
            holding = {k: names for k, names in holding.items() if names}
            if holding:
                by_key[key] = _carried(by_key.get(key), key, row, holding, kinds)


def _carried(change: Change | None, key: tuple[str, str], row: dict[str, Any],
             holding: dict[str, list[str]], kinds: dict[str, str]) -> Change:  # fmt: skip
    type_, name = key
    new_ids = {f"new id of {n}" for names in holding.values() for n in names}
    because = tuple(sorted({*(change.because if change else ()), *new_ids}))
    forcing = sorted(k for k in holding if k in replacing_inputs(type_))
    properties = change.properties if change else ()
    if forcing or (change is not None and change.action == "replace"):
        reason = (change.reason if change is not None and change.action == "replace" else
                  f"{', '.join(forcing)} names a replaced resource, whose id changes, and is "
                  f"ForceNew for {type_}")  # fmt: skip
        kept = tuple(sorted(row.get("ignore_changes") or []))
        return Change("replace", type_, name, because, kept, properties, reason)
    if _may_replace(type_, row, kinds):
        return Change("may-replace", type_, name, because, (), properties,
                      f"no replacement rule for {type_}")  # fmt: skip
    return Change("update", type_, name, because, (), properties)


def _holds(value: Any, wanted: str) -> bool:
    if isinstance(value, str):
        return value == wanted
    if isinstance(value, dict):
        return any(_holds(v, wanted) for v in value.values())
    if isinstance(value, list):
        return any(_holds(v, wanted) for v in value)
    return False


def _compare(key: tuple[str, str], previous: dict[str, Any], row: dict[str, Any],
             kinds: dict[str, str]) -> Change | None:  # fmt: skip
    type_, name = key
    ignored = tuple(row.get("ignore_changes") or [])
    properties: tuple[PropertyChange, ...] = ()
    if "inputs" in previous and "inputs" in row:
        properties = property_changes(previous["inputs"], row["inputs"], ignored,
                                      replacing_inputs(type_))  # fmt: skip
    old_forcing = previous.get("replace_on_change") or {}
    new_forcing = row.get("replace_on_change") or {}
    forcing = {k for k in old_forcing.keys() | new_forcing.keys()
               if old_forcing.get(k) != new_forcing.get(k)}  # fmt: skip
    forcing |= {p.path.split(".")[0].split("[")[0] for p in properties if p.forces_replacement}
    changed = bool(properties) or previous.get("inputs_sha256") != row.get("inputs_sha256")
    if forcing:
        kept = tuple(sorted(previous.get("ignore_changes") or []))
        reason = (f"{', '.join(sorted(forcing))}: ForceNew in the AWS provider's schema for "
                  f"{type_} (AWS cannot change it in place): the old resource is deleted and a "
                  "new one created")  # fmt: skip
        return Change("replace", type_, name, tuple(sorted(forcing)), kept, properties, reason)
    if not changed:
        return None
    if _may_replace(type_, row, kinds):
        reason = (f"no replacement rule for {type_}: the provider decides whether these changes "
                  "are made in place or by a replacement; check its documentation or "
                  "`pulumi preview`")  # fmt: skip
        return Change("may-replace", type_, name, (), (), properties, reason)
    return Change("update", type_, name, (), (), properties)


def _may_replace(type_: str, row: dict[str, Any], kinds: dict[str, str]) -> bool:
    if row.get("custom") is False or type_ == CLUSTER or has_replacement_rule(type_):
        return False  # a component has no cloud object of its own to replace
    # The cluster's rollout (components/instance_refresh.py): its provider never replaces.
    return not (type_ == DYNAMIC and kinds.get(row.get("parent") or "") == CLUSTER)


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


def cost_change(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    """The whole stack's monthly cost before and after, and by resource where it moves; None
    when the earlier document has no `stack_cost` (written before it existed)."""
    before, after = old.get("stack_cost"), new.get("stack_cost")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None
    old_by, new_by = _monthly_by_resource(before), _monthly_by_resource(after)
    moved = [
        {"resource": name, "usd_per_month_old": round(old_by.get(name, 0.0), 2),
         "usd_per_month_new": round(new_by.get(name, 0.0), 2),
         "delta": round(new_by.get(name, 0.0) - old_by.get(name, 0.0), 2)}
        for name in sorted(old_by.keys() | new_by.keys())
        if round(old_by.get(name, 0.0), 2) != round(new_by.get(name, 0.0), 2)
    ]  # fmt: skip
    total_old, total_new = sum(old_by.values()), sum(new_by.values())
    return {"usd_per_month_old": round(total_old, 2), "usd_per_month_new": round(total_new, 2),
            "delta": round(total_new - total_old, 2), "resources": moved}  # fmt: skip


def _monthly_by_resource(cost: dict[str, Any]) -> dict[str, float]:
    sums: dict[str, float] = {}
    for line in cost.get("lines") or []:
        if isinstance(line, dict) and isinstance(line.get("usd_per_month"), int | float):
            name = str(line.get("resource"))
            sums[name] = sums.get(name, 0.0) + float(line["usd_per_month"])
    return sums


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

