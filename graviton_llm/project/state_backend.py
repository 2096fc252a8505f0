"""The state backend's program, run once per account: `graviton-llm new DIR --state-backend`
scaffolds a project whose __main__.py calls ``main``; `pulumi up` there creates the bucket and
keys and prints how every team project logs in and encrypts its secrets."""

from __future__ import annotations

import re
from typing import cast

import pulumi

from ..args import StateBackendArgs, StateBackendArgsDict
from ..components.state_backend import StateBackend
from ..documents.state_backend import (
    STACK_PLACEHOLDER,
    key_alias,
    setup_commands,
    state_bucket_name,
)

# `pulumi stack init` takes a stack name or org/project/stack (pulumi/pulumi
# sdk/go/common/tokens/stack_name.go ParseStackName; each part 1-100 of A-Za-z0-9_.-).
_STACK_REFERENCE = re.compile(r"(?:[A-Za-z0-9_.-]{1,100}/){0,2}[A-Za-z0-9_.-]{1,100}")


def main() -> StateBackend:
    """`<project>:backend` (StateBackendArgs, optional) from the stack's config."""
    config = pulumi.Config()
    # A mapping of StateBackendArgs' fields: the component validates it.
    backend_args = cast(StateBackendArgsDict, config.get_object("backend") or {})
    backend = StateBackend("pulumi-state", backend_args)
    pulumi.export("bucket", backend.bucket_name)
    pulumi.export("state_key_arn", backend.state_key.arn)
    pulumi.export("secrets_key_arn", backend.secrets_key.arn)
    pulumi.export("login_url", backend.login_url)
    pulumi.export("secrets_provider", backend.secrets_provider)
    pulumi.export("login_command", pulumi.Output.format("pulumi login '{0}'", backend.login_url))
    pulumi.export(
        "stack_init_command",
        pulumi.Output.format(
            "pulumi stack init <stack> --secrets-provider '{0}'", backend.secrets_provider
        ),
    )
    return backend


def setup_lines(
    account: str,
    region: str,
    *,
    name_prefix: str = "pulumi-state",
    bucket_name: str | None = None,
    stack: str = STACK_PLACEHOLDER,
) -> list[str]:
    """The commands a team project runs against the backend ``main`` creates in ``account``
    and ``region``, offline (the same names the component derives). Bad input: ValueError."""
    if not re.fullmatch(r"[0-9]{12}", account):
        raise ValueError(f"--account {account!r}: an AWS account id is 12 digits (0-9)")
    if stack != STACK_PLACEHOLDER and not _STACK_REFERENCE.fullmatch(stack):
        raise ValueError(
            f"--stack {stack!r}: a stack name is 1-100 letters, digits, _ . - (optionally "
            "org/project/stack); it is printed into commands you paste into a shell"
        )
    args = StateBackendArgs(name_prefix=name_prefix, bucket_name=bucket_name, region=region)
    bucket = args.bucket_name or state_bucket_name(args.name_prefix, account, region)
    return setup_commands(bucket, key_alias(args.name_prefix, "secrets"), region, stack)
