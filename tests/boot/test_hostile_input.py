"""Hostile values never become shell code on a node.

The args refuse these values (tests/args/test_hostile_args.py); here they are forced past the
args (``model_copy`` does not validate) or arrive from instance metadata, and the rendered
script runs for real in the sandbox: no payload may run, and the node either serves or fails
with a clear message.
"""

from __future__ import annotations

from pathlib import Path

from sandbox import Sandbox


def _marker(box: Sandbox, name: str) -> Path:
    return box.tmp / f"pwned-{name}"


def test_a_model_id_with_newlines_does_not_run_its_payload(sandbox: Sandbox):
    marker = _marker(sandbox, "model-id")
    sandbox.upload_weights("llama/")
    sandbox.neuron_devices(1)
    args = sandbox.args()
    hostile = args.model.model_copy(
        update={"id": f"acme/x\ntouch {marker}\n#", "params_billion": 8.03}
    )
    # A short readiness wait: before the fix the probe JSON broke too and the node never served.
    run = sandbox.run(
        args.model_copy(update={"model": hostile}), GRAVITON_LLM_READY_TIMEOUT_SECONDS="5"
    )

    assert not marker.exists(), run.output
    assert run.returncode == 0, run.output  # the id is data: the node serves under it


def test_a_group_name_from_instance_metadata_does_not_reach_sed(sandbox: Sandbox):
    marker = _marker(sandbox, "group")
    sandbox.upload_weights("llama/")
    sandbox.neuron_devices(1)
    sandbox.group_name(f"llm/;etouch${{IFS}}{marker};#")
    run = sandbox.run(sandbox.args())

    assert not marker.exists(), run.output
    assert run.returncode != 0
    assert "Auto Scaling group name" in run.output
