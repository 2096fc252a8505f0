"""release, the graviton-llm-release unit (at every boot): once vLLM answers /health, complete
this node's launch lifecycle hook so the group puts it in service, heartbeating the hook
meanwhile; with target tracking also lift the node's scale-in protection. A node back from the
warm pool (user data does not run again) is released by this unit too."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from typing import Any

from .imds import GROUP_TAG, Imds
from .paths import LIFECYCLE_HOOK_NAME


def healthy(port: int, timeout: float = 5) -> bool:
    try:
        url = f"http://127.0.0.1:{port}/health"
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return bool(answer.status == 200)
    except (OSError, ValueError):
        return False


def hook_words(group: str, instance: str) -> list[str]:
    return ["--lifecycle-hook-name", LIFECYCLE_HOOK_NAME, "--auto-scaling-group-name", group,
            "--instance-id", instance]  # fmt: skip


def heartbeat(group: str, instance: str) -> None:
    """One heartbeat for this node's launch hook; a failure only means the next one counts."""
    subprocess.run(
        ["aws", "autoscaling", "record-lifecycle-action-heartbeat", *hook_words(group, instance)],
        capture_output=True, check=False,
    )  # fmt: skip


def release(config: dict[str, Any]) -> int:
    poll = float(os.environ.get("GRAVITON_LLM_POLL_SECONDS", "10"))
    every = float(os.environ.get("GRAVITON_LLM_HEARTBEAT_SECONDS", config["heartbeat_seconds"]))
    metadata = Imds()
    instance, group = metadata.get("instance-id"), metadata.get(GROUP_TAG)
    timeout = config["ready_timeout_seconds"]
    started = last_heartbeat = time.monotonic()
    while not healthy(config["port"]):
        now = time.monotonic()
        if now - started >= timeout:
            print(f"vLLM not healthy after {timeout}s", file=sys.stderr, flush=True)
            return 1
        if now - last_heartbeat >= every:
            heartbeat(group, instance)
            last_heartbeat = now
        time.sleep(poll)
    complete = subprocess.run(
        ["aws", "autoscaling", "complete-lifecycle-action", "--lifecycle-action-result",
         "CONTINUE", *hook_words(group, instance)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    # "No active Lifecycle Action" (a plain reboot, nothing pending) is not an error.
    if complete.returncode != 0 and "No active Lifecycle Action" not in complete.stderr:
        sys.stderr.write(complete.stdout + complete.stderr)
        return 1
    if config["unprotect_on_release"]:
        return subprocess.run(
            ["aws", "autoscaling", "set-instance-protection", "--instance-ids", instance,
             "--auto-scaling-group-name", group, "--no-protected-from-scale-in"],
            check=False,
        ).returncode  # fmt: skip
    return 0
