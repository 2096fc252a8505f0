"""A team's Pulumi project: its Pulumi.yaml and its stacks' config, read the way `pulumi` reads
them, with the same safe loader as our own stack files (bounded, no YAML aliases), every problem a
ConfigError that says what is wrong and where.

What is read (Pulumi project file reference, pulumi.com/docs/iac/concepts/projects/project-file):
`name` (letters, digits, `-`, `_`, `.`), `runtime` (`python`, or a mapping with `name: python` and
`options`), `main` (a directory holding `__main__.py`, or a `.py` file, relative to Pulumi.yaml;
default: the project folder), `stackConfigDir` (where the Pulumi.<stack>.yaml files are; default:
the project folder) and project-level `config` (defaults: a plain value, `value:` or `default:`).

What the engine refuses there, `plan` refuses too, every problem at once: the Python host's
runtime options (plugin_launch.runtime_option_refusals), config keys and declarations
(project_config.py: `a:b:c`, `aws:profile` declared with a `type`, a typed stack value of
another type, ...).

A stack file's `secure:` values are ciphertext only the stack's secrets provider can open, so an
offline plan never has them: each becomes a placeholder and its key is listed as secret, so
`pulumi.Config.get_secret`/`require_secret` return a secret Output as under `pulumi up`.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..testing.config import secret_placeholder, without_secrets
from .plugin_launch import runtime_option_refusals
from .project_config import KEY_FORM, Declaration, declarations, parse_key, stack_problems
from .stack_files import _STACK_NAME, ConfigError, load_yaml

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
DEFAULT_REGION = "us-east-1"
# "Name of the project containing alphanumeric characters, hyphens, underscores, and periods"
# (project file reference, `name`).
_PROJECT_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}", re.ASCII)


@dataclass(frozen=True)
class Project:
    """A Pulumi project folder: where its program and its stack files are."""

    root: Path
    file: Path
    name: str
    main: Path
    stack_config_dir: Path
    defaults: dict[str, Any]
    description: str | None = None
    declared: tuple[Declaration, ...] = ()  # Pulumi.yaml's `config:`

    @property
    def program_dir(self) -> Path:
        """The program's working directory under `pulumi up`: `main` when it is a directory,
        else the folder of the `main` file (pulumi/pulumi pkg/engine/project.go, getPwdMain)."""
        return self.main if self.main.is_dir() else self.main.parent

    @property
    def entry_point(self) -> Path:
        """The file Python runs: `main`'s `__main__.py`, or `main` itself."""
        return self.main / "__main__.py" if self.main.is_dir() else self.main

    def stack_path(self, stack: str) -> Path:
        if not _STACK_NAME.fullmatch(stack):
            raise ConfigError(
                f"{stack!r} is not a stack name (1-100 letters, digits, _ . -); project "
                f"{self.name!r} keeps its stacks as {self.stack_config_dir}/Pulumi.<stack>.yaml"
            )
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        """The stacks that have a stack file, by name."""
        if not self.stack_config_dir.is_dir():
            return []
        files = self.stack_config_dir.glob("Pulumi.*.yaml")
        return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in files)


@dataclass(frozen=True)
class StackConfig:
    """One stack's config as the program sees it: `namespace:key` -> value, each `secure:` value
    replaced by a placeholder and its key listed in `secret_keys`."""

    stack: str
    path: Path
    config: dict[str, Any]
    secret_keys: tuple[str, ...]

    @property
    def region(self) -> str:
        region = self.config.get("aws:region", DEFAULT_REGION)
        if not isinstance(region, str):
            raise ConfigError(f"{self.path}: `aws:region` must be a region name, e.g. us-east-1")
        return region


def project_file(directory: Path) -> Path | None:
    """The Pulumi.yaml (or .yml) of ``directory``, if it has one."""
    for name in PROJECT_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def project_name(directory: Path) -> str | None:
    """The `name` in ``directory``'s project file, or None when there is no readable one."""
    found = project_file(directory)
    if found is None:
        return None
    document = load_yaml(found)
    name = document.get("name") if isinstance(document, dict) else None
    return name if isinstance(name, str) else None


def project_of_stack_file(path: Path) -> Project | None:
    """The project whose stacks ``path`` (a Pulumi.<stack>.yaml) belongs to: the nearest
    Pulumi.yaml at or above its folder whose stackConfigDir holds it; None when there is none
    (a file for this repository's program, namespace `graviton-llm`)."""
    folder = path.resolve().parent
    for candidate in (folder, *folder.parents):
        if project_file(candidate) is not None:
            project = load_project(candidate)
            return project if project.stack_config_dir == folder else None
    return None


