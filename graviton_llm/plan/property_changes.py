"""Which properties of a resource differ between two plan documents, as paths a reviewer reads
(`ingress[0].cidrBlocks[0]`, `launchTemplate.version`), each old -> new and whether it forces a
replacement (its top-level input is ForceNew for the type). Values are the documents' own: a
secret is "[secret]" in both, so its value never shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_CHANGES = 200  # ours: past this many, a resource's changes are summarized
ABSENT = "(not set)"


@dataclass(frozen=True)
class PropertyChange:
    path: str
    old: Any
    new: Any
    forces_replacement: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new,
                "forces_replacement": self.forces_replacement}  # fmt: skip


def property_changes(
    old: dict[str, Any], new: dict[str, Any], ignored: tuple[str, ...], forcing: tuple[str, ...]
) -> tuple[PropertyChange, ...]:
    """Every leaf that differs, inputs under an ignore_changes path left out."""
    found: list[PropertyChange] = []
    for key in sorted(old.keys() | new.keys()):
        _walk(key, old.get(key, ABSENT), new.get(key, ABSENT), key in forcing, found)
    kept = [c for c in found if not _under(c.path, ignored)]
    return tuple(kept[:MAX_CHANGES])


def _walk(path: str, old: Any, new: Any, forces: bool, found: list[PropertyChange]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            _walk(f"{path}.{key}", old.get(key, ABSENT), new.get(key, ABSENT), forces, found)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _walk(f"{path}[{index}]", a, b, forces, found)
    else:
        found.append(PropertyChange(path, old, new, forces))


def _under(path: str, ignored: tuple[str, ...]) -> bool:
    """``path`` (with `[n]` indexes) at or under an ignore_changes path (dotted, `a.b`)."""
    plain = path.replace("[", ".").replace("]", "")
    return any(plain == i or plain.startswith(f"{i}.") for i in ignored)
