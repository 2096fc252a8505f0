"""Every file the CLI reads, read one way: a regular file only (a FIFO or a device reports a size
of 0 and never ends), at most a stated number of bytes, UTF-8, and JSON or YAML parsed with a
depth cap, YAML without anchors, aliases or duplicate keys. Each problem is an InputFileError (a
ValueError: the CLI's bad-input path, exit code 2) that names the file and what is wrong.

Shape checks stay with each caller (a stack file, a plan document, a bench result), which knows
what it expects; ``expect`` helps them say it the same way.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import yaml

MAX_DEPTH = 64
"""Ours: the deepest document we read (a plan document) nests about 12 levels."""


class InputFileError(ValueError):
    """A file that cannot be used, with what is wrong and where."""


def _open_for_reading(path: Path) -> int:
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_bytes(path: Path, *, limit: int, what: str) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit``; ``what`` names the file in
    errors ("a stack file")."""
    try:
        fd = _open_for_reading(path)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a directory, not {what}") from None
    except PermissionError:
        raise InputFileError(f"{path}: not readable (permission denied)") from None
    except OSError as error:
        raise InputFileError(f"{path}: cannot be opened ({error.strerror})") from None
    mode = os.fstat(fd).st_mode
    for test, kind in _KINDS:
        if test(mode):
            os.close(fd)
            raise InputFileError(f"{path}: is {kind}, not {what}; give a regular file")
    with os.fdopen(fd, "rb") as source:
        try:
            data = source.read(limit + 1)
        except OSError as error:
            raise InputFileError(f"{path}: cannot be read ({error.strerror})") from None
    if len(data) > limit:
        raise InputFileError(f"{path}: over {_size(limit)}; {what} is at most {_size(limit)}")
    return data


def read_text(path: Path, *, limit: int, what: str) -> str:
    try:
        return read_bytes(path, limit=limit, what=what).decode("utf-8")
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not UTF-8 text") from None


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit // 1024} KiB"


def depth(value: Any, cap: int = MAX_DEPTH) -> int:
    """How deeply lists and mappings nest in ``value`` (a scalar is 0), counted up to ``cap + 1``
    without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list | tuple):
            deepest = max(deepest, level)
            if level <= cap:
                todo.extend((inner, level + 1) for inner in item)
    return deepest


def parse_json(text: str | bytes, *, where: str, max_depth: int = MAX_DEPTH) -> Any:
    """JSON nested at most ``max_depth`` levels; InputFileError says what is wrong and where."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise InputFileError(f"{where}: nested deeper than {max_depth} levels") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputFileError(f"{where}: not valid JSON ({error})") from None
    if depth(value, max_depth) > max_depth:
        raise InputFileError(f"{where}: nested deeper than {max_depth} levels")
    return value


def load_json(path: Path, *, limit: int, what: str, max_depth: int = MAX_DEPTH) -> Any:
    return parse_json(read_text(path, limit=limit, what=what), where=str(path), max_depth=max_depth)


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, refusing anchors and aliases (PyYAML sets no alias
    limit, yaml/pyyaml#235: a 1 KB alias bomb expands to gigabytes when walked), duplicate keys
    (PyYAML keeps the last silently; `pulumi config` refuses them) and nesting past a cap (the
    composer recurses once per level). Its C loader composes in C, where these would not apply."""

    max_depth = MAX_DEPTH

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._level = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # PyYAML's own, untyped
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, "YAML anchors and aliases are not accepted here", event.start_mark
            )
        self._level += 1
        try:
            if self._level > self.max_depth:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {self.max_depth} levels", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._level -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # unhashable: SafeConstructor reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found the key {key!r} twice; keep one",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, *, where: str, max_depth: int = MAX_DEPTH) -> Any:
    loader = type("_Loader", (_StrictLoader,), {"max_depth": max_depth})
    try:
        return yaml.load(text, Loader=loader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        raise InputFileError(f"{where}: not valid YAML: {error}") from None
    except RecursionError:
        raise InputFileError(f"{where}: nested too deeply") from None


def load_yaml(path: Path, *, limit: int, what: str, max_depth: int = MAX_DEPTH) -> Any:
    return parse_yaml(read_text(path, limit=limit, what=what), where=str(path), max_depth=max_depth)


def replace_text(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all: a new file renamed over it, in the folder of the file
    a link at ``path`` points to (so a linked stack file stays linked)."""
    target = Path(os.path.realpath(path))
    mode = target.stat().st_mode if target.exists() else 0o100644
    if not stat.S_ISREG(mode):
        raise InputFileError(f"{path}: not a regular file; it is left as it is")
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, stat.S_IMODE(mode))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def expect(value: Any, kind: type | tuple[type, ...], where: str, fix: str) -> Any:
    """``value`` when it is a ``kind`` (never a bool for int), else InputFileError naming it."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        raise InputFileError(f"{where} is {_kind(value)}; {fix}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "missing (null)"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), f"a {type(value).__name__}")
