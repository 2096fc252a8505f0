"""The one way the CLI prints: whatever a user, a file, a team's program or a server wrote is
shown as the characters it is, never interpreted.

Rich interprets `[bold]...[/]` markup and `:emoji:` codes in any string it prints, so a stack
value of `[/]` raised a MarkupError (a traceback, exit code 1) and `[bold red]ok[/bold red]`
printed as a bold "ok"; and nothing stops an ESC sequence in a value from reaching the terminal
(clearing the screen, retitling the window, hiding text). A SafeConsole turns markup, emoji and
highlighting off for every string, whatever a caller passes, and shows control characters as
visible escapes; styling is explicit (``styled``, ``rich.text.Text``, ``style=``), so a template
and the values in it can never be confused.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

# C0 controls but tab and newline, DEL, C1 controls (ECMA-48: CSI is also the single byte 0x9b),
# and the Unicode format characters that reorder or hide text (bidi overrides, isolates, marks;
# CVE-2021-42574 "Trojan Source").
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")

MIN_WIDTH = 40
"""Narrower than this, a table shows nothing useful: COLUMNS=0 printed nothing at all."""
PIPED_WIDTH = 140
"""Piped or in CI, rich assumes 80 columns and folds the resource table; 140 keeps rows whole."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character shown as a visible escape (ESC as `\\x1b`)."""
    return _CONTROL.sub(_escape, text)


class SafeConsole(Console):
    """A rich Console that prints text as text: no markup, no emoji codes, no highlighting (a
    per-call ``markup=True`` is ignored), control characters escaped."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(markup=False, emoji=False, highlight=False)
        super().__init__(**kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs.update(markup=False, emoji=False, highlight=False)
        return super().render_str(printable(text), **kwargs)

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        # Text objects built by callers (styled pieces, table cells) skip render_str: escape
        # their control characters here too, as they are drawn.
        for segment in super().render(renderable, options):
            if segment.control or not _CONTROL.search(segment.text):
                yield segment
            else:
                yield Segment(printable(segment.text), segment.style)


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line of plain strings and (string, style) pairs: the strings are never markup."""
    return Text.assemble(*parts)


def _dimension(environ: Mapping[str, str], name: str, floor: int) -> int | None:
    value = environ.get(name, "").strip()
    if value.isascii() and value.isdigit():  # not `isdigit` alone: "\u0663" is a digit too
        return min(max(int(value), floor), 10_000)
    return None


def terminal_size(
    environ: dict[str, str] | None = None, tty: bool | None = None
) -> tuple[int, int]:
    """(columns, lines): COLUMNS and LINES when they are usable numbers (at least MIN_WIDTH
    columns, 10 lines); else the terminal's, or PIPED_WIDTH x 25 when output is not a terminal.
    Always explicit: rich would otherwise take COLUMNS=0 at its word and print nothing."""
    variables: Mapping[str, str] = os.environ if environ is None else environ
    tty = sys.stdout.isatty() if tty is None else tty
    columns, lines = PIPED_WIDTH, 25
    if tty:
        try:
            columns, lines = os.get_terminal_size(sys.stdout.fileno())
        except (OSError, ValueError):
            columns, lines = 80, 25
    return (
        _dimension(variables, "COLUMNS", MIN_WIDTH) or max(columns, MIN_WIDTH),
        _dimension(variables, "LINES", 10) or max(lines, 10),
    )


def console_for_this_run(**kwargs: Any) -> SafeConsole:
    """This invocation's console (stdout; ``stderr=True`` for diagnostics)."""
    width, height = terminal_size()
    return SafeConsole(width=width, height=height, **kwargs)
