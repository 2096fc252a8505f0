"""Units and billing conventions every layer shares."""

from __future__ import annotations

GIB = 1024**3

# AWS pricing pages bill a month as 730 hours (8,760 h / 12).
HOURS_PER_MONTH = 730
HOURS_PER_YEAR = 12 * HOURS_PER_MONTH  # 8,760
SECONDS_PER_HOUR = 3600
