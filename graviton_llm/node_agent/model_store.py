"""model-store: this node's weights and compiled Neuron artifacts, and the cache the artifacts
share through S3. Part of the node agent (`graviton-llm-agent model-store ...`): standard library
only, Python 3.9+ (AL2023's python3); S3 goes through the AWS CLI, which the boot tunes.

  weights-check LISTING   is the weights listing (list-objects-v2 JSON) a model directory?
                          prints "<files> <bytes>"
  weights-verify LISTING  after the download: every listed file on disk at its size; records
                          the weights' identity (a digest of their keys, sizes and ETags)
  prepare                 before vLLM starts (the vLLM unit's ExecStartPre): the artifact
                          directory of this node's key, complete (compiled here, or downloaded
                          and verified from the cache) or empty, for vLLM to compile into
  publish                 once vLLM serves: a set this node compiled goes to the cache
  status                  exit 0 when the set of this node's key is complete on the node

A key is the rendered static key (image, model, shapes, instance family) and the weights'
digest. Its cache entry: <cache prefix><static>/<digest>/blobs/<sha256> (each file named by its
content) and <cache prefix><static>/<digest>/manifest.json (file list, sizes, SHA-256), written
last with If-None-Match: * so one publisher wins and a partial upload has no manifest.

Nothing read is trusted. A manifest outlives every node (write-once), so a reader refuses any it
cannot parse, for another key, deeper or larger than a manifest can be, with a path that escapes
or that is both a file and a directory (at any level), and a file missing, short or with another
SHA-256: whatever goes wrong while placing a set, it is reported once and vLLM compiles instead;
`prepare` never fails the unit for it. The vLLM container mounts the artifacts directory read-
write, so anything in it may be a planted link, FIFO or device: files there are read with
O_NOFOLLOW and only when regular, removed without following links, and a set to publish is
walked from directory descriptors and staged outside the container's view, hashed from the very
files staged; a set holding anything but directories and regular files is not published.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import time
import urllib.request
from typing import Any

from .model_store_weights import (
    clear,
    is_dir,
    log,
    on_node,
    open_regular,
    parse_json,
    read_file,
    read_json,
    safe_path,
    sha256_of,
    write_json,
)

FORMAT = "graviton-llm-artifacts/1"
MAX_MANIFEST_BYTES = 4 * 2**20
MAX_FILES = 10_000
_SHA256 = re.compile(r"[0-9a-f]{64}")


def aws(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["aws", *args], capture_output=True, text=True, check=False)


def missing(result: subprocess.CompletedProcess[str]) -> bool:
    return any(w in result.stderr for w in ("NoSuchKey", "Not Found", "(404)"))


# ---- the artifact cache --------------------------------------------------------------------
class Key:
    """This node's artifact key, where its set lives on the node and in the cache."""

    def __init__(self, config: dict[str, Any]) -> None:
        identity = read_json(on_node(config["identity_file"]))
        digest = identity.get("digest") if isinstance(identity, dict) else None
        self.known = isinstance(digest, str) and bool(re.fullmatch(r"[0-9a-f]{16}", digest))
        self.name = f"{config['static_key']}-{digest if self.known else 'unverified'}"
        base = on_node(config["artifacts_dir"])
        self.base, self.directory = base, os.path.join(base, self.name)
        self.state = self.directory + ".json"  # exists once the directory is complete
        self.cache = config["cache"] if self.known else None
        if self.cache:
            self.bucket = self.cache["bucket"]
            self.entry = f"{self.cache['prefix']}{digest}/"
            self.where = f"s3://{self.bucket}/{self.entry}"

    def point_active(self, link: str) -> None:
        """<artifacts>/active -> <key>: NEURON_COMPILED_ARTIFACTS names the link, so the
        rendered container command stays the same whatever the weights' digest."""
        temporary, active = os.path.join(self.base, f".{link}.new"), os.path.join(self.base, link)
        clear(temporary)
        if not os.path.islink(active):
            clear(active)  # a directory put there would refuse the rename
        os.symlink(self.name, temporary)
        os.replace(temporary, active)

    def staging(self, use: str) -> str:
        """An empty directory beside the artifacts one, out of the container's view (it mounts
        only the artifacts directory), on the same file system so a set moves in by rename.
        One name per use: what a killed run left there goes at the next."""
        path = os.path.join(os.path.dirname(self.base), f".model-store-{use}")
        clear(path)
        os.mkdir(path, 0o700)
        return path


def parse_manifest(text: bytes, key: str) -> list[dict[str, Any]]:
    """The files of a manifest for ``key``; ValueError says what is wrong with it."""
    data = parse_json(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} manifest")
    if data.get("key") != key:
        raise ValueError(f"it is for key {data.get('key')!r}, not {key}")
    files = data.get("files")
    if not isinstance(files, list) or not 0 < len(files) <= MAX_FILES:
        raise ValueError("no file list")
    paths = set()
    for entry in files:
        if not isinstance(entry, dict) or not safe_path(entry.get("path")):
            raise ValueError(f"unsafe or missing path in {entry!r}")
        size = entry.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(f"{entry['path']}: no size")
        if not isinstance(entry.get("sha256"), str) or not _SHA256.fullmatch(entry["sha256"]):
            raise ValueError(f"{entry['path']}: no SHA-256")
        paths.add(entry["path"])
    ancestors = {p[:i] for p in paths for i, c in enumerate(p) if c == "/"}
    if len(paths) < len(files) or paths & ancestors:
        raise ValueError("a path is listed twice, or both as a file and a directory")
    return files


