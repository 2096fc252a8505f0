"""The stack program a Pulumi project runs, and reading the stack files it runs with."""

from .files import Project, StackConfig, load_project, load_stack
from .main import PROJECT, main
from .stack_files import (
    STACKS_DIR,
    ConfigError,
    load_stack_config,
    load_yaml,
    stack_cluster_args,
    stack_config_path,
)

__all__ = [
    "PROJECT",
    "STACKS_DIR",
    "ConfigError",
    "Project",
    "StackConfig",
    "load_project",
    "load_stack",
    "load_stack_config",
    "load_yaml",
    "main",
    "stack_cluster_args",
    "stack_config_path",
]
