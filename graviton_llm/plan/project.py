"""Offline plan of a team's own project (`graviton-llm plan PROJECT_DIR --stack NAME`): the
team's program run under the mock engine with the stack's config, every resource it declares
(ours and its own), every NeuronServingCluster in it with its user data digest, cost, cold start
and predicted performance, the security findings over all of it, and the cost of all its
clusters together. The document extends the single-cluster one (docs/plan-json.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..facts import catalog
from ..facts.units import HOURS_PER_MONTH
from ..pricing.cost import monthly
from ..project.files import Project, StackConfig, load_project, load_stack
from ..testing import ProgramResult
from .build import SCHEMA_VERSION, Plan, security_section
from .findings import SECRET_SHOWN
from .first_preview import FirstPreview, checked_at_deploy, first_preview_of
from .isolation import DEFAULT_TIMEOUT_S, program_label, run_in_child
from .resource_rows import document_value
from .team_program import ProgramRun, run_team_program

# The keys of a single-cluster plan that describe its one cluster: in a project plan they hold
# the only cluster's sections, or null when the project has none or several (see `clusters`).
SINGLE_CLUSTER_KEYS = (
    "user_data", "checked_at_deploy", "cost", "cold_start", "artifact_cache", "ami", "performance",
)  # fmt: skip


@dataclass(frozen=True)
class ProjectPlan:
    project: Project
    stack: StackConfig
    run: ProgramRun
    first_preview: FirstPreview | None = None  # the same program on a first preview

    @property
    def region(self) -> str:
        return self.stack.region

    def whole(self) -> Plan:
        """Every resource of the program, for the tree and the checks (no one cluster)."""
        return Plan(
            stack=self.stack.stack, region=self.region, result=self.run.result, cluster=None
        )

    def cluster_plans(self) -> list[Plan]:
        """One plan per cluster (its cost, user data, cold start, performance), by name."""
        clusters = sorted(self.run.clusters, key=lambda c: c._name)
        return [
            Plan(stack=self.stack.stack, region=self.region, result=self.run.result, cluster=c)
            for c in clusters
        ]

    @property
    def secure(self) -> bool:
        return self.whole().secure

    def document(self, full: bool = False) -> dict[str, Any]:
        """The `plan PROJECT_DIR --json` document (docs/plan-json.md). Same input, same bytes."""
        whole = self.whole()
        clusters = [cluster_section(plan, full) for plan in self.cluster_plans()]
        only = clusters[0] if len(clusters) == 1 else None
        return {
            "schema_version": SCHEMA_VERSION,
            "project": self.project.name,
            "stack": self.stack.stack,
            "region": self.region,
            "resource_count": len(self.run.result.resources),
            "resources": whole.resource_rows(),
            "first_preview": self.first_preview.section() if self.first_preview else None,
            "outputs": self.outputs(),
            "secret_config": sorted(self.stack.secret_keys),
            "security": security_section(whole.security(), self.run.result.resources),
            "clusters": clusters,
            "total_cost": total_cost(clusters),
            "stack_cost": whole.stack_cost(list(self.run.clusters)),
            **{key: only[key] if only else None for key in SINGLE_CLUSTER_KEYS},
        }

    def outputs(self) -> dict[str, Any]:
        """Stack outputs with mock values; a secret output shows as "[secret]"."""
        return {
            name: SECRET_SHOWN if name in self.run.secret_outputs else document_value(value)
            for name, value in self.run.result.stack_outputs.items()
        }


def cluster_section(plan: Plan, full: bool = False) -> dict[str, Any]:
    args = plan.cluster.args
    cache = plan.artifact_cache()
    if cache["enabled"]:  # run in the project's folder; --cluster picks one of several
        name = plan.cluster._name
        cache["prewarm"] = f"graviton-llm compile --stack {plan.stack} --cluster {name}"
    return {
        "name": plan.cluster._name,
        "model": args.model.id,
        "instance_type": args.instance_type,
        "nodes": args.desired_capacity,
        "checked_at_deploy": checked_at_deploy(plan.cluster),
        "user_data": plan.user_data_section(full),
        "cost": plan.cost(),
        "cold_start": plan.cold_start(),
        "artifact_cache": cache,
        "ami": plan.ami(),
        "performance": plan.performance(),
    }


def total_cost(clusters: list[dict[str, Any]]) -> dict[str, Any]:
    """What all the clusters bill together, on-demand: the sum of each one's billed instances
    (nodes, or its capacity reservations when more). A cluster without a snapshot price is
    listed, not guessed."""
    priced = [c for c in clusters if c["cost"]["total"] is not None]
    hourly = sum(c["cost"]["total"]["usd_per_hour"] for c in priced)
    return {
        "clusters": len(clusters),
        "nodes": sum(c["nodes"] for c in clusters),
        "billed_instances": sum(c["cost"]["billed_instances"] for c in clusters),
        "usd_per_hour": round(hourly, 5),
        "usd_per_month": round(monthly(hourly), 2),
        "unpriced_clusters": [c["name"] for c in clusters if c["cost"]["total"] is None],
        "hours_per_month": HOURS_PER_MONTH,
        "price_snapshot": {
            "date": catalog.PRICE_SNAPSHOT_DATE,
            "region": catalog.PRICE_SNAPSHOT_REGION,
            "source": catalog.PRICE_SNAPSHOT_SOURCE,
        },
    }


def project_plan_document(
    project_dir: Path,
    stack: str,
    *,
    full: bool = False,
    timeout: float = DEFAULT_TIMEOUT_S,
    stack_references: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The `plan PROJECT_DIR --json` document, the team's program run in a child process with a
    time limit (plan/isolation.py). The project and the stack file are read here first, so bad
    input is reported without starting a child. ``stack_references``: as build_project_plan."""
    project = load_project(project_dir)
    config = load_stack(project, stack)
    program = program_label(project, config)
    arguments = {
        "project_dir": str(project.root),
        "stack": stack,
        "full": full,
        "stack_references": {k: dict(v) for k, v in (stack_references or {}).items()},
    }
    document: dict[str, Any] = run_in_child(
        "project-plan", arguments, timeout=timeout, program=program
    )
    return document


