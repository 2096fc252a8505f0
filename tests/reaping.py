"""Background processes a test starts end with the test run, even when pytest itself is killed
with SIGKILL (no teardown runs then).

- A direct child of the test process: ``subprocess.Popen(..., preexec_fn=die_with_parent())``.
  Linux sends it SIGKILL when the thread that forked it ends (prctl PR_SET_PDEATHSIG), so
  start it from a thread that outlives it (the main thread, or the thread that waits for it).
- A process started by a short-lived one (the boot sandbox's systemctl shim starts units and
  exits at once, so a death signal on its parent would fire immediately): run it under
  ``tests/boot/fakes/tether.py OWNER_PID argv...``, which waits on a pidfd of the owner (the
  pytest process, ``OWNER_ENV`` in the sandbox's environment) and ends its process group when
  the owner is gone.
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Callable

OWNER_ENV = "GLT_OWNER_PID"
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Resolved before any fork; None off Linux, where children are only ended by teardown.
_prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)


def die_with_parent() -> Callable[[], None]:
    """A ``preexec_fn``: the child gets SIGKILL when its parent (this process) dies."""
    parent = os.getpid()

    def arm() -> None:
        if _prctl is None:
            return
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died between fork and prctl
            os.kill(os.getpid(), signal.SIGKILL)

    return arm
