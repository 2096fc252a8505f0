"""`graviton-llm init-env NAME [PROJECT_DIR]`: a new environment's stack file, Pulumi.<NAME>.yaml,
from another stack's cluster and flags, checked by NeuronServingClusterArgs (and the region
check `pulumi up` makes) before a byte is written. Every difference between environments lives
in these files; the program stays the same.

The file has the layout `graviton-llm new` projects read: `aws:region` and `<project>:cluster`
(NeuronServingClusterArgs). Secret config is never copied from the other stack: its ciphertext
belongs to that stack's secrets provider (set it again with `pulumi config set --secret`).

With `--force` over an existing file, only the cluster (from `--from`, else the file's own, with
the flags on top) and `aws:region` (when `--region` is given) are rewritten: every other key,
`secure:` values, the secrets provider's `encryptionsalt`/`encryptedkey`/`secretsprovider` and
the comments stay (stack_edit.py). A placeholder (args/placeholders.py) carried into the file is
reported, so the caller can warn.
"""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..args import NeuronServingClusterArgs
from ..args.cluster_rules import deploy_region_problems
from ..args.placeholders import placeholder_fields
from ..args.problems import raise_if_problems
from ..testing.config import SECURE_KEY, secret_placeholder, without_secrets
from .files import (
    DEFAULT_REGION,
    Project,
    cluster_key,
    load_project,
    load_stack,
    require_cluster_key,
)
from .project_config import parse_key
from .stack_edit import replace_key
from .stack_files import ConfigError, load_yaml

# Flags that set a field of the cluster's model rather than of the cluster.
MODEL_FIELDS = {"model": "id", "weights_uri": "weights_uri"}


@dataclass(frozen=True)
class WrittenEnvironment:
    path: Path
    rewritten: bool  # an existing file: its cluster replaced, everything else kept
    placeholders: list[tuple[str, str]] = field(default_factory=list)  # (field, value)
    not_copied: list[str] = field(default_factory=list)  # secret fields of --from's cluster
    previous: str | None = None  # the file's text before, None for a new file (for `undo`)


def _raw_cluster(project: Project, path: Path) -> tuple[str | None, Any]:
    """(the key as written, its raw value) of the stack file's cluster, `secure:` kept."""
    document = load_yaml(path) if path.exists() else None
    config = document.get("config") if isinstance(document, dict) else None
    for key, value in (config or {}).items():
        if parse_key(str(key), project.name) == cluster_key(project):
            return str(key), value
    return None, None


def _drop_secrets(value: Any, path: str = "") -> tuple[Any, list[str]]:
    if isinstance(value, dict):
        if set(value) == {SECURE_KEY}:
            return None, [path]
        kept, dropped = {}, []
        for key, item in value.items():
            item, gone = _drop_secrets(item, f"{path}.{key}" if path else str(key))
            dropped += gone
            if item is not None:
                kept[key] = item
        return kept, dropped
    return value, []


def _apply(cluster: dict[str, Any], settings: dict[str, Any]) -> None:
    for key, value in settings.items():
        if value is None:
            continue
        if key in MODEL_FIELDS:
            model = cluster.get("model")
            cluster["model"] = {**(model if isinstance(model, dict) else {}),
                                MODEL_FIELDS[key]: value}  # fmt: skip
        else:
            cluster[key] = value


def environment_config(
    project: Project, name: str, settings: dict[str, Any], *, base: str | None, region: str | None
) -> tuple[dict[str, Any], str, list[str]]:
    """(the cluster mapping, the region, secret fields of ``base`` not copied): ``base``'s
    cluster, else the existing file's own, with ``settings`` on top (None values are not set),
    validated. Raises the args' ValidationError listing every problem."""
    path = project.stack_path(name)
    source = project.stack_path(base) if base is not None else path
    written_key, found = _raw_cluster(project, source)
    if base is not None and not source.exists():
        load_stack(project, base)  # says which stacks there are
    if (base is not None or path.exists()) and not isinstance(found, dict):
        raise ConfigError(f"{'--from ' + base if base else 'init-env --force'}: {source} has no "
                          f"`{cluster_key(project)}` mapping to start from"
                          + ("" if base else "; give --from STACK"))  # fmt: skip
    not_copied: list[str] = []
    cluster: dict[str, Any] = copy.deepcopy(found) if isinstance(found, dict) else {}
    if base is not None:
        cluster, not_copied = _drop_secrets(cluster)
    _apply(cluster, settings)
    if settings.get("environment") is None and (base is not None or "environment" not in cluster):
        cluster["environment"] = name  # the Environment tag names this environment
    previous = load_stack(project, base if base is not None else name).region if (
        base is not None or path.exists()) else None  # fmt: skip
    region = region or previous or DEFAULT_REGION
    args = NeuronServingClusterArgs.model_validate(
        without_secrets(cluster, secret_placeholder(written_key or cluster_key(project)))[0]
    )
    raise_if_problems(type(args).__name__, deploy_region_problems(args, region))
    return cluster, region, not_copied


def write_environment(
    project_dir: Path,
    name: str,
    settings: dict[str, Any],
    *,
    base: str | None = None,
    region: str | None = None,
    force: bool = False,
) -> WrittenEnvironment:
    """Validate, then write Pulumi.<name>.yaml atomically into the project's stackConfigDir: a
    refusal or an error leaves no file (and an existing one untouched)."""
    project = load_project(project_dir)
    path = project.stack_path(name)
    require_cluster_key(project, "init-env", name)
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; pass --force to rewrite its cluster (every other key "
                          "is kept)")  # fmt: skip
    cluster, chosen_region, not_copied = environment_config(
        project, name, settings, base=base, region=region
    )
    if path.exists():
        written_key, _ = _raw_cluster(project, path)
        text = replace_key(path.read_text(encoding="utf-8"), written_key or cluster_key(project),
                           cluster, str(path))  # fmt: skip
        if region is not None:
            text = replace_key(text, "aws:region", chosen_region, str(path))
    else:
        source = f"Pulumi.{base}.yaml and flags" if base else "flags"
        header = (
            f"# Written by `graviton-llm init-env {name}` from {source}; validated by "
            "NeuronServingClusterArgs.\n# Set secrets with `pulumi config set --secret KEY "
            "VALUE` once the stack exists (`pulumi stack init`).\n"
        )
        document = {"config": {"aws:region": chosen_region, cluster_key(project): cluster}}
        text = header + yaml.safe_dump(document, sort_keys=False)
    previous = path.read_text(encoding="utf-8") if path.exists() else None
    _write(path, text)
    return WrittenEnvironment(
        path, previous is not None, placeholder_fields(cluster), not_copied, previous
    )


def undo(written: WrittenEnvironment) -> None:
    """Put the stack file back as it was before ``written`` (none, or its earlier text): the
    new stack's plan is part of init-env's check, so a plan that fails keeps nothing."""
    if written.previous is None:
        written.path.unlink(missing_ok=True)
    else:
        _write(written.path, written.previous)


def _write(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
