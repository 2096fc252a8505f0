"""Stack files (Pulumi.<stack>.yaml) read the way a careful tool reads untrusted YAML: bounded in
size, without anchors or aliases (a 1 KB alias bomb expands to gigabytes when walked), and with
every shape problem reported as a ConfigError that names the file and what is wrong."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import yaml

from ..args import NeuronServingClusterArgs, ResolvedClusterArgs
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
# Pulumi stack names: 1-100 of letters, digits, '_', '.' and '-' (pulumi/pulumi
# sdk/go/common/tokens/stack_name.go, ParseStackName).
_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


class ConfigError(ValueError):
    """A stack file (or its config) that cannot be used, with what is wrong and where."""


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, refusing anchors and aliases (its C loader composes
    nodes in C, where this override would not apply). PyYAML itself sets no alias limit
    (yaml/pyyaml#235); stack files never need anchors."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # PyYAML's own, untyped
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, "YAML anchors and aliases are not accepted here", event.start_mark
            )
        return super().compose_node(parent, index)


def load_yaml(path: Path) -> Any:
    """The document in ``path``, or a ConfigError saying why it cannot be read."""
    try:
        size = path.stat().st_size
        if size > MAX_STACK_FILE_BYTES:
            raise ConfigError(f"{path}: {size} bytes; a stack file is at most 1 MiB")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a stack file") from None
    except PermissionError:
        raise ConfigError(f"{path}: not readable (permission denied)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a stack file") from None


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
    """The stack's cluster args, validated without running the program, and its raw config."""
    config = load_stack_config(stack)
    stack_region(stack, config)
    args = NeuronServingClusterArgs.model_validate(cluster_config(stack, config))
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
