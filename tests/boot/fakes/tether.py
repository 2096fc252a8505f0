"""Runs a sandbox unit's process (``tether.py OWNER_PID argv...``) and ends it when the owner,
the test process that made the sandbox, is gone: on its teardown or on a SIGKILL that skipped
the teardown. The systemctl shim starts units in their own session and exits at once, so a
parent-death signal cannot tie them to the test run; a pidfd of the owner can (an event, not
polling). The tether leads the unit's process group: `systemctl stop` (killpg) ends both, and
it exits with the unit's status, so `is-failed` sees what the unit did."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys


def main() -> int:
    owner, argv = int(sys.argv[1]), sys.argv[2:]
    try:
        owner_fd = os.pidfd_open(owner)
    except ProcessLookupError:
        return 1  # the run that wanted this unit has already ended
    child = subprocess.Popen(argv)
    child_fd = os.pidfd_open(child.pid)
    ready, _, _ = select.select([owner_fd, child_fd], [], [])
    if child_fd in ready:
        code = child.wait()
        return 128 - code if code < 0 else code
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the group's SIGTERM is for the unit
    os.killpg(os.getpgrp(), signal.SIGTERM)
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(os.getpgrp(), signal.SIGKILL)
    return 1


if __name__ == "__main__":
    sys.exit(main())
