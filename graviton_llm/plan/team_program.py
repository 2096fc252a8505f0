"""Run a team's own Pulumi program in this process, under the mock engine, as `pulumi up` would
run it: its entry point executed as `__main__` (runpy), from its program directory (the working
directory and the first entry of sys.path, pulumi/pulumi pkg/engine/project.go getPwdMain), with
the stack's config and its secret keys. Everything the run changes in this process (sys.path,
the modules imported from the project, the working directory, argv) is put back afterwards, and
what the program prints goes to stderr, so `plan --json` stays one JSON document.

A program that fails ends in a ProgramError (a ConfigError: bad input, exit code 2) carrying the
program's own message, whatever it raised (a BaseException subclass of its own too); the args'
ValidationError and a component's ArgsError pass through unchanged, so the CLI lists each field
and its fix.

This runs in the calling process, as a team's own tests do. The CLI runs it in a child process
with a time limit (plan/isolation.py): a program that loops, exits the interpreter or leaves a
thread running can only end that child.
"""

from __future__ import annotations

import os
import re
import runpy
import site
import sys
import sysconfig
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.sync_await import _sync_await
from pydantic import ValidationError

from ..args.refusals import ArgsError
from ..components.parts import observe
from ..project.files import Project, StackConfig
from ..project.stack_files import ConfigError
from ..testing import ProgramResult, run_program

_RESOURCE = re.compile(r"While processing resource: '([^']+)'")


class ProgramError(ConfigError):
    """A team's program that raised or exited non-zero, with its own message."""


class _Exited(Exception):
    def __init__(self, code: Any) -> None:
        super().__init__(f"exited with status {code}")


