"""Work on a team's project, run in a child process with a time limit: what the CLI does with a
team's program (`plan PROJECT_DIR`, `init-env`), since that program is code we did not write.

In the CLI's own process a program that loops would hang `plan`; one that calls `os._exit(0)`
would end it with exit code 0 and no output (a CI gate passes); one that leaves a non-daemon
thread would keep it from exiting. Here the child runs one task from TASKS (a function of JSON
arguments returning a JSON value), writes its result to a file and leaves with `os._exit`, so no
thread of the program outlives it; the parent kills the child's whole process group at the time
limit. Every way the child can end without a result is a ProgramError (bad input, exit code 2)
that says which one.

What the program prints goes to the child's stdout and stderr, which are written to a file and
relayed to the parent's stderr afterwards (control characters escaped), so `plan --json` stays one
JSON document on stdout.

    python -P -m graviton_llm.plan.isolation   (the child; a JSON request on stdin)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..args.refusals import ArgsError, FieldProblem, Shown, field_problems
from ..safeio.files import read_bytes
from ..safeio.terminal import printable
from .limits import DEFAULT_TIMEOUT_S as DEFAULT_TIMEOUT_S
from .team_program import ProgramError

if TYPE_CHECKING:
    from ..project.files import Project, StackConfig

MAX_RESULT_BYTES = 512 * 2**20
MAX_RELAYED_BYTES = 256 * 1024
"""The end of what a program printed, relayed to stderr: enough for any traceback."""


def _project_plan(
    project_dir: str,
    stack: str,
    full: bool = False,
    stack_references: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    from .project import build_project_plan

    plan = build_project_plan(Path(project_dir), stack, stack_references=stack_references)
    return plan.document(full=full)


def _project_clusters(project_dir: str, stack: str) -> list[dict[str, Any]]:
    """What `ami`, `compile`, `cost`, `reserve` and `rollout status` read of a team's program:
    each cluster it declares (plan/stack_cluster.py), from one run under the mocks."""
    from ..project.files import load_project, load_stack
    from .stack_cluster import cluster_entry
    from .team_program import run_team_program

    project = load_project(Path(project_dir))
    run = run_team_program(project, load_stack(project, stack))
    return [cluster_entry(c) for c in sorted(run.clusters, key=lambda c: c._name)]


TASKS: dict[str, Callable[..., Any]] = {
    "project-plan": _project_plan,
    "project-clusters": _project_clusters,
}
"""What a child may be asked to do: a name, and a function of JSON arguments returning a JSON
value. A new command on team projects adds its task here."""


def program_label(project: Project, config: StackConfig) -> str:
    """How a refusal names the program a child runs: project, entry point, stack."""
    try:
        shown = project.entry_point.relative_to(project.root)
    except ValueError:
        shown = project.entry_point
    return f"the program of project {project.name!r} ({shown}) on stack {config.stack!r}"


def run_in_child(task: str, arguments: dict[str, Any], *, timeout: float, program: str) -> Any:
    """TASKS[task](**arguments) in a child process, its result; ``program`` names the team's
    program in errors ("the program of project 'search' (infra/__main__.py)")."""
    if task not in TASKS:
        raise KeyError(f"no task {task!r}")
    with tempfile.TemporaryDirectory(prefix="graviton-llm-child-") as scratch:
        result_file, log_file = Path(scratch) / "result.json", Path(scratch) / "output.log"
        request = json.dumps({"task": task, "arguments": arguments, "result": str(result_file)})
        with open(log_file, "wb") as log:
            child = subprocess.Popen(
                [sys.executable, "-P", "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its own process group: killed whole, spared Ctrl-C
            )
            try:
                child.communicate(request.encode(), timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill(child)
                _relay(log_file)
                raise ProgramError(
                    f"{program} did not finish within {timeout:g} s under the mock engine (a "
                    "loop, or a wait for something that never comes); it was stopped. Raise the "
                    "limit with --program-timeout if it is only slow"
                ) from None
            finally:
                _kill(child)
        _relay(log_file)
        if not result_file.exists():
            raise ProgramError(f"{program} {_ended(child.returncode)} before the plan was built")
        answer = json.loads(read_bytes(result_file, limit=MAX_RESULT_BYTES, what="a result"))
    return _value(answer)


def _ended(code: int) -> str:
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        return f"was killed by signal {name}"
    return (
        f"ended its process (exit status {code}, e.g. os._exit); a Pulumi program must return, "
        "or raise an error, never end the interpreter"
    )


def _value(answer: dict[str, Any]) -> Any:
    if "value" in answer:
        return answer["value"]
    error = answer["error"]
    if error["kind"] == "problems":
        raise ArgsError([_problem(entry) for entry in error["problems"]])
    if error["kind"] == "bad-input":
        raise ProgramError(error["message"])
    raise RuntimeError(f"in the child process: {error['message']}")


def _kill(child: subprocess.Popen[bytes]) -> None:
    """The child's whole process group, whatever the program started in it. The group's id
    stays taken while any member lives (Linux does not reuse a pid in use as a group id), so
    this never reaches another process, even after the child itself was reaped."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()


def _relay(log_file: Path) -> None:
    size = log_file.stat().st_size
    with open(log_file, "rb") as log:
        log.seek(max(0, size - MAX_RELAYED_BYTES))
        text = log.read().decode("utf-8", errors="replace")
    if text:
        cut = "(... earlier output cut)\n" if size > MAX_RELAYED_BYTES else ""
        sys.stderr.write(cut + printable(text))
        sys.stderr.flush()


# ---- the child -----------------------------------------------------------------------------


def _answer(task: str, arguments: dict[str, Any]) -> dict[str, Any]:
    from pydantic import ValidationError

    try:
        return {"value": TASKS[task](**arguments)}
    except (ValidationError, ArgsError) as error:
        problems = field_problems(error) or []
        return {"error": {"kind": "problems", "problems": [_entry(p) for p in problems]}}
    except (ValueError, OSError) as error:  # bad input: a ConfigError, a ProgramError
        return {"error": {"kind": "bad-input", "message": str(error)}}
    except Exception as error:
        detail = "".join(traceback.format_exception(error))
        sys.stderr.write(detail)
        return {"error": {"kind": "internal", "message": f"{type(error).__name__}: {error}"}}


def _entry(problem: FieldProblem) -> dict[str, Any]:
    """A refused field as JSON, so the parent lists it as the child would have."""
    readable = isinstance(problem.value, Shown)  # e.g. Output[str]: a form, not a value
    return {
        "component": problem.component,
        "field": problem.field,
        "value": str(problem.value) if readable else json_or_repr(problem.value),
        "readable": readable,
        "fix": problem.fix,
        "kind": problem.kind,
    }


def _problem(entry: dict[str, Any]) -> FieldProblem:
    value = Shown(entry["value"]) if entry["readable"] else entry["value"]
    return FieldProblem(entry["component"], entry["field"], value, entry["fix"], entry["kind"])


def json_or_repr(value: Any) -> Any:
    """``value`` when JSON holds it as it is, else its repr."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        return repr(value)


def main() -> None:
    request = json.loads(sys.stdin.read())
    answer = _answer(request["task"], request["arguments"])
    result = Path(request["result"])
    partial = result.with_suffix(".partial")
    partial.write_text(json.dumps(answer, default=repr))
    partial.rename(result)  # whole or absent
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # threads the program left running end here, not the plan


if __name__ == "__main__":
    main()