def fetch(key: Key) -> str | None:
    """Download and verify the key's set into its directory; None on success, else why not."""
    staging = key.staging("fetch")
    try:
        return fetch_into(key, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def fetch_into(key: Key, staging: str) -> str | None:
    manifest_file = os.path.join(staging, "manifest.json")
    result = aws(
        "s3api",
        "get-object",
        "--bucket",
        key.bucket,
        "--key",
        key.entry + "manifest.json",
        manifest_file,
    )
    if result.returncode != 0:
        if missing(result):
            return f"no set for key {key.name} in the cache yet ({key.where})"
        return f"the cache is unreachable: {result.stderr.strip()[-300:]}"
    try:
        files = parse_manifest(read_file(manifest_file, MAX_MANIFEST_BYTES), key.name)
    except (OSError, ValueError) as error:
        return f"corrupt manifest {key.where}manifest.json ({error})"
    blobs, tree = os.path.join(staging, "blobs"), os.path.join(staging, "tree")
    includes = [word for f in files for word in ("--include", f["sha256"])]
    result = aws(
        "s3",
        "cp",
        "--recursive",
        "--only-show-errors",
        f"{key.where}blobs/",
        blobs,
        "--exclude",
        "*",
        *includes,
    )
    if result.returncode != 0:
        return f"download from {key.where} failed: {result.stderr.strip()[-300:]}"
    placed: dict[str, str] = {}
    for entry in files:
        blob, target = os.path.join(blobs, entry["sha256"]), os.path.join(tree, entry["path"])
        source = placed.get(entry["sha256"], blob)
        try:
            with os.fdopen(open_regular(source), "rb") as blob_file:
                digest, size = sha256_of(blob_file.fileno())
        except FileNotFoundError:
            return f"{entry['path']} is missing from the cache ({key.where})"
        if size != entry["size"]:
            return f"{entry['path']}: {size} bytes, the manifest says {entry['size']}"
        if digest != entry["sha256"]:
            return f"{entry['path']}: SHA-256 mismatch (the cached file is not what was published)"
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if entry["sha256"] in placed:
            shutil.copyfile(source, target)
        else:
            os.rename(blob, target)
            placed[entry["sha256"]] = target
    os.makedirs(tree, exist_ok=True)
    os.rename(tree, key.directory)
    write_json(key.state, {"key": key.name, "source": "cache", "files": files})
    return None


def complete(key: Key, state: object) -> bool:
    """A set this node finished (compiled and served, or downloaded and verified)."""
    return (
        isinstance(state, dict)
        and state.get("key") == key.name
        and state.get("source") in ("cache", "compiled")
        and is_dir(key.directory)
    )


def prepare(config: dict[str, Any]) -> int:
    key = Key(config)
    os.makedirs(key.base, exist_ok=True)
    state = read_json(key.state)
    if isinstance(state, dict) and complete(key, state):
        log(f"compiled artifacts for key {key.name} are on this node ({state['source']})")
    else:
        clear(key.state)  # the record of a set that is not there
        if clear(key.directory):  # an unfinished compile or download: never loaded
            log(f"removed unfinished artifacts of key {key.name}; they are never loaded")
        if not key.known:
            log("no weights identity on this node: the artifact cache is skipped")
        elif key.cache:
            try:
                problem = fetch(key)
            except Exception as error:  # a poisoned entry must not stop every node of the key
                problem = f"cannot place the set of {key.where} ({type(error).__name__}: {error})"
            if problem is None:
                log(f"artifact cache hit: key {key.name} downloaded and verified from {key.where}")
            else:
                log(f"artifact cache: {problem}; vLLM compiles instead")
        if not complete(key, read_json(key.state)):
            clear(key.directory)
            os.mkdir(key.directory)
    key.point_active(config["active"])
    return 0


def serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as answer:
            return bool(answer.status == 200)
    except (OSError, ValueError):
        return False


def stage(directory: int, staging: str, prefix: str = "") -> list[dict[str, Any]]:
    """The set's files under the open directory ``directory``, each hashed from the file this
    walk opened and hard-linked (else copied) into ``staging`` under its SHA-256, so what is
    uploaded is what was hashed. Anything but a directory or a regular file (a link, a FIFO, a
    device) raises ValueError: that set is not published."""
    files = []
    for name in sorted(os.listdir(directory)):
        path = prefix + name
        mode = os.stat(name, dir_fd=directory, follow_symlinks=False).st_mode
        if not (safe_path(path) and (stat.S_ISDIR(mode) or stat.S_ISREG(mode))):
            raise ValueError(f"{path!r} is not a plain directory or regular file")
        if stat.S_ISDIR(mode):
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=directory)
            files += stage(inner, staging, path + "/")
            os.close(inner)
            continue
        with os.fdopen(open_regular(name, directory), "rb") as source:
            digest, size = sha256_of(source.fileno())
            opened, blob = f"/proc/self/fd/{source.fileno()}", os.path.join(staging, digest)
            if not os.path.lexists(blob):
                try:
                    os.link(opened, blob)  # the very file hashed, and no copy of gigabytes
                except OSError:
                    shutil.copyfile(opened, blob)
        files.append({"path": path, "size": size, "sha256": digest})
    return files


