"""A poisoned artifact cache, and a vLLM container that plants links where it may write: the
node never fails its start for either, never loads what was not published, and never reads,
writes or uploads anything outside its own directories.

A cache entry outlives every node (manifests are write-once), so a manifest that kills
`prepare` (the vLLM unit's ExecStartPre) would stop every later node of the key too. Each shape
below once did (issue 27); every one now ends in "vLLM compiles instead", logged once."""

from __future__ import annotations

import json
import os
import threading

import pytest
from cache_fakes import ENTRY, KEY, listed, make_node, manifest, sha
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graviton_llm.node_agent import model_store

GOOD = {"neuron_config.json": b'{"tp": 2}', "weights/tp0.pt": b"\x00neff" * 50}


@pytest.fixture
def node(tmp_path, monkeypatch):
    return make_node(tmp_path / "root", monkeypatch)


def _prepare(node, capsys) -> str:
    assert model_store.prepare(node.config) == 0
    return capsys.readouterr().err


def _compiled_instead(node, capsys) -> str:
    """prepare succeeded, vLLM finds an empty directory to compile into, one log line says why."""
    log = _prepare(node, capsys)
    assert node.loaded() == {}
    assert log.count("vLLM compiles instead") == 1, log
    return log


def test_a_good_entry_is_placed_and_loaded(node, capsys):
    node.s3.publish(GOOD)
    assert "artifact cache hit" in _prepare(node, capsys)
    assert node.loaded() == GOOD
    assert node.state()["source"] == "cache"


POISONED = {
    # A file `w` and a path `w/a/b`: `w` is both (two levels up). Was NotADirectoryError.
    "file-and-deeper-path": [
        {"path": "w", "size": 1, "sha256": sha(b"x")},
        {"path": "w/a/b", "size": 1, "sha256": sha(b"y")},
    ],
    "deeper-path-first": [
        {"path": "w/a/b", "size": 1, "sha256": sha(b"y")},
        {"path": "w", "size": 1, "sha256": sha(b"x")},
    ],
    "path-is-a-grandparent": [
        {"path": "a/b", "size": 1, "sha256": sha(b"x")},
        {"path": "a/b/c/d", "size": 1, "sha256": sha(b"y")},
    ],
}


@pytest.mark.parametrize("files", POISONED.values(), ids=POISONED.keys())
def test_a_path_that_is_a_file_and_a_directory_at_any_level_is_refused(node, capsys, files):
    node.s3.objects.update({f"{ENTRY}blobs/{sha(b'x')}": b"x", f"{ENTRY}blobs/{sha(b'y')}": b"y"})
    node.s3.objects[f"{ENTRY}manifest.json"] = manifest(files)
    assert "file and a directory" in _compiled_instead(node, capsys)


RAW_MANIFESTS = {
    "400-kb-of-brackets": b"[" * 200_000 + b"]" * 200_000,  # was RecursionError
    "deep-objects": b'{"a":' * 5000 + b"1" + b"}" * 5000,
    "40-levels": json.dumps(
        {
            "format": model_store.FORMAT,
            "key": KEY,
            "files": listed(GOOD),
            "inputs": json.loads("[" * 40 + "]" * 40),
        }
    ).encode(),
    "over-4-mib": b" " * (4 * 2**20 + 1) + manifest(listed(GOOD)),
    "not-utf8": b"\xff\xfe{}",
    "nan-size": manifest(listed(GOOD)).replace(b'"size": 9', b'"size": NaN'),
    "size-as-float": manifest(listed(GOOD)).replace(b'"size": 9', b'"size": 9.0'),
    "huge-integer-size": manifest(listed(GOOD)).replace(b'"size": 9', b'"size": ' + b"9" * 5000),
    "null": b"null",
    "empty": b"",
}


@pytest.mark.parametrize("raw", RAW_MANIFESTS.values(), ids=RAW_MANIFESTS.keys())
def test_a_manifest_no_publisher_writes_is_refused(node, capsys, raw):
    node.s3.publish(GOOD, raw)
    assert "corrupt manifest" in _compiled_instead(node, capsys)


def test_a_blob_the_cli_delivered_as_a_directory_or_a_link_is_not_placed(node, capsys, tmp_path):
    """Whatever the download leaves where a blob should be, it is checked before it is used."""
    outside = tmp_path / "host-secret"
    outside.write_bytes(GOOD["neuron_config.json"])
    node.s3.publish(GOOD)
    download = node.s3._download

    def planting(args):
        download(args)
        target = args[args.index(next(a for a in args if a.startswith("s3://"))) + 1]
        blob = os.path.join(target, sha(GOOD["neuron_config.json"]))
        os.unlink(blob)
        os.symlink(outside, blob)

    node.s3._download = planting
    assert "Too many levels of symbolic links" in _compiled_instead(node, capsys)
    assert outside.read_bytes() == GOOD["neuron_config.json"]


