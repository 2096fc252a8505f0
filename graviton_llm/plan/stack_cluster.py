"""The cluster a command acts on (`ami`, `compile`, `cost`, `reserve`): a shipped stack's, a
team project's `<project>:cluster` mapping (read without running anything), or, for a program
that builds its clusters its own way (from other config keys, Outputs, several clusters), the
NeuronServingCluster its program declares, run offline as `plan PROJECT_DIR` runs it."""

from __future__ import annotations

from pathlib import Path

from ..program.cluster_stacks import ClusterStack, cluster_stack
from ..program.project import load_project, load_stack
from ..program.stack_files import ConfigError
from .project import build_project_plan


def stack_cluster(stack: str, project_dir: Path | None, cluster: str | None = None) -> ClusterStack:
    """Bad input (no such cluster, several without ``cluster``) raises a ConfigError."""
    if project_dir is None:
        return cluster_stack(stack)
    project = load_project(project_dir)
    if cluster is None and f"{project.name}:cluster" in load_stack(project, stack).config:
        return cluster_stack(stack, project_dir)
    plan = build_project_plan(project_dir, stack)
    built = {c._name: c for c in plan.run.clusters}
    if not built:
        raise ConfigError(f"project {project.name!r} stack {stack!r} declares no cluster")
    names = ", ".join(sorted(built))
    if cluster is None and len(built) > 1:
        raise ConfigError(f"stack {stack!r} declares clusters {names}: choose one with --cluster")
    chosen = built.get(cluster) if cluster is not None else next(iter(built.values()))
    if chosen is None:
        raise ConfigError(f"--cluster {cluster!r}: stack {stack!r} declares {names}")
    return ClusterStack(
        stack=stack,
        path=plan.stack.path,
        key="",  # built by the program: no one mapping in the stack file holds its args
        config=plan.stack.config,
        args=chosen.args,
        region=chosen.args.region or plan.region,
        project_dir=plan.project.root,
        api_key_pointer=chosen._api_key_pointer,
        cluster_name=chosen._name,
        project=plan.project.name,
    )
