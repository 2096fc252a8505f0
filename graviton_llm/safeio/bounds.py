"""Bounds on every number a user or a file gives: finite, within a stated range, an integer where
one is meant (never a bool: YAML's `true` is not 1), and the same wording everywhere.

click's FloatRange lets NaN through (every comparison with it is false), and an unbounded count
is a memory or time bomb (`size --min-nodes 1000000000` allocated 7.45 GiB); so float options take
``finite_option`` and integer options `min=`/`max=` (click's IntRange), and numbers read from files
go through ``require_number``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import typer


def number_problem(
    value: Any,
    *,
    minimum: float,
    maximum: float,
    integer: bool = False,
    open_minimum: bool = False,
) -> str | None:
    """Why ``value`` is not such a number, or None when it is."""
    low = f"> {minimum:g}" if open_minimum else f">= {minimum:g}"
    kind = "an integer" if integer else "a finite number"
    wanted = f"{kind} {low} and <= {maximum:g}"
    allowed = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, allowed):
        return f"{value!r} is not {wanted}"
    if not math.isfinite(value):
        return f"{value!r} is not {wanted}"
    if (value <= minimum if open_minimum else value < minimum) or value > maximum:
        return f"{value!r} is not {wanted}"
    return None


def require_number(value: Any, where: str, **bounds: Any) -> Any:
    """``value`` when ``number_problem`` finds none; else ValueError naming ``where``."""
    problem = number_problem(value, **bounds)
    if problem is not None:
        raise ValueError(f"{where}: {problem}")
    return value


def finite_option(
    minimum: float, maximum: float, *, open_minimum: bool = False
) -> Callable[[float | None], float | None]:
    """A typer callback: the option, when given, is a finite number in range."""

    def check(value: float | None) -> float | None:
        if value is None:
            return None
        problem = number_problem(value, minimum=minimum, maximum=maximum, open_minimum=open_minimum)
        if problem is not None:
            raise typer.BadParameter(problem)
        return value

    return check