def test_an_unexpected_failure_while_placing_is_logged_once_and_the_node_compiles(
    node, capsys, monkeypatch
):
    node.s3.publish(GOOD)

    def broken(*args, **kwargs):
        raise MemoryError("a placement step that nobody foresaw")

    monkeypatch.setattr(model_store, "sha256_of", broken)
    log = _compiled_instead(node, capsys)
    assert "MemoryError: a placement step that nobody foresaw" in log


# ---- links and special files the container plants in the artifacts directory ---------------


def test_prepare_never_follows_a_planted_key_directory_link(node, capsys, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("host data")
    node.artifacts.mkdir(parents=True)
    node.directory.symlink_to(outside)
    (node.artifacts / f"{KEY}.json").write_text(json.dumps({"key": KEY, "source": "cache"}))
    node.s3.publish(GOOD)
    assert "artifact cache hit" in _prepare(node, capsys)
    assert node.loaded() == GOOD  # a real directory now, the link gone
    assert (outside / "keep").read_text() == "host data"  # nothing removed through it


def test_prepare_does_not_block_on_a_planted_fifo_or_follow_a_state_link(node, capsys, tmp_path):
    node.artifacts.mkdir(parents=True)
    os.mkfifo(node.artifacts / f"{KEY}.json")  # a read would wait for a writer for ever
    (node.artifacts / "active").mkdir()  # a directory where the link goes
    done = threading.Event()

    def run():
        model_store.prepare(node.config)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(60), "prepare blocked on a FIFO"
    assert node.loaded() == {}
    secret = tmp_path / "state-elsewhere.json"
    secret.write_text(json.dumps({"key": KEY, "source": "compiled"}))
    (node.artifacts / f"{KEY}.json").unlink(missing_ok=True)
    (node.artifacts / f"{KEY}.json").symlink_to(secret)
    assert model_store.read_json(str(node.artifacts / f"{KEY}.json")) is None


def test_publish_never_uploads_a_file_a_link_points_at(node, capsys, tmp_path):
    """The container mounts the artifacts read-write: a link it plants in its set to a host file
    must not carry that file into the shared cache for every other node to download."""
    host = tmp_path / "host-secret"
    host.write_bytes(b"root:secret-hash")
    node.directory.mkdir(parents=True)
    (node.directory / "model.pt").write_bytes(b"neff")
    (node.directory / "stolen").symlink_to(host)
    assert model_store.publish(node.config) == 1
    log = capsys.readouterr().err
    assert "'stolen' is not a plain directory or regular file" in log
    assert not any(b"secret-hash" in data for data in node.s3.objects.values())
    assert f"{ENTRY}manifest.json" not in node.s3.objects


@pytest.mark.parametrize("kind", ["directory-link", "fifo", "key-directory-link"])
def test_publish_refuses_links_and_special_files_without_blocking(node, capsys, tmp_path, kind):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_bytes(b"host file")
    if kind == "key-directory-link":
        node.artifacts.mkdir(parents=True)
        node.directory.symlink_to(outside)
    else:
        node.directory.mkdir(parents=True)
        (node.directory / "model.pt").write_bytes(b"neff")
        if kind == "fifo":
            os.mkfifo(node.directory / "pipe")
        else:
            (node.directory / "etc").symlink_to(outside)
    done = threading.Event()
    codes = []

    def run():
        codes.append(model_store.publish(node.config))
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(60), "publish blocked"
    assert not any(b"host file" in data for data in node.s3.objects.values())
    assert f"{ENTRY}manifest.json" not in node.s3.objects
    assert codes == [0 if kind == "key-directory-link" else 1]


def test_publish_rescans_the_set_instead_of_trusting_the_state_file(node, capsys, tmp_path):
    """The state file is in the container's view: its file list is never used to find files."""
    host = tmp_path / "host-secret"
    host.write_bytes(b"root:secret-hash")
    node.directory.mkdir(parents=True)
    (node.directory / "model.pt").write_bytes(b"neff")
    escape = os.path.relpath(host, node.directory)
    state = {"key": KEY, "source": "compiled", "published": False}
    state["files"] = [{"path": escape, "size": 16, "sha256": sha(host.read_bytes())}]
    (node.artifacts / f"{KEY}.json").write_text(json.dumps(state))
    assert model_store.publish(node.config) == 0
    assert not any(b"secret-hash" in data for data in node.s3.objects.values())
    published = json.loads(node.s3.objects[f"{ENTRY}manifest.json"])
    assert [f["path"] for f in published["files"]] == ["model.pt"]


def test_a_published_set_round_trips_to_the_next_node(node, capsys, tmp_path, monkeypatch):
    node.directory.mkdir(parents=True)
    for path, data in GOOD.items():
        (node.directory / path).parent.mkdir(parents=True, exist_ok=True)
        (node.directory / path).write_bytes(data)
    assert model_store.publish(node.config) == 0
    (upload,) = [c for c in node.s3.calls if c[:2] == ("s3", "cp")]
    assert "--no-follow-symlinks" in upload  # the CLI follows links by default
    # No staging is left behind, and none was ever in the container's view.
    assert sorted(p.name for p in node.artifacts.iterdir()) == [KEY, f"{KEY}.json"]
    assert not list(node.artifacts.parent.glob(".model-store-*"))
    second = make_node(tmp_path / "second", monkeypatch)
    second.s3.objects = node.s3.objects
    assert "artifact cache hit" in _prepare(second, capsys)
    assert second.loaded() == GOOD


# ---- property: whatever a manifest holds, prepare ends in a set or an empty directory -------

# Mostly names that make a file also a directory at some level (w, w/a, w/a/b), some that
# escape or are not plain names, some text.
paths = st.sampled_from(["w", "w/a", "w/a/b", "a", "a/w", "w.pt", "..", "w/../a", "/w", "w//a"])
paths = paths | st.text(max_size=12)
contents = st.sampled_from([b"x", b"y", b"", b"\x00" * 9])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=10,
)


