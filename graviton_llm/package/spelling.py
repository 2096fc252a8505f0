"""Our fields as the package's schema names them, for refusals a program in another language
reads: `maxModelLen`, `model.weightsUri`, `subnetIds[0]`, in the property path and in the fix
text alike (args/refusals.py asks this while the package builds a component).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pulumi.provider.experimental.util import camel_case

# A field at the start of a path or after a dot (not a map key in brackets and quotes).
_PATH_FIELD = re.compile(r"(^|\.)([A-Za-z_][A-Za-z0-9_]*)")
# Quoted text in a fix is a value the user gave: never renamed.
_QUOTED = re.compile(r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


class SchemaSpelling:
    """Each of ``fields`` (our snake_case names) as the schema spells it."""

    def __init__(self, fields: Iterable[str]) -> None:
        names = sorted({f for f in fields if camel_case(f) != f}, key=len, reverse=True)
        self._schema = {name: camel_case(name) for name in names}
        self._word = (
            re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b") if names else None
        )

    def path(self, path: str) -> str:
        """model.weights_uri -> model.weightsUri; subnet_ids[0] -> subnetIds[0]."""
        return _PATH_FIELD.sub(lambda m: m.group(1) + camel_case(m.group(2)), path)

    def text(self, text: str) -> str:
        """Each field name outside quotes in the schema's spelling (a value stays as given)."""
        if self._word is None:
            return text
        word = self._word
        parts = _QUOTED.split(text)
        return "".join(
            part if i % 2 else word.sub(lambda m: self._schema[m.group(1)], part)
            for i, part in enumerate(parts)
        )
