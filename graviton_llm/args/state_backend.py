"""StateBackendArgs: what a user may set on the account's state bucket and keys, refused the way
S3 and KMS would refuse it."""

from __future__ import annotations

import re

from pydantic import Field, model_validator

from .base import ArgsModel
from .components import OUR_TAGS
from .fields import _bucket_problem
from .identifiers import region_name_problems, tag_problems
from .problems import Problem, raise_if_problems

# The longest region name today has 14 characters (ap-southeast-5); an account id has 12. The
# derived bucket name, <prefix>-<account>-<region>, must fit S3's 63 characters.
MAX_PREFIX = 63 - 1 - 12 - 1 - 14
_PREFIX = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


class StateBackendArgs(ArgsModel):
    """The S3 bucket every stack of the account keeps its state in, and two KMS keys: one
    encrypting the bucket (SSE-KMS), one the stacks' secrets (`awskms://` secrets provider)."""

    name_prefix: str = "pulumi-state"
    """Names the bucket (<prefix>-<account>-<region>) and the key aliases (alias/<prefix>-state,
    alias/<prefix>-secrets): lowercase letters, digits and '-', at most 35 characters."""
    bucket_name: str | None = None
    """The bucket's exact name instead of the derived one (S3 naming rules; bucket names are global,
    so the derived name carries the account and region)."""
    region: str | None = None
    """AWS region of the bucket and keys; default: aws:region."""
    key_deletion_window_days: int = Field(default=30, ge=7, le=30)
    """Days a key scheduled for deletion can still be recovered (KMS allows 7-30); the keys are
    protected from `pulumi destroy` as well."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Tags on every resource."""

    @model_validator(mode="after")
    def _validate(self) -> StateBackendArgs:
        problems: list[Problem] = []
        if len(self.name_prefix) > MAX_PREFIX or not _PREFIX.fullmatch(self.name_prefix):
            problems.append(
                Problem("name_prefix", self.name_prefix, f"1-{MAX_PREFIX} lowercase "
                        "letters, digits and '-', not starting or ending with '-'")
            )  # fmt: skip
        if self.bucket_name is not None:
            problem = _bucket_problem(self.bucket_name)
            if problem:
                problems.append(Problem("bucket_name", self.bucket_name, f"give {problem}"))
        if self.region is not None:
            problems += region_name_problems("region", self.region)
        problems += tag_problems("tags", self.tags, ours=OUR_TAGS, instance_metadata=False)
        raise_if_problems(type(self).__name__, problems)
        return self
