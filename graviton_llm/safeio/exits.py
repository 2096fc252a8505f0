"""The CLI's exit codes, one meaning each (README "Exit codes"): a CI gate can tell a failed
security check from a typo in a stack file, an AWS outage or a bug of ours."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1
    """A check the command exists for failed: a security finding (`plan`), no feasible option
    (`size`), too many failed requests (`bench`), a purchase whose dry run failed (`reserve`)."""
    BAD_INPUT = 2
    """Bad input, found before anything was done: a flag, a file, a stack, a team's program
    (one that fails, loops past its time limit or exits early). One paragraph says what."""
    AWS_FAILED = 3
    """An AWS call failed (credentials, network, throttling, an API error)."""
    NOT_FOUND = 4
    """Nothing of the stack's was found where it deploys: another account or region (the
    stack's AWS settings reach elsewhere), or not deployed yet (`rollout status`)."""
    INTERNAL_ERROR = 70
    """A bug in graviton-llm (sysexits.h EX_SOFTWARE); GRAVITON_LLM_DEBUG=1 shows the traceback."""
    INTERRUPTED = 130
    """Ctrl-C (128 + SIGINT)."""