@st.composite
def entries(draw) -> dict:
    data = draw(contents)
    entry = {"path": draw(paths), "size": len(data), "sha256": sha(data)}
    if draw(st.booleans()):
        entry[draw(st.sampled_from(["path", "size", "sha256", "x"]))] = draw(json_values)
    return entry


@st.composite
def documents(draw) -> bytes:
    shape = draw(st.integers(0, 5))
    if shape == 0:
        return json.dumps(draw(json_values)).encode()
    if shape == 1:  # nested brackets, from a few levels to far past any recursion limit
        depth = draw(st.integers(1, 100_000))
        return b"[" * depth + b"]" * draw(st.sampled_from([depth, depth - 1, 0]))
    files = draw(st.lists(entries(), min_size=0, max_size=5))
    document = {"format": model_store.FORMAT, "key": KEY, "files": files}
    if draw(st.booleans()):
        document[draw(st.sampled_from(["format", "key", "files"]))] = draw(json_values)
    return json.dumps(document).encode()


@pytest.mark.slow
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents(), upload=st.lists(contents, min_size=2, max_size=4, unique=True))
def test_no_manifest_crashes_prepare_or_loads_what_was_not_verified(
    tmp_path_factory, monkeypatch, document, upload
):
    root = tmp_path_factory.mktemp("node") / "root"
    with monkeypatch.context() as patch:
        node = make_node(root, patch)
        node.s3.objects[f"{ENTRY}manifest.json"] = document
        for data in upload:
            node.s3.objects[f"{ENTRY}blobs/{sha(data)}"] = data
        assert model_store.prepare(node.config) == 0
        loaded = node.loaded()
    if loaded:  # only a set that is exactly what the manifest lists, byte for byte
        files = json.loads(document)["files"]
        assert {f["path"]: f["sha256"] for f in files} == {p: sha(d) for p, d in loaded.items()}
    # Nothing was written outside the node's own directories.
    assert {p.name for p in root.iterdir()} == {"opt"}
    assert {p.name for p in (root / "opt/graviton-llm").iterdir()} == {"etc", "compiled"}


def test_what_a_killed_download_left_is_cleared_not_reused(node, capsys):
    """systemd kills a start step past its timeout: its staging stays until the next start."""
    leftover = node.root / "opt/graviton-llm/.model-store-fetch"
    (leftover / "blobs").mkdir(parents=True)
    (leftover / "blobs" / sha(GOOD["neuron_config.json"])).write_bytes(b"not what was published")
    node.s3.publish(GOOD)
    assert "artifact cache hit" in _prepare(node, capsys)
    assert node.loaded() == GOOD
    assert not leftover.exists()