class _Raised(Exception):
    """A BaseException that is not an Exception, raised by the program, carried as one."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__} (a BaseException): {error}")


@dataclass(frozen=True)
class ProgramRun:
    result: ProgramResult
    clusters: tuple[Any, ...]  # the NeuronServingClusters it built, in order
    secret_outputs: frozenset[str]  # stack outputs that are secret Outputs


def run_team_program(
    project: Project,
    stack: StackConfig,
    *,
    first_preview: bool = False,
    stack_references: Mapping[str, Mapping[str, Any]] | None = None,
    preview: bool = True,
) -> ProgramRun:
    """Run ``project``'s program with ``stack``'s config (as a first preview with
    ``first_preview``, as `pulumi up` deploys with ``preview=False``; what its StackReferences
    read from ``stack_references``, as run_program takes them); raise ProgramError if it
    fails."""
    entry = project.entry_point
    exported: dict[str, Any] = {}

    def program() -> None:
        try:
            runpy.run_path(str(entry), run_name="__main__")
        except SystemExit as exit:
            if exit.code not in (None, 0):
                raise _Exited(exit.code) from None
        except (Exception, KeyboardInterrupt):
            raise
        except BaseException as error:  # the program's own BaseException subclass
            raise _Raised(error) from None
        root = pulumi_settings.get_root_resource()
        exported.update(getattr(root, "outputs", None) or {})

    with _isolated(project, entry), _secret_keys(stack.secret_keys), observe.collecting() as built:
        result = run_program(
            program,
            config=stack.config,
            project=project.name,
            stack=stack.stack,
            region=stack.region,
            preview=preview,
            first_preview=first_preview,
            stack_references=stack_references,
            catch=True,
        )
    if result.error is not None:
        if isinstance(result.error, ValidationError | ArgsError):
            raise result.error
        raise ProgramError(_failure(project, stack, entry, result.error)) from None
    secret = frozenset(name for name, value in exported.items() if _is_secret(value))
    return ProgramRun(result=result, clusters=tuple(built), secret_outputs=secret)


def _failure(project: Project, stack: StackConfig, entry: Path, error: BaseException) -> str:
    """One paragraph: which program, which stack, and the program's own words. An error raised
    while a resource's inputs resolved reaches us wrapped by the runtime once per resource and
    input ("While processing resource: ..."): the innermost error is the program's, the
    innermost resource says where."""
    where = _RESOURCE.findall(str(error))
    line = _line_in_project(error, project.root)
    error = innermost_cause(error)
    words = " ".join(str(error).split()) or "(no message)"
    if where:
        words += f" (while registering {where[-1]})"
    if line:
        words += f" (at {line})"
    try:
        shown = entry.relative_to(project.root)
    except ValueError:
        shown = entry
    return (
        f"the program of project {project.name!r} ({shown}) failed on stack {stack.stack!r} "
        f"under the mock engine: {type(error).__name__}: {words}"
    )


def _line_in_project(error: BaseException, root: Path) -> str | None:
    """``file:line`` (relative to the project) of the innermost frame inside the project, in the
    innermost error of ``error``'s cause chain that has one: where the team's code failed."""
    chain, seen = [], set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    for failed in reversed(chain):
        for frame in reversed(traceback.extract_tb(failed.__traceback__)):
            path = Path(frame.filename)
            if path.is_absolute() and path.resolve().is_relative_to(root):
                return f"{path.resolve().relative_to(root)}:{frame.lineno}"
    return None


def innermost_cause(error: BaseException) -> BaseException:
    """The last error of ``error``'s ``__cause__`` chain. Walked with a visited set: a chain
    may loop (the mock harness raises one rule violation object again from inside the runtime,
    which makes it its own cause), and a loop must end the walk, not the process."""
    seen = {id(error)}
    while error.__cause__ is not None and id(error.__cause__) not in seen:
        error = error.__cause__
        seen.add(id(error))
    return error


def _is_secret(value: Any) -> bool:
    if not isinstance(value, pulumi.Output):
        return False
    return bool(_sync_await(value.is_secret()))


@contextmanager
def _isolated(project: Project, entry: Path) -> Iterator[None]:
    saved_path, saved_argv, saved_cwd = list(sys.path), list(sys.argv), os.getcwd()
    saved_modules = set(sys.modules)
    sys.path.insert(0, str(project.program_dir))
    sys.argv = [str(entry)]
    os.chdir(project.program_dir)
    try:
        with redirect_stdout(sys.stderr):
            yield
    finally:
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        sys.path[:] = saved_path
        libraries = _library_roots()
        for name in set(sys.modules) - saved_modules:
            if _projects_own(sys.modules[name], project.root, libraries):
                del sys.modules[name]


def _library_roots() -> tuple[Path, ...]:
    """Where this interpreter's installed packages live: the virtualenv (which the scaffold's
    Pulumi.yaml puts inside the project, `virtualenv: .venv`) and its site-packages."""
    places = [sys.prefix, sys.exec_prefix, *sysconfig.get_paths().values()]
    places += getattr(site, "getsitepackages", list)()
    roots = []
    for place in places:
        try:
            roots.append(Path(place).resolve())
        except (OSError, ValueError):
            continue
    return tuple(roots)


def _projects_own(module: Any, root: Path, libraries: tuple[Path, ...]) -> bool:
    """A module of the project's own code (infra/network.py), imported by its program: put back
    so the next run imports it afresh. Not a library installed in a virtualenv inside the
    project: pulumi_aws imports its submodules lazily, during a run, and evicting them broke
    the next use of the package (NameError: name 'ParameterType' is not defined)."""
    location = getattr(module, "__file__", None)
    if not location:
        return False
    try:
        path = Path(location).resolve()
    except (OSError, ValueError):
        return False
    return path.is_relative_to(root) and not any(path.is_relative_to(p) for p in libraries)


@contextmanager
def _secret_keys(keys: tuple[str, ...]) -> Iterator[None]:
    """The config keys that came from `secure:` values (pulumi.runtime.is_config_secret)."""
    pulumi.runtime.set_all_config({}, list(keys))
    try:
        yield
    finally:
        pulumi.runtime.set_all_config({}, [])
