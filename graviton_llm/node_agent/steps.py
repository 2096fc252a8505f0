"""How a job (boot, compile) reports: each step on the console as it starts, and a failure once,
naming its step, on stderr and on /dev/console. The bootstrap sends the job's output to the boot
log and to cloud-init, which copies it to the console (EC2 "Get system log")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

from .model_store_weights import on_node
from .paths import BOOT_LOG


class StepFailed(Exception):
    """The job stops here: nothing after this step runs and the node never enters service."""


class Job:
    """The running job's name and current step."""

    def __init__(self, name: str) -> None:
        self.name, self.step_name = name, "start"

    def step(self, name: str) -> None:
        self.step_name = name
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        print(f"graviton-llm: [{stamp}] step: {name}", flush=True)

    def fail(self, message: str) -> StepFailed:
        """Report ``message`` as this step's failure; raise what this returns."""
        say(f"FAILED in step '{self.step_name}': {message}")
        return StepFailed(message)

    def report_failure(self, code: int) -> None:
        line = f"{self.name} FAILED in step {self.step_name} (exit {code}); log: {BOOT_LOG}"
        say(line)
        to_console(f"graviton-llm: {line}")


def say(message: str) -> None:
    print(f"graviton-llm: {message}", file=sys.stderr, flush=True)


def to_console(line: str) -> None:
    """``line`` on the system console too, where `aws ec2 get-console-output` finds it even
    when cloud-init's copy is lost. A node without one (a sandbox) skips it."""
    try:
        with open(on_node("/dev/console"), "a") as console:
            console.write(line + "\n")
    except OSError:
        pass


def settings() -> tuple[float, float, int]:
    """(poll seconds, backoff seconds, attempts): the tests shorten them; nodes keep these."""
    environ = os.environ
    return (
        float(environ.get("GRAVITON_LLM_POLL_SECONDS", "10")),
        float(environ.get("GRAVITON_LLM_BACKOFF_SECONDS", "5")),
        int(environ.get("GRAVITON_LLM_ATTEMPTS", "5")),
    )


# Errors no retry can fix (a missing bucket or parameter, access denied): retries end at once.
FINAL_ERRORS = ("NoSuchBucket", "InvalidBucketName", "AccessDenied", "ParameterNotFound")


def retry(argv: list[str], attempts: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` up to ``attempts`` times with exponential backoff, each failure's stderr on
    ours; the last result (returncode 2 after a final error)."""
    _, backoff, default_attempts = settings()
    attempts = attempts or default_attempts
    n = 1
    while True:
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        sys.stderr.write(result.stderr)
        sys.stderr.flush()
        if result.returncode == 0:
            return result
        if any(word in result.stderr for word in FINAL_ERRORS):
            return subprocess.CompletedProcess(argv, 2, result.stdout, result.stderr)
        if n >= attempts:
            return result
        wait = backoff * 2 ** (n - 1)
        say(f"attempt {n}/{attempts} failed: {' '.join(argv)}; retrying in {wait:g}s")
        time.sleep(wait)
        n += 1


def run(argv: list[str]) -> int:
    """A command whose output is the job's own (it reaches the log as it comes)."""
    sys.stdout.flush()
    return subprocess.run(argv, check=False).returncode


def poll_until(done: Callable[[], bool], give_up: Callable[[], str | None], poll: float) -> None:
    """Call ``done`` until it is True; ``give_up`` returns why to stop (raised as StepFailed)."""
    while not done():
        why = give_up()
        if why is not None:
            raise StepFailed(why)
        time.sleep(poll)
