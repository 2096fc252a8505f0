"""User data bytes depend on the script alone: the same on a machine whose zlib is zlib-ng (as
some distributions ship it) as on one with zlib (before: 14,208 vs 14,260 bytes for the inf2
boot script, so who deployed decided whether a new template version rolled the fleet)."""

from __future__ import annotations

import gzip
import hashlib
import random

import pytest
from zlib_ng import gzip_ng, zlib_ng

from graviton_llm.node import deflate, user_data
from graviton_llm.node.user_data import compress_user_data
from support import GOLDEN

SCRIPTS = sorted(GOLDEN.glob("user_data_*.sh"))

# Incompressible bytes, the same on every run.
NOISE = random.Random(20).randbytes(70_000)


def compressed_with(monkeypatch, module, script: str) -> bytes:
    """compress_user_data on a machine whose zlib module is ``module``."""
    deflate.gzip_bytes.cache_clear()
    with monkeypatch.context() as patched:
        patched.setattr(gzip, "zlib", module)
        patched.setattr(deflate, "zlib", module)
        return compress_user_data(script)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_two_zlib_builds_give_the_same_bytes(monkeypatch, path):
    import zlib

    script = path.read_text()
    assert gzip.compress(script.encode(), mtime=0) != gzip_ng.compress(script.encode(), mtime=0)
    ours = compressed_with(monkeypatch, zlib, script)
    assert compressed_with(monkeypatch, zlib_ng, script) == ours
    # Any inflater reads them (cloud-init uses Python's gzip), within EC2's 16 KB.
    assert gzip.decompress(ours).decode() == script == gzip_ng.decompress(ours).decode()
    assert len(ours) <= user_data.USER_DATA_LIMIT_BYTES


def sample() -> bytes:
    """Script-like text with repeats near and far, long runs and every byte value."""
    lines = [
        f"install_file /opt/graviton-llm/unit-{i % 37}.service 0644 # {i * 7919}"
        for i in range(900)
    ]
    return ("\n".join(lines) + "x" * 600).encode() + bytes(range(256)) * 4


def test_the_encoders_bytes_are_pinned():
    # A change to the encoder changes every cluster's launch template and so rolls every
    # fleet once: it must be deliberate (then update this digest).
    assert hashlib.sha256(deflate.gzip_bytes(sample())).hexdigest() == PINNED


@pytest.mark.parametrize(
    "data",
    [b"", b"a", b"ab", b"a" * 100_000, NOISE, bytes(range(256)) * 300],
    ids=["empty", "one", "two", "run", "random", "cycle"],
)
def test_any_input_round_trips(data):
    packed = deflate.gzip_bytes(data)
    assert gzip.decompress(packed) == data == zlib_ng.decompress(packed, wbits=31)


PINNED = "284bb4767235ff1fb5f80062362ec69b2bc2b81b1ba745db47c8d84874203165"
