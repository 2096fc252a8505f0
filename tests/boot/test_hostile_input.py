"""Hostile values never become shell code on a node.

The args refuse these values (tests/args/test_hostile_args.py); here they are forced past the
args (``model_copy`` does not validate) or arrive from instance metadata, and the rendered
script runs for real in the sandbox: no payload may run, and the node either serves, or fails
with a clear message (at render time or in a named boot step).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sandbox import Run, Sandbox, scenario

# Boots nodes in the sandbox (moto, the AWS CLI, the agent on python3, fake units).
pytestmark = pytest.mark.slow

# Each writes the marker file if any shell ever runs it. MARK is replaced per sandbox.
PAYLOADS = [
    "x\ntouch MARK\n#",
    "x\r\ntouch MARK\r\n#",
    "x'; touch MARK; '",
    'x"; touch MARK; "',
    "$(touch MARK)",
    "`touch MARK`",
    "x;touch MARK",
    "x&touch MARK&",
    "a/b/../c;touch${IFS}MARK",
    "x\\y\\ntouch MARK",
    "x" * 5000 + "$(touch MARK)",
]


def _marker(box: Sandbox, name: str) -> Path:
    return box.tmp / f"pwned-{name}"


def _armed(payload: str, marker: Path) -> str:
    return payload.replace("MARK", str(marker))


def _forced(box: Sandbox, **fields: str) -> Any:
    """Valid args with hostile values forced into the model id, weights prefix and image."""
    args = box.args()
    model = args.model.model_copy(update={"params_billion": 8.03})
    if "model_id" in fields:
        model = model.model_copy(update={"id": fields["model_id"]})
    if "prefix" in fields:
        model = model.model_copy(update={"weights_uri": f"s3://{box.bucket}/{fields['prefix']}/"})
    update: dict[str, Any] = {"model": model}
    if "image" in fields:
        update["image"] = fields["image"]
    return args.model_copy(update=update)


def _boot(box: Sandbox, args: Any) -> Run | str:
    """The run, or the renderer's refusal (a clear failure before anything reaches a node)."""
    try:
        return box.run(args, GRAVITON_LLM_READY_TIMEOUT_SECONDS="5")
    except ValueError as refused:
        return f"render refused: {refused}"


@scenario
def model_id_with_newlines(box: Sandbox) -> tuple[Path, Run]:
    marker = _marker(box, "model-id")
    box.upload_weights("llama/")
    box.neuron_devices(1)
    # A short readiness wait: before the fix the probe JSON broke too and the node never served.
    run = box.run(
        _forced(box, model_id=f"acme/x\ntouch {marker}\n#"), GRAVITON_LLM_READY_TIMEOUT_SECONDS="5"
    )
    return marker, run


def test_a_model_id_with_newlines_does_not_run_its_payload(scenarios):
    _box, (marker, run) = scenarios["model_id_with_newlines"]
    assert not marker.exists(), run.output
    assert run.returncode == 0, run.output  # the id is data: the node serves under it


@scenario
def group_name_with_a_sed_command(box: Sandbox) -> tuple[Path, Run]:
    marker = _marker(box, "group")
    box.upload_weights("llama/")
    box.neuron_devices(1)
    box.group_name(f"llm/;etouch${{IFS}}{marker};#")
    return marker, box.run(box.args())


def test_a_group_name_from_instance_metadata_does_not_reach_sed(scenarios):
    _box, (marker, run) = scenarios["group_name_with_a_sed_command"]
    assert not marker.exists(), run.output
    assert run.returncode != 0
    assert "Auto Scaling group name" in run.output


@scenario
def hostile_model_id_and_image(box: Sandbox) -> tuple[list[Path], Run | str]:
    """Every payload at once in the model id and in the image: neither field fails a boot early,
    so one boot takes them through every step (download, units, container, readiness probe)."""
    box.neuron_devices(1)
    box.upload_weights("llama/")
    markers = [
        _marker(box, f"{field}-{i}") for field in ("id", "image") for i in range(len(PAYLOADS))
    ]
    armed = [_armed(p, m) for p, m in zip(PAYLOADS * 2, markers, strict=True)]
    half = len(PAYLOADS)
    return markers, _boot(
        box, _forced(box, model_id="".join(armed[:half]), image="".join(armed[half:]))
    )


def test_hostile_model_ids_and_images_run_nothing(scenarios):
    _box, (markers, outcome) = scenarios["hostile_model_id_and_image"]
    output = outcome if isinstance(outcome, str) else outcome.output
    assert [m.name for m in markers if m.exists()] == [], output
    assert isinstance(outcome, Run) and outcome.returncode == 0, output  # data, so it serves


@scenario
def hostile_prefixes(box: Sandbox) -> list[tuple[Path, Run | str]]:
    box.neuron_devices(1)
    outcomes = []
    for i, payload in enumerate(PAYLOADS):
        marker = _marker(box, f"prefix-{i}")
        prefix = _armed(payload, marker)
        with contextlib.suppress(ClientError):  # S3 (and moto) refuse some keys outright
            box.upload_weights(f"{prefix}/")
        outcomes.append((marker, _boot(box, _forced(box, prefix=prefix))))
    return outcomes


def test_hostile_weights_prefixes_run_nothing(scenarios):
    _box, outcomes = scenarios["hostile_prefixes"]
    for marker, outcome in outcomes:
        output = outcome if isinstance(outcome, str) else outcome.output
        assert not marker.exists(), output
        if isinstance(outcome, Run):
            assert outcome.returncode == 0 or "FAILED in step" in output, output


@scenario
def hostile_group_names(box: Sandbox) -> list[tuple[Path, Run]]:
    box.upload_weights("llama/")
    box.neuron_devices(1)
    outcomes = []
    for i, payload in enumerate(PAYLOADS):
        marker = _marker(box, f"group-{i}")
        box.group_name(_armed(payload, marker))
        outcomes.append((marker, box.run(box.args())))
    return outcomes


def test_hostile_group_names_from_instance_metadata_run_nothing(scenarios):
    _box, outcomes = scenarios["hostile_group_names"]
    for marker, run in outcomes:
        assert not marker.exists(), run.output
        assert run.returncode != 0
        assert "unexpected Auto Scaling group name" in run.output
