"""Another stack's outputs for a team program's `pulumi.StackReference`s, offline
(`graviton-llm plan PROJECT_DIR --stack-references FILE`): no backend is reachable, so without
them every value read from another stack is unknown and the checks over it are not judged.

The file (YAML or JSON) maps each referenced stack's name, as the program writes it, to its
outputs, as `pulumi stack output --json` prints them for that stack::

    acme/network/prod:
      vpc_id: vpc-0aaaaaaaaaaaaaaaa
      private_subnet_ids: [subnet-0aaaaaaaaaaaaaaa1, subnet-0aaaaaaaaaaaaaaa2]
      allowed_cidr: 10.0.0.0/8

It is what `graviton_llm.testing.run_program(stack_references=...)` takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .stack_files import ConfigError, load_yaml


def load_stack_references(path: Path) -> dict[str, dict[str, Any]]:
    """The stacks' outputs in ``path``, or a ConfigError naming what is wrong."""
    document = load_yaml(path)
    fix = "give a mapping of stack names ('org/project/stack') to their outputs"
    if not isinstance(document, dict) or not document:
        raise ConfigError(f"{path}: not a mapping of stacks; {fix}")
    references: dict[str, dict[str, Any]] = {}
    for stack, outputs in document.items():
        if not isinstance(stack, str) or not stack.strip():
            raise ConfigError(f"{path}: {stack!r} is not a stack name; {fix}")
        if not isinstance(outputs, dict) or not all(isinstance(k, str) for k in outputs):
            raise ConfigError(
                f"{path}: {stack!r} holds no mapping of output names to values; give its "
                "outputs as `pulumi stack output --json` prints them"
            )
        references[stack] = dict(outputs)
    return references
