"""The stack program: reads `graviton-llm:cluster` from stack config into the args model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import yaml

from .args import NeuronServingClusterArgs
from .components.neuron_serving_cluster import NeuronServingCluster

PROJECT = "graviton-llm"
# The stacks this project ships live in the package, so an installed wheel finds them too;
# Pulumi.yaml's stackConfigDir points here.
STACKS_DIR = Path(__file__).resolve().parent / "stacks"


def main() -> NeuronServingCluster:
    config = pulumi.Config(PROJECT)
    name = config.get("name") or f"llm-{pulumi.get_stack()}"
    cluster = NeuronServingCluster(name, config.require_object("cluster"))
    pulumi.export("endpoint", cluster.endpoint)
    pulumi.export("auto_scaling_group", cluster.auto_scaling_group.name)
    pulumi.export("role_arn", cluster.role.arn)
    return cluster


def stack_config_path(stack: str) -> Path:
    """`dev` -> graviton_llm/stacks/Pulumi.dev.yaml; a path is taken as it is."""
    path = Path(stack)
    if path.suffix in (".yaml", ".yml"):
        return path
    return STACKS_DIR / f"Pulumi.{stack}.yaml"


def load_stack_config(stack: str) -> dict[str, Any]:
    """The `config:` map of a stack file, as `pulumi config` would hand it to the program."""
    path = stack_config_path(stack)
    if not path.is_file():
        raise FileNotFoundError(f"no stack config at {path}")
    document = yaml.safe_load(path.read_text()) or {}
    return dict(document.get("config") or {})


def stack_cluster_args(stack: str) -> tuple[NeuronServingClusterArgs, dict[str, Any]]:
    """The stack's cluster args, validated without running the program, and its raw config."""
    config = load_stack_config(stack)
    key = f"{PROJECT}:cluster"
    if key not in config:
        raise ValueError(f"stack {stack!r} has no {key!r} in its config")
    return NeuronServingClusterArgs.model_validate(config[key]), config
