"""Run one hostile case in a forked child and say what it came to, in the categories of issue
27's table: ``clear`` (refused with a clear error, or handled as it should be), ``traceback``,
``hang`` (still running at the time limit), ``wrong`` (an outcome a user would be misled by:
accepted, the wrong exit code, a crash the process does not report) and ``escape`` (control
characters or markup reached the terminal, or a file outside its place was read or written).

A child per case: a case that hangs, exits the interpreter or exhausts memory ends only its own
process (its address space is capped). Used by benchmarks/hostile_corpus.py, which prints the
table, and by tests/test_hostile_corpus.py.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("clear", "traceback", "hang", "wrong", "escape")
RAW_CONTROLS = ("\x1b", "\x07", "\x08", "\x9b", "\u202e", "\U0001f511")
ADDRESS_SPACE = 4 * 2**30


@dataclass
class Case:
    surface: str
    name: str
    run: Callable[[], str]
    """Does the case and returns its outcome (one of OUTCOMES but "hang"), in the child."""
    timeout_s: float = 60.0
    tags: tuple[str, ...] = field(default_factory=tuple)
    max_rss_mib: int | None = None
    """Past this peak memory the case is "wrong" whatever it answered (a client that takes
    gigabytes for one request is exhausted, even if it then reports the request failed)."""


def judge_cli(result: Any, codes: set[int], literal: str | None = None) -> str:
    """The outcome of a CliRunner result expected to end with one of ``codes``."""
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return "traceback"
    if "Traceback (most recent call last)" in output:
        return "traceback"
    if any(c in output for c in RAW_CONTROLS):
        return "escape"
    if (
        literal is not None
        and literal not in " ".join(output.split())
        and result.exit_code in codes
    ):
        return "escape"  # markup was interpreted: the text the user wrote is not what printed
    if result.exit_code not in codes:
        return "wrong"
    return "clear"


def run_case(case: Case) -> tuple[str, str]:
    """(outcome, detail) of ``case``, run in a forked child with its time limit. Whatever the
    case writes to the temp dir lands in a scratch folder removed when the case ends, even
    when it hangs and is killed."""
    scratch = tempfile.mkdtemp(prefix="corpus-case-")
    try:
        return _run_case(case, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run_case(case: Case, scratch: str) -> tuple[str, str]:
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        os.close(read)
        os.setpgid(0, 0)
        tempfile.tempdir = os.environ["TMPDIR"] = scratch
        quiet = os.open(os.devnull, os.O_WRONLY)  # the case's own logs would bury the table
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
        try:
            outcome, detail = case.run(), ""
        except MemoryError:
            outcome, detail = "wrong", "MemoryError: ran out of its address space"
        except BaseException as error:  # the harness's own failure is reported, not hidden
            outcome, detail = "traceback", "".join(traceback.format_exception(error))[-600:]
        os.write(write, json.dumps([outcome, detail]).encode())
        os._exit(0)
    os.close(write)
    deadline = time.monotonic() + case.timeout_s
    status = None
    usage = None
    while time.monotonic() < deadline:
        done, status, usage = os.wait4(child, os.WNOHANG)
        if done:
            break
        time.sleep(0.02)
    else:
        os.killpg(child, signal.SIGKILL)
        os.waitpid(child, 0)
        os.close(read)
        return "hang", f"still running after {case.timeout_s:g} s"
    with os.fdopen(read, "rb") as source:
        answer = source.read()
    if not answer:
        # The case ended the process itself (os._exit in a program run in-process).
        code = os.waitstatus_to_exitcode(status) if status is not None else None
        return "wrong", f"the process ended (status {code}) without an outcome"
    outcome, detail = json.loads(answer)
    peak_mib = usage.ru_maxrss / 1024 if usage is not None else 0.0  # Linux: KiB
    if case.max_rss_mib is not None and peak_mib > case.max_rss_mib and outcome == "clear":
        return "wrong", f"peak memory {peak_mib:,.0f} MiB"
    return outcome, detail


def table(results: dict[str, list[tuple[Case, str, str]]]) -> str:
    lines = [
        "| surface | tried | clear error | traceback | hang | wrong | escape |",
        "|---|---|---|---|---|---|---|",
    ]
    for surface, rows in results.items():
        counts = [sum(outcome == o for _, outcome, _ in rows) for o in OUTCOMES]
        lines.append(f"| {surface} | {len(rows)} | " + " | ".join(map(str, counts)) + " |")
    return "\n".join(lines)
