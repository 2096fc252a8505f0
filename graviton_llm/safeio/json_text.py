"""The one way we write a JSON document (plan --json, size --json, a bench run's report, a saved
calibration, an error document): two-space indent, sorted keys, a final newline, and no NaN or
Infinity (which no JSON parser but Python's reads). The same document gives the same bytes,
whichever command wrote it.

Not for what is sent to AWS: an IAM policy's bytes are a resource input held in deployed state
(documents/iam.policy_json keeps their own, unchanged form)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def to_json(document: Mapping[str, Any]) -> str:
    """``document`` as the text we write; ValueError on a NaN or infinite number."""
    return json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n"
