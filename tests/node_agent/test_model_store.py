"""model-store's pure parts: the weights' identity, the manifest a node trusts, and the
conditional manifest write (the boot sandbox runs the rest for real against moto)."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest

from agent_support import config_for
from graviton_llm.node_agent import main, model_store, model_store_weights
from graviton_llm.node_agent.node_files import model_store_settings
from graviton_llm.node_agent.paths import NODE_CONFIG

KEY = "0123456789abcdef-fedcba9876543210"


def _file(path: str, data: bytes) -> dict:
    return {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _manifest(**overrides) -> str:
    document = {
        "format": model_store.FORMAT,
        "key": KEY,
        "files": [_file("neuron_config.json", b"{}"), _file("weights/tp0.safetensors", b"w")],
    }
    return json.dumps(document | overrides)


def test_the_tool_reads_its_settings_from_the_node_config():
    assert main.NODE_CONFIG == NODE_CONFIG == "/opt/graviton-llm/etc/node.json"
    settings = model_store_settings(config_for(artifact_cache={"uri": "s3://cache/c/"}))
    assert settings["weights_uri"] == "s3://team-weights/llama-3.1-8b-instruct/"
    assert settings["cache"] == {"bucket": "cache", "prefix": f"c/{settings['static_key']}/"}
    assert settings["key_inputs"]["model_id"] == "meta-llama/Llama-3.1-8B-Instruct"


def test_a_good_manifest_gives_its_files():
    files = model_store.parse_manifest(_manifest(), KEY)
    assert [f["path"] for f in files] == ["neuron_config.json", "weights/tp0.safetensors"]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"format": "graviton-llm-artifacts/1", "key": ', "Expecting value"),  # cut short
        (_manifest(format="something/2"), "not a graviton-llm-artifacts/1 manifest"),
        (_manifest(key="0123456789abcdef-0000000000000000"), "not 0123456789abcdef-fedcba"),
        (_manifest(files=[]), "no file list"),
        (_manifest(files="model.pt"), "no file list"),
        (_manifest(files=[_file("../../etc/cron.d/x", b"x")]), "unsafe"),
        (_manifest(files=[_file("/etc/passwd", b"x")]), "unsafe"),
        (_manifest(files=[_file("a//b", b"x")]), "unsafe"),
        (_manifest(files=[_file("./model.pt", b"x")]), "unsafe"),
        (_manifest(files=[_file(".", b"x")]), "unsafe"),
        (_manifest(files=[{"path": "model.pt", "size": True, "sha256": "0" * 64}]), "no size"),
        (_manifest(files=[{"path": "model.pt", "size": -1, "sha256": "0" * 64}]), "no size"),
        (_manifest(files=[{"path": "model.pt", "size": 1, "sha256": "XYZ"}]), "no SHA-256"),
        (_manifest(files=[_file("model.pt", b"x"), _file("model.pt", b"y")]), "twice"),
        (_manifest(files=[_file("w", b"x"), _file("w/tp0", b"y")]), "file and a directory"),
        ('["a list"]', "not a graviton-llm-artifacts/1 manifest"),
    ],
)
def test_a_manifest_that_is_not_exactly_right_is_refused(text, why):
    with pytest.raises(ValueError, match=why.replace("(", r"\(")):
        model_store.parse_manifest(text, KEY)


def _listing(tmp_path, entries) -> str:
    path = tmp_path / "listing.json"
    path.write_text(json.dumps(entries))
    return str(path)


def test_the_weights_identity_is_the_listing_and_changes_with_any_object(tmp_path):
    base = [
        ["m/config.json", 10, '"aa"'],
        ["m/model.safetensors", 100, '"bb-2"'],
        ["m/original/", 0, '"cc"'],  # a folder marker: not a file
    ]
    files = model_store_weights.listing_files(_listing(tmp_path, base), "m/")
    assert files == [["config.json", 10, '"aa"'], ["model.safetensors", 100, '"bb-2"']]
    digest = model_store_weights.weights_digest(files)
    # The listing's order does not matter; a re-upload (another ETag), a size or a file does.
    shuffled = model_store_weights.listing_files(_listing(tmp_path, base[::-1]), "m/")
    assert model_store_weights.weights_digest(shuffled) == digest
    for changed in (
        [base[0], ["m/model.safetensors", 100, '"dd-2"'], base[2]],
        [base[0], ["m/model.safetensors", 101, '"bb-2"'], base[2]],
        [*base, ["m/tokenizer.json", 1, '"ee"']],
    ):
        other = model_store_weights.listing_files(_listing(tmp_path, changed), "m/")
        assert model_store_weights.weights_digest(other) != digest


def test_an_empty_prefix_lists_as_null_and_odd_keys_are_refused(tmp_path):
    assert model_store_weights.listing_files(_listing(tmp_path, None), "m/") == []
    for entries in ([["m/../x", 1, '"e"']], [["other/x", 1, '"e"']], [["m/x", "1", '"e"']]):
        with pytest.raises(ValueError):
            model_store_weights.listing_files(_listing(tmp_path, entries), "m/")


class _Key:
    bucket, entry = "b", "cache/0123456789abcdef/fedcba9876543210/"


def _answers(monkeypatch, *stderrs: str) -> list[tuple[str, ...]]:
    """model_store.aws answering with these errors in turn ("" is success); the calls made."""
    calls: list[tuple[str, ...]] = []
    replies = list(stderrs)

    def aws(*args: str) -> subprocess.CompletedProcess:
        calls.append(args)
        stderr = replies.pop(0)
        return subprocess.CompletedProcess(args, 1 if stderr else 0, "", stderr)

    monkeypatch.setattr(model_store, "aws", aws)
    monkeypatch.setenv("GRAVITON_LLM_BACKOFF_SECONDS", "0")
    return calls


def test_the_manifest_is_written_only_if_none_exists(monkeypatch):
    calls = _answers(monkeypatch, "")
    assert model_store.put_manifest(_Key(), "/tmp/m.json") == "won"
    assert calls[0][-2:] == ("--if-none-match", "*")
    assert calls[0][4:6] == ("--key", "cache/0123456789abcdef/fedcba9876543210/manifest.json")


def test_a_second_publisher_loses_on_412_and_writes_nothing_more(monkeypatch):
    precondition = (
        "An error occurred (PreconditionFailed) when calling the PutObject operation: At least "
        "one of the pre-conditions you specified did not hold"
    )
    calls = _answers(monkeypatch, precondition)
    assert model_store.put_manifest(_Key(), "/tmp/m.json") == "lost"
    assert len(calls) == 1


def test_a_conflicting_write_in_flight_409_is_retried(monkeypatch):
    """S3 answers 409 ConditionalRequestConflict while another conditional write to the key is in
    flight: retry (S3 User Guide, conditional writes). moto never sends it, hence this stub."""
    conflict = "An error occurred (ConditionalRequestConflict) when calling the PutObject operation"
    calls = _answers(monkeypatch, conflict, conflict, "")
    assert model_store.put_manifest(_Key(), "/tmp/m.json") == "won"
    assert len(calls) == 3
    _answers(monkeypatch, conflict, conflict, conflict, conflict)
    assert "409" in model_store.put_manifest(_Key(), "/tmp/m.json")


def test_any_other_error_is_reported_not_taken_for_a_lost_race(monkeypatch):
    _answers(monkeypatch, "An error occurred (AccessDenied) when calling the PutObject operation")
    assert "AccessDenied" in model_store.put_manifest(_Key(), "/tmp/m.json")
