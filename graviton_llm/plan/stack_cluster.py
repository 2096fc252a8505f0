"""The cluster a command acts on (`ami`, `compile`, `cost`, `reserve`, `rollout status`): a shipped
stack's, a team project's `<project>:cluster` mapping (read without running anything), or, for a
program that builds its clusters its own way (from other config keys, Outputs, several clusters),
the NeuronServingClusters its program declares, run offline as `plan PROJECT_DIR` runs it: in a
child process with a time limit (plan/isolation.py), since the program is code we did not write.

Across the process boundary a cluster travels as JSON (``cluster_entry``): its name, region, API
key pointer and the args its program gave (pydantic's set fields), an Output among them as
``{"__output__": null}``; the parent validates those args again (``cluster_from_entry``), each
Output standing in as an Output of nothing, as offline the value is unknown anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from ..args import NeuronServingClusterArgs, ResolvedClusterArgs
from ..project.cluster_stacks import ClusterStack, cluster_stack
from ..project.files import Project, StackConfig, load_project, load_stack
from ..project.stack_files import ConfigError
from .isolation import program_label, run_in_child
from .limits import DEFAULT_TIMEOUT_S

OUTPUT_MARK = "__output__"


@dataclass(frozen=True)
class ProjectClusters:
    """Every cluster a team's program declares on a stack, by name."""

    project: Project
    stack: StackConfig
    clusters: dict[str, tuple[ResolvedClusterArgs, dict[str, Any]]]  # name: (args, entry)

    @property
    def names(self) -> list[str]:
        return sorted(self.clusters)


def cluster_entry(cluster: Any) -> dict[str, Any]:
    """A NeuronServingCluster the child built, as JSON."""
    args: ResolvedClusterArgs = cluster.args
    return {
        "name": cluster._name,
        "region": args.region,
        "api_key_pointer": cluster._api_key_pointer,
        # An Output where pydantic's serializer expects a list is kept as it is: no warning.
        "args": _without_outputs(args.model_dump(exclude_unset=True, warnings=False)),
    }


def _without_outputs(value: Any) -> Any:
    if isinstance(value, pulumi.Output):
        return {OUTPUT_MARK: None}
    if isinstance(value, dict):
        return {k: _without_outputs(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_outputs(v) for v in value]
    return value


def _with_outputs(value: Any) -> Any:
    if isinstance(value, dict):
        if value.keys() == {OUTPUT_MARK}:
            return pulumi.Output.from_input(None)  # what only the deployment knows
        return {k: _with_outputs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_outputs(v) for v in value]
    return value


def cluster_from_entry(entry: dict[str, Any]) -> ResolvedClusterArgs:
    return NeuronServingClusterArgs.model_validate(_with_outputs(entry["args"])).resolved()


def project_clusters(
    project_dir: Path, stack: str, *, timeout: float = DEFAULT_TIMEOUT_S
) -> ProjectClusters:
    """Run the project's program in a child (bad input, a program that fails or loops: a
    ConfigError or the args' refusal) and read back its clusters."""
    project = load_project(project_dir)
    config = load_stack(project, stack)
    program = program_label(project, config)
    entries: list[dict[str, Any]] = run_in_child(
        "project-clusters",
        {"project_dir": str(project.root), "stack": stack},
        timeout=timeout,
        program=program,
    )
    clusters = {entry["name"]: (cluster_from_entry(entry), entry) for entry in entries}
    return ProjectClusters(project, config, clusters)


def stack_cluster(
    stack: str,
    project_dir: Path | None,
    cluster: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> ClusterStack:
    """Bad input (no such cluster, several without ``cluster``) raises a ConfigError."""
    if project_dir is None:
        return cluster_stack(stack)
    project = load_project(project_dir)
    if cluster is None and f"{project.name}:cluster" in load_stack(project, stack).config:
        return cluster_stack(stack, project_dir)
    found = project_clusters(project_dir, stack, timeout=timeout)
    if not found.clusters:
        raise ConfigError(f"project {project.name!r} stack {stack!r} declares no cluster")
    names = ", ".join(found.names)
    if cluster is None and len(found.clusters) > 1:
        raise ConfigError(f"stack {stack!r} declares clusters {names}: choose one with --cluster")
    chosen = cluster if cluster is not None else found.names[0]
    if chosen not in found.clusters:
        raise ConfigError(f"--cluster {cluster!r}: stack {stack!r} declares {names}")
    args, entry = found.clusters[chosen]
    return ClusterStack(
        stack=stack,
        path=found.stack.path,
        key="",  # built by the program: no one mapping in the stack file holds its args
        config=found.stack.config,
        args=args,
        region=args.region or found.stack.region,
        project_dir=found.project.root,
        api_key_pointer=entry["api_key_pointer"],
        cluster_name=chosen,
        project=found.project.name,
    )
