"""`graviton-llm init-env NAME [PROJECT_DIR]`: a new environment's stack file, Pulumi.<NAME>.yaml,
from another stack's cluster and flags, checked by NeuronServingClusterArgs (and the region
check `pulumi up` makes) before a byte is written. Every difference between environments lives
in these files; the program stays the same.

The file has the layout `graviton-llm new` projects read: `aws:region` and `<project>:cluster`
(NeuronServingClusterArgs). Secret config is never copied from the other stack: its ciphertext
belongs to that stack's secrets provider (set it again with `pulumi config set --secret`).
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ..args import NeuronServingClusterArgs
from ..args.cluster_rules import deploy_region_problems
from ..args.problems import raise_if_problems
from .project import DEFAULT_REGION, Project, load_project, load_stack
from .stack_files import ConfigError

# Flags that set a field of the cluster's model rather than of the cluster.
MODEL_FIELDS = {"model": "id", "weights_uri": "weights_uri"}


def cluster_key(project: Project) -> str:
    return f"{project.name}:cluster"


def environment_config(
    project: Project, name: str, settings: dict[str, Any], *, base: str | None, region: str | None
) -> tuple[dict[str, Any], str]:
    """(the cluster mapping, the region): ``base``'s cluster with ``settings`` on top (None
    values are not set), validated. Raises the args' ValidationError listing every problem."""
    cluster: dict[str, Any] = {}
    base_region = None
    if base is not None:
        stack = load_stack(project, base)
        found = stack.config.get(cluster_key(project))
        if not isinstance(found, dict):
            raise ConfigError(
                f"--from {base}: {stack.path} has no `{cluster_key(project)}` mapping to start from"
            )
        cluster, base_region = copy.deepcopy(found), stack.region
    for key, value in settings.items():
        if value is None:
            continue
        if key in MODEL_FIELDS:
            model = cluster.get("model")
            cluster["model"] = {
                **(model if isinstance(model, dict) else {}),
                MODEL_FIELDS[key]: value,
            }
        else:
            cluster[key] = value
    if settings.get("environment") is None:  # the Environment tag names this environment
        cluster["environment"] = name
    region = region or base_region or DEFAULT_REGION
    args = NeuronServingClusterArgs.model_validate(cluster)
    raise_if_problems(type(args).__name__, deploy_region_problems(args, region))
    return cluster, region


def write_environment(
    project_dir: Path,
    name: str,
    settings: dict[str, Any],
    *,
    base: str | None = None,
    region: str | None = None,
    force: bool = False,
) -> Path:
    """Validate, then write Pulumi.<name>.yaml atomically into the project's stackConfigDir: a
    refusal or an error leaves no file (and an existing one untouched)."""
    project = load_project(project_dir)
    path = project.stack_path(name)
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; pass --force to overwrite it")
    cluster, region = environment_config(project, name, settings, base=base, region=region)
    source = f"Pulumi.{base}.yaml and flags" if base else "flags"
    header = (
        f"# Written by `graviton-llm init-env {name}` from {source}; validated by "
        "NeuronServingClusterArgs.\n# Set secrets with `pulumi config set --secret KEY VALUE` "
        "once the stack exists (`pulumi stack init`).\n"
    )
    document = {"config": {"aws:region": region, cluster_key(project): cluster}}
    text = header + yaml.safe_dump(document, sort_keys=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
