"""How values reach the node's shell scripts: only as quoted data.

A value from the user becomes a `readonly NAME='...'` assignment (shlex-quoted) that the script
reads as a variable; templates are plain text files beside this module, used as they are:
nothing is filled into their text.
"""

from __future__ import annotations

import shlex
from importlib import resources


def assign(name: str, value: str | int) -> str:
    """A shell assignment that holds ``value`` as data, whatever characters it has (bash cannot
    hold a NUL, so a value with one is refused)."""
    text = str(value)
    if "\x00" in text:
        raise ValueError(f"{name}: a NUL character cannot reach the node's shell")
    return f"readonly {name}={shlex.quote(text)}"


def template(name: str) -> str:
    """templates/<name>, as it is."""
    return resources.files(__package__).joinpath("templates", name).read_text()
