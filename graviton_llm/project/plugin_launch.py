"""Can the engine start a project's plugins? Checked from its Pulumi.yaml, offline.

Three places read the same file differently (pulumi/pulumi, cited in docs/sources.md):
- `main` (pkg/engine/project.go, getPwdMain): a path relative to the project, inside it; a
  folder becomes the working directory of the program *and of every plugin the engine starts*
  (plugin.go passes ctx.Pwd), a file makes its folder the working directory.
- the language host (sdk/python/toolchain, resolveVirtualEnvironmentPath) resolves a relative
  `virtualenv` against the project's root, so the program itself finds its venv;
- the Python dynamic provider (sdk/python/dist/pulumi-resource-pulumi-python) gets the runtime
  options unresolved (`PULUMI_RUNTIME_VIRTUALENV=.venv`, plugin.go) and makes them absolute
  against `$PWD`, the program's folder. With `main: program/` and `virtualenv: .venv` it looks
  for program/.venv, prints "doesn't exist" and exits: every dynamic resource fails
  (pulumi/pulumi#7061). `toolchain: uv` without `virtualenv` means `.venv` there too.
- `toolchain` must be pip, poetry or uv, `typechecker` mypy or pyright and `virtualenv` a
  string (sdk/python/cmd/pulumi-language-python/main.go, parseOptions): anything else fails at
  start, so `load_project` refuses it (``runtime_option_refusals``), as `pulumi preview` would.
- `requiredPulumiVersion` (a blang/semver range the CLI checks before preview, up, refresh
  and destroy: pkg/cmd/pulumi/operations, plugin.ValidatePulumiVersionRange): an older CLI
  starts the rollout's dynamic provider without the stack's config (it reaches dynamic
  providers from v3.139.0 on, pulumi/pulumi#17673), so the refresh would sign with the
  machine's default credentials; it must not admit a version below that.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

from .stack_files import load_yaml

TOOLCHAINS = ("pip", "poetry", "uv")
TYPECHECKERS = ("mypy", "pyright")
MINIMUM_PULUMI = (3, 139, 0)  # Config in Python dynamic providers, pulumi/pulumi#17673
REQUIRED_PULUMI = ">=3.139.0"
_COMPARATOR = re.compile(r"(>=|<=|>|<|==|=|!=)?v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?")


def lowest_admitted(version_range: str) -> tuple[int, int, int] | None:
    """The lowest CLI version a `requiredPulumiVersion` range admits (its alternatives' least
    lower bound), or None when it is not a range the CLI parses as such."""
    lowest: tuple[int, int, int] | None = None
    for alternative in version_range.split("||"):
        floor = (0, 0, 0)
        words = alternative.split()
        if not words:
            return None
        for word in words:
            match = _COMPARATOR.fullmatch(word)
            if match is None:
                return None
            operator = match.group(1) or "="
            version = (int(match.group(2)), int(match.group(3)), int(match.group(4)))
            if operator in (">=", "=", "=="):
                floor = max(floor, version)
            elif operator == ">":
                floor = max(floor, (version[0], version[1], version[2] + 1))
        lowest = floor if lowest is None else min(lowest, floor)
    return lowest


def required_version_problems(value: Any) -> list[str]:
    fix = f'requiredPulumiVersion: "{REQUIRED_PULUMI}"'
    why = (
        "the rollout's dynamic provider gets the stack's AWS config only from Pulumi CLI "
        "3.139.0 on (pulumi/pulumi#17673)"
    )
    if value is None:
        return [f"requiredPulumiVersion is not set: {why}; add `{fix}`"]
    floor = lowest_admitted(value) if isinstance(value, str) else None
    if floor is None:
        return [f"requiredPulumiVersion {value!r} is not a version range, e.g. `{fix}`"]
    if floor < MINIMUM_PULUMI:
        admitted = ".".join(map(str, floor))
        return [f"requiredPulumiVersion {value!r} admits {admitted}: {why}; use `{fix}`"]
    return []


def program_dir(root: Path, main: Any) -> tuple[Path | None, list[str]]:
    """The working directory the engine gives the program and its plugins (getPwdMain)."""
    if main is None or main == "":
        return root, []
    if not isinstance(main, str):
        return None, [f"`main` must be a path, got {main!r}"]
    if PurePosixPath(main).is_absolute():
        return None, ["`main` must be a relative path"]
    target = (root / main).resolve()
    if not target.is_relative_to(root.resolve()):
        return None, [f"`main` {main!r} must be a subfolder of the project"]
    if not target.exists():
        return None, [f"`main` {main!r} could not be read: {target} does not exist"]
    return (target if target.is_dir() else target.parent), []


def runtime_option_refusals(options: dict[str, Any]) -> list[str]:
    """What the Python language host refuses in `runtime.options` before it runs anything
    (parseOptions), each naming the field and what it takes."""
    problems = []
    virtualenv = options.get("virtualenv")
    if "virtualenv" in options and not isinstance(virtualenv, str):
        problems.append("runtime.options.virtualenv must be a string (a folder)")
    for option, allowed in (("typechecker", TYPECHECKERS), ("toolchain", TOOLCHAINS)):
        value = options.get(option)
        if option in options and (not isinstance(value, str) or value not in allowed):
            problems.append(
                f"runtime.options.{option} {value!r} is not supported by Pulumi's Python host: "
                f"one of {', '.join(allowed)}"
            )
    return problems


def plugin_launch_problems(project_file: Path) -> list[str]:
    """What keeps the engine from running the project's program and starting its plugins;
    empty when nothing does. Each problem names the Pulumi.yaml field and the fix."""
    document = load_yaml(project_file)
    if not isinstance(document, dict):
        return ["a project file is a mapping with `name` and `runtime`"]
    root = project_file.parent.resolve()
    pwd, problems = program_dir(root, document.get("main"))
    runtime = document.get("runtime")
    options = runtime.get("options") if isinstance(runtime, dict) else None
    options = options if isinstance(options, dict) else {}
    problems += runtime_option_refusals(options)
    toolchain = options.get("toolchain", "pip")
    virtualenv = options.get("virtualenv")
    if virtualenv is None and toolchain == "uv":
        virtualenv = ".venv"
    if isinstance(virtualenv, str) and pwd is not None:
        for_program = (root / virtualenv).resolve()
        for_plugins = (pwd / virtualenv).resolve()
        if for_program != for_plugins:
            problems.append(
                f"runtime.options.virtualenv {virtualenv!r}: the program runs in {for_program} "
                f"but the engine starts dynamic providers in {pwd}, where it means "
                f"{for_plugins} (pulumi/pulumi#7061); drop `main` and put __main__.py beside "
                "Pulumi.yaml, or give an absolute virtualenv"
            )
    problems += required_version_problems(document.get("requiredPulumiVersion"))
    if document.get("main") in (None, "") and not (root / "__main__.py").is_file():
        problems.append("no __main__.py beside Pulumi.yaml (and no `main`): nothing to run")
    return problems
