"""Stack files (Pulumi.<stack>.yaml) read the way a careful tool reads untrusted YAML: a regular
file (never a FIFO or a device), bounded in size and depth, without anchors or aliases (a 1 KB
alias bomb expands to gigabytes when walked) or duplicate keys (PyYAML would keep the last one
silently), and with every shape problem reported as a ConfigError that names the file and what is
wrong (safeio/files.py reads every file the CLI takes)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

from ..args import NeuronServingClusterArgs, ResolvedClusterArgs
from ..args.cluster_rules import deploy_region_problems
from ..args.problems import raise_if_problems
from ..safeio.files import InputFileError
from ..safeio.files import load_yaml as load_yaml_file
from .main import PROJECT


def _shipped_stacks_dir() -> Path:
    """Where this repository's stack files are: stacks/ beside Pulumi.yaml (its
    stackConfigDir), which the wheel installs as the package graviton_llm.stacks
    (pyproject.toml maps one onto the other), so a checkout and a wheel read the same files."""
    spec = importlib.util.find_spec("graviton_llm.stacks")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))).resolve()
    # A checkout used without installing it: the folder beside the package.
    return Path(__file__).resolve().parents[2] / "stacks"


STACKS_DIR = _shipped_stacks_dir()
MAX_STACK_FILE_BYTES = 1024 * 1024  # ours: a stack file is a few KB
MAX_STACK_FILE_DEPTH = 32  # ours: a cluster's config nests 4 levels
# Pulumi stack names: 1-100 of letters, digits, '_', '.' and '-' (pulumi/pulumi
# sdk/go/common/tokens/stack_name.go, ParseStackName).
_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}", re.ASCII)


class ConfigError(ValueError):
    """A stack file (or its config) that cannot be used, with what is wrong and where."""


def load_yaml(path: Path) -> Any:
    """The document in ``path``, or a ConfigError saying why it cannot be read."""
    try:
        return load_yaml_file(
            path,
            limit=MAX_STACK_FILE_BYTES,
            what="a stack file",
            max_depth=MAX_STACK_FILE_DEPTH,
        )
    except InputFileError as error:
        raise ConfigError(str(error)) from None


def stack_config_path(stack: str) -> Path:
    """`dev` -> stacks/Pulumi.dev.yaml (STACKS_DIR); a path to a .yaml file is taken as it is."""
    path = Path(stack)
    if path.suffix in (".yaml", ".yml"):
        return path
    if not _STACK_NAME.fullmatch(stack):
        raise ConfigError(
            f"{stack!r} is neither a stack name (1-100 letters, digits, _ . -) nor a path to a "
            ".yaml stack file"
        )
    return STACKS_DIR / f"Pulumi.{stack}.yaml"


def load_stack_config(stack: str) -> dict[str, Any]:
    """The `config:` map of a stack file, as `pulumi config` would hand it to the program."""
    path = stack_config_path(stack)
    if not path.exists() and path.parent == STACKS_DIR:
        shipped = sorted(p.stem.removeprefix("Pulumi.") for p in STACKS_DIR.glob("Pulumi.*.yaml"))
        raise ConfigError(
            f"no stack {stack!r}: the shipped stacks are {', '.join(shipped)}; or give a path "
            "to a Pulumi.<stack>.yaml file"
        )
    document = load_yaml(path)
    if document is None:
        raise ConfigError(f"{path}: empty; a stack file holds a `config:` mapping")
    if not isinstance(document, dict):
        raise ConfigError(
            f"{path}: the top level is a {type(document).__name__}; a stack file is a mapping "
            "with a `config:` key"
        )
    config = document.get("config")
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: `config:` must be a mapping of `namespace:key: value`")
    return config


def stack_cluster_args(stack: str) -> tuple[ResolvedClusterArgs, dict[str, Any]]:
    """The stack's cluster args, validated without running the program, and its raw config.
    The deploy region is checked as `plan` checks it (known, offering the instance type), so
    `cost`, `compile`, `ami` and `reserve` refuse what `plan` refuses."""
    config = load_stack_config(stack)
    region = stack_region(stack, config)
    args = NeuronServingClusterArgs.model_validate(cluster_config(stack, config))
    raise_if_problems(type(args).__name__, deploy_region_problems(args, args.region or region))
    return args.resolved(), config


def cluster_config(stack: str, config: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    """The cluster mapping of a stack's config: `graviton-llm:cluster`, or ``key`` (a team
    project's `<project>:cluster`)."""
    key = key or f"{PROJECT}:cluster"
    cluster = config.get(key)
    if not isinstance(cluster, dict):
        found = "missing" if cluster is None else f"a {type(cluster).__name__}"
        raise ConfigError(
            f"stack {stack!r}: `{key}` is {found}; it must be a mapping of the cluster's args "
            "(vpc_id, subnet_ids, instance_type, model, ...)"
        )
    return cluster


def stack_region(stack: str, config: dict[str, Any], default: str = "us-east-1") -> str:
    """The stack's `aws:region` (a string), or the default the plan assumes."""
    region = config.get("aws:region", default)
    if not isinstance(region, str):
        raise ConfigError(f"stack {stack!r}: `aws:region` must be a region name, e.g. us-east-1")
    return region
