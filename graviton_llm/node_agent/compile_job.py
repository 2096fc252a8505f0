"""The pre-warm job (`graviton-llm compile`): run once on a one-off instance of the cluster's
type, it compiles the model exactly as a node would (the node's weights, image, container
command and model-store), publishes the set to the artifact cache, and powers the instance off
whatever happened (it was launched to terminate on shutdown)."""

from __future__ import annotations

from typing import Any

from . import model_store
from .install import check_accelerator, install_node, setup_region, wait_ready
from .node_files import model_store_settings
from .paths import VLLM_UNIT
from .steps import Job, run


def compile_artifacts(job: Job, config: dict[str, Any]) -> None:
    setup_region(job, config)
    check_accelerator(job, config["neuron_chips"])
    install_node(job, config)
    job.step("check-cache")
    # What the vLLM unit's ExecStartPre does: a set the cache holds for this key is downloaded
    # and verified, and then there is nothing to compile.
    settings = model_store_settings(config)
    model_store.prepare(settings)
    cached = model_store.status(settings) == 0
    model_id = config["model"]["id"]
    if cached:
        job.step("done")
        print(
            f"graviton-llm: the artifact cache already holds {model_id} for these shapes; "
            "nothing to compile"
        )
        return
    job.step("compile")
    if run(["systemctl", "start", VLLM_UNIT]) != 0:
        raise job.fail(f"cannot start {VLLM_UNIT}; see: journalctl -u {VLLM_UNIT}")
    wait_ready(job, config)
    job.step("publish-artifacts")
    if model_store.publish(settings) != 0:
        raise job.fail("could not publish the compiled artifacts (above)")
    run(["systemctl", "stop", VLLM_UNIT])
    job.step("done")
    print(
        f"graviton-llm: compiled {model_id} and published it: the cluster's nodes now start "
        "from the cache"
    )


def power_off() -> None:
    print("graviton-llm: powering off", flush=True)
    run(["shutdown", "-h", "now"])