def load_project(directory: Path) -> Project:
    """The project in ``directory``, or a ConfigError saying what is missing or malformed."""
    directory = directory.resolve()
    if not directory.is_dir():
        raise ConfigError(f"{directory}: no such directory; give the folder of a Pulumi project")
    found = project_file(directory)
    if found is None:
        raise ConfigError(
            f"{directory}: no Pulumi.yaml; a Pulumi project is a folder with a Pulumi.yaml "
            "(name, runtime: python, main), e.g. one made by `graviton-llm new DIR`"
        )
    document = load_yaml(found)
    if not isinstance(document, dict):
        raise ConfigError(f"{found}: a project file is a mapping with `name` and `runtime`")
    name = document.get("name")
    if not isinstance(name, str) or not _PROJECT_NAME.fullmatch(name):
        raise ConfigError(
            f"{found}: `name` is {name!r}; a project name is 1-100 letters, digits, - _ ."
        )
    _check_runtime(found, document.get("runtime"))
    root = found.parent
    main = _main(found, root, document.get("main"))
    config, stack_dir_text = document.get("config"), document.get("stackConfigDir")
    if isinstance(config, str):  # the deprecated form of stackConfigDir (project.go)
        if stack_dir_text is not None:
            raise ConfigError(f"{found}: both `config` and `stackConfigDir` name the stack "
                              "folder; keep only `stackConfigDir`")  # fmt: skip
        config, stack_dir_text = None, config
    stack_dir = _relative_dir(found, root, "stackConfigDir", stack_dir_text)
    declared = _declarations(found, name, config)
    description = document.get("description")
    return Project(
        root=root,
        file=found,
        name=name,
        main=main,
        stack_config_dir=stack_dir,
        defaults={d.full_key: config_value(d.fallback) for d in declared if d.fallback is not None},
        description=description if isinstance(description, str) else None,
        declared=tuple(declared),
    )


def _check_runtime(found: Path, runtime: Any) -> None:
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if name != "python":
        raise ConfigError(
            f"{found}: `runtime` is {name!r}; graviton-llm plans Python programs "
            "(runtime: python, or runtime: {name: python, options: ...})"
        )
    options = runtime.get("options") if isinstance(runtime, dict) else None
    if options is not None and not isinstance(options, dict):
        raise ConfigError(f"{found}: runtime.options must be a mapping")
    _refuse(found, runtime_option_refusals(options or {}))


def _refuse(where: Path, problems: list[str]) -> None:
    """Every problem the engine would refuse in one ConfigError."""
    if len(problems) == 1:
        raise ConfigError(f"{where}: {problems[0]}")
    if problems:
        raise ConfigError(f"{where}: {len(problems)} problems: " + "; ".join(problems))


def _inside(found: Path, root: Path, key: str, value: str) -> Path:
    """``value`` joined to the project folder, refused when absolute or outside it. For `main`
    this is Pulumi's own rule ("project 'main' must be a relative path", "... must be a
    subfolder": pulumi/pulumi pkg/engine/project.go getPwdMain, a lexical check after
    filepath.Clean); for `stackConfigDir` it is ours (Pulumi joins it unchecked): a plan reads
    the project's own stack files, never a file elsewhere."""
    if os.path.isabs(value) or "\x00" in value:
        raise ConfigError(
            f"{found}: `{key}` {value!r} is not a relative path; it must name a folder or file "
            "inside the project, relative to Pulumi.yaml"
        )
    path = Path(os.path.normpath(root / value))
    if not path.is_relative_to(root):
        raise ConfigError(
            f"{found}: `{key}` {value!r} leaves the project folder {root}; it must be inside it"
        )
    return path


def _main(found: Path, root: Path, main: Any) -> Path:
    if main is None:
        path = root
    elif isinstance(main, str) and main:
        path = _inside(found, root, "main", main)
    else:
        raise ConfigError(f"{found}: `main` must be a path relative to Pulumi.yaml, got {main!r}")
    where = f"{found}: `main` {main!r}" if main is not None else f"{found}: the project folder"
    if not path.exists():
        raise ConfigError(f"{where} ({path}) does not exist; point it at the program's folder")
    if path.is_dir() and not (path / "__main__.py").is_file():
        raise ConfigError(
            f"{where} ({path}) has no __main__.py; Pulumi's Python host runs a program folder's "
            "__main__.py (or set `main` to the program's .py file)"
        )
    if path.is_file() and path.suffix != ".py":
        raise ConfigError(f"{where} ({path}) is not a Python file (.py)")
    return path


def _relative_dir(found: Path, root: Path, key: str, value: Any) -> Path:
    if value is None:
        return root
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{found}: `{key}` must be a folder relative to Pulumi.yaml")
    return _inside(found, root, key, value)


