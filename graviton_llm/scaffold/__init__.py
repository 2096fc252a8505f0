"""`graviton-llm new DIR`: a team's Pulumi project from the templates shipped in this package.

Two kinds: ``cluster`` (Pulumi.yaml, a `__main__.py` composing one cluster from typed config,
Pulumi.dev.yaml and a stricter Pulumi.prod.yaml, requirements.txt pinning this package, tests
that plan every stack offline, a README on going live) and ``state-backend`` (the account's
state bucket and secrets key, once per account). Templates are plain files; the only things
filled in are the project's name, this package's version and the requirements.txt line that
installs it (``requirement``: a pinned version from an index, a wheel file or a git URL).
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from dataclasses import dataclass
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path

KINDS = {"cluster": "cluster", "state-backend": "state_backend"}
# Shipped without their dot (package data globs skip hidden files).
_RENAMED = {"gitignore": ".gitignore"}
# Pulumi project names: letters, digits, '-', '_' and '.' (Pulumi project file reference).
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}", re.ASCII)


class ScaffoldError(ValueError):
    """A project that cannot be written where asked, with why."""


@dataclass(frozen=True)
class Written:
    project: str
    directory: Path
    files: tuple[Path, ...]


def package_version() -> str:
    try:
        return metadata.version("graviton-llm")
    except metadata.PackageNotFoundError:  # a source tree without an install
        return "0.1.0"


def default_requirement() -> str:
    """graviton-llm at the version that wrote the project, from whatever index pip uses."""
    return f"graviton-llm=={package_version()}"


def checked_requirement(line: str) -> str:
    """One requirements.txt line (pip's format: a specifier, a path or URL, `name @ url`, or an
    option such as --extra-index-url), refused when it could not be one."""
    text = line.strip()
    if not text or len(text) > 1000 or not text.isprintable() or "{{" in text:
        raise ScaffoldError(
            f"--requirement {line!r}: one line of requirements.txt, e.g. graviton-llm==0.1.0, "
            "./wheels/graviton_llm-0.1.0-py3-none-any.whl or "
            "'graviton-llm @ git+https://github.com/<org>/graviton-llm@v0.1.0'"
        )
    return text


def default_name(directory: Path) -> str:
    """The folder's name, reduced to what a Pulumi project name allows."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", directory.resolve().name).strip("-.")
    return name or "llm-serving"


def _files(root: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__":
            continue
        relative = f"{prefix}{_RENAMED.get(entry.name, entry.name)}"
        if entry.is_dir():
            found += _files(entry, relative + "/")
        else:
            found.append((relative, entry))
    return found


def create_project(
    directory: Path,
    *,
    name: str | None = None,
    kind: str = "cluster",
    force: bool = False,
    requirement: str | None = None,
) -> Written:
    """Write the ``kind`` project into ``directory`` (created if missing). A non-empty folder is
    refused unless ``force``, which overwrites files of the same names and keeps the others."""
    if kind not in KINDS:
        raise ScaffoldError(f"kind {kind!r}: one of {', '.join(KINDS)}")
    name = name or default_name(directory)
    if not _NAME.fullmatch(name):
        raise ScaffoldError(
            f"project name {name!r}: 1-100 letters, digits, - _ . (pass --name to choose one)"
        )
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(f"{directory}: exists and is not a folder")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        entries = sorted(p.name for p in directory.iterdir())
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        raise ScaffoldError(
            f"{directory} is not empty ({shown}); "
            "choose an empty folder, or pass --force to write the project's files into it "
            "(files of the same names are overwritten)"
        )
    templates = resources.files(__package__).joinpath("templates", KINDS[kind])
    line = checked_requirement(requirement) if requirement is not None else default_requirement()
    values = {"{{project}}": name, "{{version}}": package_version(), "{{requirement}}": line}
    files = _files(templates)
    for relative, _ in files:
        _refuse_links(directory, relative)  # all checked before the first file is written
    written = []
    for relative, source in files:
        text = source.read_text(encoding="utf-8")
        for token, value in values.items():
            text = text.replace(token, value)
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace(target, text)
        written.append(target)
    return Written(project=name, directory=directory, files=tuple(written))


def _refuse_links(directory: Path, relative: str) -> None:
    """--force writes into a folder someone else may have filled: a symbolic link there (at
    the file, or at a folder on its way) would lead a write out of the folder."""
    parts = relative.split("/")
    for depth in range(1, len(parts) + 1):
        path = directory.joinpath(*parts[:depth])
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            return
        wanted = stat.S_ISREG if depth == len(parts) else stat.S_ISDIR
        if stat.S_ISLNK(mode) or not wanted(mode):
            kind = "a symbolic link" if stat.S_ISLNK(mode) else "neither a folder nor a file"
            raise ScaffoldError(
                f"{path} is {kind}; `new --force` never writes through links or over special "
                "files: remove it, or choose another folder"
            )


def _replace(target: Path, text: str) -> None:
    """Write ``target`` by renaming a new file over it: a link put there meanwhile is replaced,
    never followed."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
