"""Offline plan: run the real stack program under the mock engine and describe what it declares."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from . import program
from .testing import ProgramResult, resolve, run_program


@dataclass(frozen=True)
class Plan:
    stack: str
    result: ProgramResult
    cluster: Any  # the NeuronServingCluster the program built

    @property
    def user_data(self) -> str:
        return self.cluster.user_data

    @property
    def user_data_sha256(self) -> str:
        return hashlib.sha256(self.user_data.encode()).hexdigest()

    def resource_rows(self) -> list[dict[str, Any]]:
        """One row per resource, parents before children, siblings by name: a stable order."""
        by_parent: dict[str | None, list] = {}
        urns = {r.urn for r in self.result.resources}
        for r in self.result.resources:
            parent = r.parent_urn if r.parent_urn in urns else None
            by_parent.setdefault(parent, []).append(r)
        rows: list[dict[str, Any]] = []

        def walk(parent: str | None, depth: int) -> None:
            for r in sorted(by_parent.get(parent, []), key=lambda r: (r.type, r.name)):
                rows.append(
                    {
                        "depth": depth,
                        "type": r.type,
                        "name": r.name,
                        "parent": r.parent_name if parent else None,
                        "protect": r.protect,
                        "ignore_changes": r.ignore_changes,
                    }
                )
                walk(r.urn, depth + 1)

        walk(None, 0)
        return rows


def build_plan(stack: str) -> Plan:
    """Run program.main with the stack's config, offline. Raises the args' ValidationError."""
    config = program.load_stack_config(stack)
    region = config.get("aws:region", "us-east-1")
    name = program.stack_config_path(stack).stem.removeprefix("Pulumi.")
    result = run_program(
        program.main, config=config, project=program.PROJECT, stack=name, region=region
    )
    resolve(result.value.endpoint)
    return Plan(stack=name, result=result, cluster=result.value)