def _declarations(found: Path, project: str, config: Any) -> list[Declaration]:
    """Project-level `config:`: plain values, or declarations with `value` or `default`,
    refused as the engine refuses them (project_config.py)."""
    if config is None:
        return []
    if not isinstance(config, dict):
        raise ConfigError(f"{found}: `config` must be a mapping of keys to values")
    declared, problems = declarations(project, config)
    _refuse(found, problems)
    return declared


def config_value(value: Any) -> Any:
    """YAML scalars as pulumi hands them on: dates as their ISO text."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): config_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [config_value(v) for v in value]
    return value


def cluster_key(project: Project) -> str:
    """The key the programs `graviton-llm new` writes read (`pulumi.Config().require_object(
    "cluster")`), and the only one `init-env` writes."""
    return f"{project.name}:cluster"


def sets_cluster_key(project: Project) -> bool:
    """Whether the project's config sets `<project>:cluster` (Pulumi.yaml declares it or a stack
    file has it): only then would its program read a stack file `init-env` writes."""
    if any(declared.full_key == cluster_key(project) for declared in project.declared):
        return True
    for stack in project.stacks():
        try:
            document = load_yaml(project.stack_path(stack))
        except (ValueError, OSError):  # a malformed file is reported when its stack is planned
            continue
        config = document.get("config") if isinstance(document, dict) else None
        keys = config if isinstance(config, dict) else {}
        if any(parse_key(str(key), project.name) == cluster_key(project) for key in keys):
            return True
    return False


def by_hand(project: Project) -> str:
    stacks = project.stacks()
    return f"copy Pulumi.{stacks[0]}.yaml and edit it by hand" if stacks else "write it by hand"


def how_to_write(project: Project, stack: str) -> str:
    """How to write stack ``stack``'s file: with `init-env` only for a project that sets
    `<project>:cluster`; otherwise by hand, since the file `init-env` writes would go unread."""
    if sets_cluster_key(project):
        return f"write one with `graviton-llm init-env {stack}`"
    return (
        f"{by_hand(project)} (`graviton-llm init-env` writes only `{cluster_key(project)}`, "
        f"which no stack file of project {project.name!r} sets: its program reads other keys)"
    )


def require_cluster_key(project: Project, command: str, stack: str) -> None:
    """Refuse to write stack ``stack``'s `<project>:cluster` into a project that sets it
    nowhere."""
    if sets_cluster_key(project):
        return
    known = ", ".join(f"Pulumi.{stack}.yaml" for stack in project.stacks()) or "none"
    raise ConfigError(
        f"{command} writes `{cluster_key(project)}`, the cluster of the projects `graviton-llm "
        f"new` writes; project {project.name!r} sets it in no stack file ({known}) nor its "
        f"Pulumi.yaml, so its program would not read it: {by_hand(project)}, then review it "
        f"with `graviton-llm plan {project.root} --stack {stack}`"
    )


def load_stack(project: Project, stack: str) -> StackConfig:
    """Stack ``stack`` of ``project``: the project's defaults overlaid by its stack file."""
    path = project.stack_path(stack)
    if not path.exists():
        known = ", ".join(project.stacks()) or "none yet"
        raise ConfigError(
            f"no stack {stack!r} in project {project.name!r}: {path} does not exist (stacks "
            f"with a file there: {known}); " + how_to_write(project, stack)
        )
    document = load_yaml(path)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(
            f"{path}: the top level is a {type(document).__name__}; a stack file is a mapping "
            "with a `config:` key"
        )
    raw = document.get("config") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: `config:` must be a mapping of `namespace:key: value`")
    own: dict[str, Any] = {}
    secret_keys = []
    unparsed = [str(key) for key in raw if parse_key(str(key), project.name) is None]
    _refuse(path, [f"config key {key!r}: {KEY_FORM}" for key in unparsed])
    for key, value in raw.items():
        full = str(parse_key(str(key), project.name))
        own[full], secret = without_secrets(config_value(value), secret_placeholder(full))
        if secret:
            secret_keys.append(full)
    _refuse(path, stack_problems(stack, list(project.declared), own, set(secret_keys)))
    config = {**project.defaults, **own}
    _check_json(path, config)
    return StackConfig(stack=stack, path=path, config=config, secret_keys=tuple(secret_keys))


def _check_json(path: Path, config: dict[str, Any]) -> None:
    """Pulumi hands a program its config as strings and JSON; refuse what JSON cannot hold."""
    for key, value in config.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{path}: `{key}` cannot be passed to a program: {error}") from None
