"""What a security check reads of a resource's inputs, and which unknowns it read.

A check reads inputs through a view: a secret's value in place of its mark, a value only the
deployment knows (an unknown on a preview) as None, nested maps and lists as views too. The view
is lazy, so it notes each unknown the check actually read (``Reads``): an unknown in a field the
check never looks at (a security group's new VPC id) does not touch its verdict. The policy pack
asks this to tell a violation the deployment cannot undo from one an unknown may yet undo, as
pulumi-policy's own proxy does for a policy that reads an unknown (pulumi_policy/proxy.py).
`plan` reads through the same view and ignores what was noted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

from pulumi.output import Unknown

# How the engine marks a secret among a resource's inputs: {SIG_KEY: SECRET_SIG, "value": v}
# (pulumi/sdk/python/lib/pulumi/runtime/rpc.py, _special_sig_key and _special_secret_sig).
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

Path = tuple[str, ...]


def is_secret_value(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(SECRET_SIG_KEY) == SECRET_SIG


class Reads:
    """The unknowns a check read, each with where it sits in the inputs, in the order read."""

    def __init__(self) -> None:
        self.unknown: list[tuple[Path, Unknown]] = []


def view(value: Any, reads: Reads | None = None, path: Path = ()) -> Any:
    """``value`` as a check reads it (see the module); ``reads`` notes each unknown read."""
    if isinstance(value, Unknown):
        if reads is not None:
            reads.unknown.append((path, value))
        return None
    if is_secret_value(value):
        return view(value.get("value"), reads, path)
    if isinstance(value, Mapping):
        return InputMap(value, reads, path)
    if isinstance(value, list | tuple):
        return InputList(value, reads, path)
    return value


class InputMap(Mapping[str, Any]):
    """A map of inputs, each value read through ``view`` when the check reads it."""

    __slots__ = ("_path", "_raw", "_reads")

    def __init__(self, raw: Mapping[str, Any], reads: Reads | None, path: Path) -> None:
        self._raw, self._reads, self._path = raw, reads, path

    def __getitem__(self, key: str) -> Any:
        return view(self._raw[key], self._reads, (*self._path, str(key)))

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        return f"InputMap({dict(self)!r})"


class InputList(Sequence[Any]):
    """A list of inputs, each item read through ``view`` when the check reads it."""

    __slots__ = ("_path", "_raw", "_reads")

    def __init__(self, raw: Sequence[Any], reads: Reads | None, path: Path) -> None:
        self._raw, self._reads, self._path = raw, reads, path

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self._raw))[index]]
        position = index if index >= 0 else len(self._raw) + index
        return view(self._raw[index], self._reads, (*self._path, str(position)))

    def __len__(self) -> int:
        return len(self._raw)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a list is not hashable either

    def __repr__(self) -> str:
        return f"InputList({list(self)!r})"


def is_list(value: Any) -> bool:
    """A list as a check meets it: a JSON array or an input list (not a string)."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)