def run_project(
    project_dir: Path | str,
    stack: str,
    *,
    preview: bool = True,
    first_preview: bool = False,
    stack_references: Mapping[str, Mapping[str, Any]] | None = None,
) -> ProgramResult:
    """Run a Pulumi project's program under the mock harness as the Pulumi CLI runs it, for a
    team's own tests: ``Pulumi.yaml`` (its ``main``, ``stackConfigDir`` and project ``config:``
    defaults) and ``Pulumi.<stack>.yaml`` (``secure:`` values as secrets) read as ``pulumi``
    reads them, the program run as ``__main__`` from its folder. The keywords are run_program's.
    Bad args raise the component's ArgsError; any other failure a ProgramError (a ConfigError)
    naming the program, its words and where in the project it failed."""
    project = load_project(Path(project_dir))
    config = load_stack(project, stack)
    run = run_team_program(
        project, config, preview=preview, first_preview=first_preview,
        stack_references=stack_references,
    )  # fmt: skip
    return run.result


def build_project_plan(
    project_dir: Path,
    stack: str,
    *,
    stack_references: Mapping[str, Mapping[str, Any]] | None = None,
) -> ProjectPlan:
    """Read the project and the stack, run the program offline (with the mocks' values, and again
    as a first preview). ``stack_references`` maps another stack's name ("org/project/stack") to
    the outputs a ``pulumi.StackReference`` to it reads (as run_program takes them); without
    them those values are unknown, and a check over one is "not judged". Bad input raises a
    ConfigError (the project or the stack file), a ProgramError (a ConfigError: a program that
    fails, with its words and where), or a component's ArgsError (refused args, every cluster's;
    a pydantic ValidationError only if the program validates an args model itself)."""
    project = load_project(project_dir)
    config = load_stack(project, stack)
    references = stack_references
    run = run_team_program(project, config, stack_references=references)
    first = run_team_program(project, config, first_preview=True, stack_references=references)
    return ProjectPlan(
        project=project, stack=config, run=run, first_preview=first_preview_of(first.result)
    )
