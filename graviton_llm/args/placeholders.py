"""Values that stand in for what only the team knows: the all-zero VPC and subnet ids and the
`replace-me` weights bucket the scaffold and `size --write-stack` write. They validate (so a
fresh project plans offline), but deploy nowhere: `init-env` warns when one is carried into a new
environment's file."""

from __future__ import annotations

import re
from typing import Any

REPLACE_ME_BUCKET = "replace-me"
# An id whose hex digits are almost all zeros: random hex (real ids) has 17 digits, of which two
# or fewer non-zero happens with a chance below 1e-13.
_ID = re.compile(r"(vpc|subnet|cr|sg)-([0-9a-f]{8}|[0-9a-f]{17})")
_MAX_NONZERO_DIGITS = 2


def is_placeholder(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if value.startswith(f"s3://{REPLACE_ME_BUCKET}"):
        return True
    match = _ID.fullmatch(value)
    return match is not None and sum(d != "0" for d in match.group(2)) <= _MAX_NONZERO_DIGITS


def placeholder_fields(cluster: Any, path: str = "") -> list[tuple[str, str]]:
    """(field path, value) of every placeholder in a cluster's args mapping."""
    found: list[tuple[str, str]] = []
    if isinstance(cluster, dict):
        for key, value in cluster.items():
            found += placeholder_fields(value, f"{path}.{key}" if path else str(key))
    elif isinstance(cluster, list):
        for index, value in enumerate(cluster):
            found += placeholder_fields(value, f"{path}.{index}")
    elif is_placeholder(cluster):
        found.append((path, str(cluster)))
    return found
