"""The stack program: reads `graviton-llm:cluster` from stack config into the args model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import yaml

from .neuron_serving_cluster import NeuronServingCluster

PROJECT = "graviton-llm"
STACKS_DIR = Path(__file__).resolve().parent.parent / "stacks"


def main() -> NeuronServingCluster:
    config = pulumi.Config(PROJECT)
    name = config.get("name") or f"llm-{pulumi.get_stack()}"
    cluster = NeuronServingCluster(name, config.require_object("cluster"))
    pulumi.export("endpoint", cluster.endpoint)
    pulumi.export("auto_scaling_group", cluster.auto_scaling_group.name)
    pulumi.export("role_arn", cluster.role.arn)
    return cluster


def stack_config_path(stack: str) -> Path:
    """`dev` -> stacks/Pulumi.dev.yaml; a path is taken as it is."""
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
