"""One stack's cluster, wherever its stack file is: a stack this repository ships
(`graviton-llm:cluster` in stacks/) or a team project's (`<project>:cluster` in its
stackConfigDir, the layout `graviton-llm new` writes). `ami`, `compile`, `cost`, `reserve` and
`rollout status` read both the same way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..args import NeuronServingClusterArgs, ResolvedClusterArgs
from ..args.cluster_rules import deploy_region_problems
from ..args.problems import raise_if_problems
from .files import load_project, load_stack
from .main import PROJECT, default_cluster_name
from .stack_files import cluster_config, load_stack_config, stack_config_path, stack_region


@dataclass(frozen=True)
class ClusterStack:
    stack: str
    path: Path  # the stack file, where `ami --write` pins the image
    key: str  # the config key holding the cluster's args
    config: dict[str, Any]
    args: ResolvedClusterArgs
    region: str
    project_dir: Path | None = None  # None: a stack this repository ships
    # A cluster built by its program with a secret API key parameter: the SSM parameter
    # holding that name, as the cluster created it (its user data reads the name from there).
    api_key_pointer: str | None = None
    # Set for a cluster its program built (no stack output names its launch template).
    cluster_name: str | None = None
    # The Pulumi project (pulumi.get_project() when it deploys): the group's and launch
    # template's graviton-llm:project tag.
    project: str = PROJECT

    @property
    def shipped_cluster_name(self) -> str:
        """The cluster's name in this repository's program (project/main.py)."""
        name = self.config.get(f"{PROJECT}:name")
        return name if isinstance(name, str) and name else default_cluster_name(self.stack)


def cluster_stack(stack: str, project_dir: Path | None = None) -> ClusterStack:
    """The stack's cluster args, validated without running any program. Bad input raises a
    ConfigError or the args' ValidationError, naming the file and the field; the deploy region
    is checked as `plan` checks it (known, offering the instance type), so `cost`, `compile`,
    `ami` and `reserve` refuse what `plan` refuses."""
    if project_dir is None:
        config = load_stack_config(stack)
        path = stack_config_path(stack)
        key = f"{PROJECT}:cluster"
        args = NeuronServingClusterArgs.model_validate(cluster_config(stack, config)).resolved()
        region = args.region or stack_region(stack, config)
        raise_if_problems(type(args).__name__, deploy_region_problems(args, region))
        name = path.stem.removeprefix("Pulumi.")
        return ClusterStack(name, path, key, config, args, region)
    project = load_project(project_dir)
    loaded = load_stack(project, stack)
    key = f"{project.name}:cluster"
    args = NeuronServingClusterArgs.model_validate(
        cluster_config(str(loaded.path), loaded.config, key)
    ).resolved()
    region = args.region or loaded.region
    raise_if_problems(type(args).__name__, deploy_region_problems(args, region))
    return ClusterStack(
        stack,
        loaded.path,
        key,
        loaded.config,
        args,
        region,
        project.root,
        project=project.name,
    )