def put_manifest(key: Key, manifest_file: str) -> str:
    """'won', 'lost' (another publisher's manifest stands) or an error. S3 answers 412 when the
    key exists, and 409 ConditionalRequestConflict when a conflicting write is in flight: then
    the request is retried (S3 User Guide, "How to prevent object overwrites")."""
    for attempt in range(4):
        result = aws(
            "s3api",
            "put-object",
            "--bucket",
            key.bucket,
            "--key",
            key.entry + "manifest.json",
            "--body",
            manifest_file,
            "--content-type",
            "application/json",
            "--if-none-match",
            "*",
        )
        if result.returncode == 0:
            return "won"
        if "PreconditionFailed" in result.stderr or "(412)" in result.stderr:
            return "lost"
        if "ConditionalRequestConflict" not in result.stderr:
            return str(result.stderr).strip()[-300:]
        time.sleep(float(os.environ.get("GRAVITON_LLM_BACKOFF_SECONDS", "5")) * (attempt + 1))
    return "409 ConditionalRequestConflict four times"


def publish(config: dict[str, Any]) -> int:
    key = Key(config)
    state = read_json(key.state)
    if isinstance(state, dict) and complete(key, state):
        if state["source"] == "cache" or state.get("published"):
            return 0  # downloaded from the cache, or published before
    elif not (is_dir(key.directory) and os.listdir(key.directory)):
        log(f"no compiled artifacts for key {key.name} to publish")
        return 0
    elif not serving(config["port"]):
        # Only a set vLLM loaded and serves from is complete: never a failed compile's remains.
        log(f"vLLM does not serve: the artifacts of key {key.name} are not published")
        return 1
    record = {"key": key.name, "source": "compiled", "published": False}
    write_json(key.state, record)  # complete: a restart of vLLM reuses it
    if not key.cache:
        return 0
    head = aws("s3api", "head-object", "--bucket", key.bucket, "--key", key.entry + "manifest.json")
    if head.returncode == 0:
        # Never overwritten. If it is a set this node's start reported as bad, an operator
        # deletes its manifest.json and the next node that compiles publishes a good one.
        log(f"key {key.name} is already in the cache ({key.where}); this node keeps its own set")
        write_json(key.state, {**record, "published": "by another node"})
        return 0
    if not missing(head):
        log(f"cannot publish to {key.where}: {head.stderr.strip()[-300:]}")
        return 1
    staging = key.staging("publish")
    try:
        os.mkdir(os.path.join(staging, "blobs"))
        directory = os.open(key.directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            files = stage(directory, os.path.join(staging, "blobs"))
        finally:
            os.close(directory)
        outcome = upload(key, files, staging, config.get("key_inputs"))
    except (OSError, ValueError) as error:
        outcome = f"the set cannot be published as it is: {error}"
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if outcome not in ("won", "lost"):
        log(f"publishing key {key.name} to {key.where} failed: {outcome}")
        return 1
    if outcome == "lost":
        log(f"another node published key {key.name} first; its set stands ({key.where})")
    else:
        log(f"published key {key.name}: {len(files)} files to {key.where}")
    by = "this node" if outcome == "won" else "another node"
    write_json(key.state, {**record, "published": f"by {by}"})
    return 0


def upload(key: Key, files: list[dict[str, Any]], staging: str, inputs: object) -> str:
    """The staged blobs (named by their content), then the manifest, conditionally:
    put_manifest's outcome, or what failed."""
    if not 0 < len(files) <= MAX_FILES:
        return f"{len(files)} files; a set holds 1 to {MAX_FILES}"
    blobs = os.path.join(staging, "blobs")
    result = aws(
        "s3",
        "cp",
        "--recursive",
        "--only-show-errors",
        "--no-follow-symlinks",
        blobs,
        f"{key.where}blobs/",
    )
    if result.returncode != 0:
        return f"upload: {result.stderr.strip()[-300:]}"
    manifest = {
        "format": FORMAT,
        "key": key.name,
        "files": sorted(files, key=lambda f: f["path"]),
        "bytes": sum(f["size"] for f in files),
        "inputs": inputs,
    }
    manifest_file = os.path.join(staging, "manifest.json")
    write_json(manifest_file, manifest)
    return put_manifest(key, manifest_file)


def status(config: dict[str, Any]) -> int:
    key = Key(config)
    state = read_json(key.state)
    if not (isinstance(state, dict) and complete(key, state)):
        return 1
    print(f"key {key.name}: complete ({state['source']})")
    return 0
