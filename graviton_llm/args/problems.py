"""One problem with a user's args, and one error that lists them all.

Every rule returns the problems it finds and never raises; the models collect every problem and
raise one pydantic ``ValidationError`` whose entries name the field, the bad value and what would
work, so a user fixes everything in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError


@dataclass(frozen=True)
class Problem:
    field: str
    value: Any
    message: str


def raise_if_problems(title: str, problems: list[Problem]) -> None:
    """One ValidationError (a ValueError) that lists every problem under its field name."""
    if not problems:
        return
    details = [
        InitErrorDetails(
            type=PydanticCustomError("graviton_llm", "{message}", {"message": p.message}),
            loc=tuple(p.field.split(".")),
            input=p.value,
        )
        for p in problems
    ]
    raise ValidationError.from_exception_data(title, details)
