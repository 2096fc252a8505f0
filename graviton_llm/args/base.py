"""What every args model shares: unknown fields are errors, and a value may be a Pulumi Output."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict

# A plain value or a Pulumi Output (e.g. the id of a VPC the same stack creates).
StrInput = str | pulumi.Output


class ArgsModel(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
