"""What every args model shares: unknown fields are errors, and a value may be a Pulumi Output."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict

# A plain value or a Pulumi Output (e.g. the id of a VPC the same stack creates).
StrInput = str | pulumi.Output


class ArgsModel(BaseModel):
    """Unknown fields are errors; types are strict (YAML's `true` is not the port 1, "8000" is
    not a number) and floats finite."""

    model_config = ConfigDict(
        extra="forbid", arbitrary_types_allowed=True, strict=True, allow_inf_nan=False
    )
