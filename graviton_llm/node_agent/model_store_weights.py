"""The node's weights, for model-store (model_store.py): is a listing a model directory, is
the download complete, and the weights' identity (a digest of their keys, sizes and ETags) that
the artifact key includes. Also the small file helpers both halves use. Standard library only,
Python 3.9+; part of the node agent."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from typing import Any

_SEGMENT = re.compile(r"[A-Za-z0-9_+=@-][A-Za-z0-9._+=@-]*")
MAX_JSON_BYTES = 64 * 2**20
MAX_DEPTH = 16  # ours: a manifest is 4 levels deep, a listing 2


def log(message: str) -> None:
    print(f"graviton-llm: {message}", file=sys.stderr, flush=True)


def on_node(path: str) -> str:
    """A node path, under GRAVITON_LLM_ROOT when a test runs the node in a sandbox."""
    return os.environ.get("GRAVITON_LLM_ROOT", "") + path


def safe_path(path: object) -> bool:
    """A relative path of plain segments: no '..', no absolute path, nothing to escape into."""
    return (
        isinstance(path, str)
        and len(path) <= 512
        and all(_SEGMENT.fullmatch(part) for part in path.split("/"))
    )


def write_json(path: str, value: object) -> None:
    """Atomically: a reader sees the old file or the whole new one."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(path), delete=False) as out:
        json.dump(value, out, indent=1, sort_keys=True)
    os.replace(out.name, path)


def open_regular(path: str, dir_fd: int | None = None) -> int:
    """A descriptor of the regular file ``path``: never through a symbolic link, never a FIFO
    or a device (the vLLM container writes where some of these files are and could plant
    either: a read would then leave the directory, or block for ever). ValueError if not."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError(f"{path} is not a regular file")
    return fd


def read_file(path: str, limit: int) -> bytes:
    """A regular file's bytes (open_regular), at most ``limit``."""
    with os.fdopen(open_regular(path), "rb") as source:
        data = source.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"over {limit} bytes")
    return data


def parse_json(text: bytes) -> object:
    """JSON nested at most MAX_DEPTH levels; ValueError otherwise (never RecursionError)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    todo = [(value, 1)]
    while todo:
        item, level = todo.pop()
        if level > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            todo += [(inner, level + 1) for inner in item]
    return value


def read_json(path: str) -> object:
    """The JSON in ``path``, or None when it is missing or anything but a small JSON file."""
    try:
        return parse_json(read_file(path, MAX_JSON_BYTES))
    except (OSError, ValueError):
        return None


def clear(path: str) -> bool:
    """Remove whatever ``path`` is, never following a link (rmtree walks by descriptors and
    does not follow links: shutil.rmtree.avoids_symlink_attacks). False if nothing was there."""
    try:
        directory = stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False
    shutil.rmtree(path) if directory else os.unlink(path)
    return True


def is_dir(path: str) -> bool:
    """A directory itself, not a link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def sha256_of(fd: int) -> tuple[str, int]:
    """SHA-256 and length of what the open file ``fd`` holds from where it stands."""
    digest, size = hashlib.sha256(), 0
    for block in iter(lambda: os.read(fd, 8 * 2**20), b""):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


def listing_files(listing: str, prefix: str) -> list[list[Any]]:
    """[[relative path, size, ETag], ...] of the files under the prefix, sorted (folder markers,
    keys ending in '/', are not files)."""
    data = parse_json(read_file(listing, MAX_JSON_BYTES))
    if data is None:
        data = []  # an empty prefix lists as null
    if not isinstance(data, list):
        raise ValueError("the listing is not a list")
    files = []
    for item in data:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)):
            raise ValueError(f"unexpected listing entry {item!r}")
        key, size, etag = item
        if key.endswith("/"):
            continue
        relative = key[len(prefix) :]
        if not key.startswith(prefix) or not safe_path(relative):
            raise ValueError(f"the key {key!r} is not a plain file path under the prefix")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(f"{key!r} has no size")
        files.append([relative, size, etag])
    return sorted(files)


def weights_digest(files: list[list[Any]]) -> str:
    """The weights' identity: a re-upload under the same prefix changes ETags or sizes."""
    text = json.dumps(files, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def weights_check(config: dict[str, Any], listing: str) -> int:
    uri = config["weights_uri"]
    try:
        files = listing_files(listing, config["weights_prefix"])
    except (OSError, ValueError) as error:
        log(f"cannot read the listing of {uri}: {error}")
        return 1
    if not files:
        log(
            f"no objects under {uri}: upload the model directory (config.json, *.safetensors, "
            "tokenizer) there first"
        )
        return 1
    if "config.json" not in {path for path, _, _ in files}:
        log(f"no config.json directly under {uri}: not a Hugging Face model directory")
        return 1
    print(len(files), sum(size for _, size, _ in files))
    return 0


def weights_verify(config: dict[str, Any], listing: str) -> int:
    try:
        files = listing_files(listing, config["weights_prefix"])
    except (OSError, ValueError) as error:
        log(f"cannot read the listing of {config['weights_uri']}: {error}")
        return 1
    model = on_node(config["model_dir"])
    found = {}
    for directory, _, names in os.walk(model):
        for name in names:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, model)
            if relative != config["complete_marker"]:
                found[relative] = os.path.getsize(path)
    expected = {path: size for path, size, _ in files}
    if found != expected:
        wrong = sorted(p for p in expected if found.get(p) != expected[p])
        log(
            f"weights incomplete: expected {len(expected)} {sum(expected.values())} (files "
            f"bytes) from {config['weights_uri']}, found {len(found)} {sum(found.values())}; "
            f"missing or short: {', '.join(wrong[:3]) or 'none'}"
        )
        return 1
    identity = {"uri": config["weights_uri"], "digest": weights_digest(files), "files": len(files)}
    write_json(on_node(config["identity_file"]), identity)
    return 0
