"""How values reach the node's shell scripts: only as quoted data.

A value from the user becomes a `readonly NAME='...'` assignment (shlex-quoted) that the script
reads as a variable; templates are plain text files beside this module, and the only thing
filled into their text is an integer (a chip count), never a string.
"""

from __future__ import annotations

import re
import shlex
from importlib import resources

_TOKEN = re.compile(r"@([A-Z_]+)@")


def assign(name: str, value: str | int) -> str:
    """A shell assignment that holds ``value`` as data, whatever characters it has (bash cannot
    hold a NUL, so a value with one is refused)."""
    text = str(value)
    if "\x00" in text:
        raise ValueError(f"{name}: a NUL character cannot reach the node's shell")
    return f"readonly {name}={shlex.quote(text)}"


def template(name: str, **numbers: int) -> str:
    """templates/<name>, with each @NAME@ replaced by an integer."""
    text = resources.files(__package__).joinpath("templates", name).read_text()
    for key, number in numbers.items():
        if not isinstance(number, int) or isinstance(number, bool):
            raise TypeError(f"{name}: @{key}@ takes an integer, got {number!r}")
        text = text.replace(f"@{key}@", str(number))
    left = _TOKEN.findall(text)
    if left:
        raise ValueError(f"{name}: no value for {', '.join(sorted(set(left)))}")
    return text
