"""A node's artifact cache in a temporary root, with an in-memory S3 behind model-store's `aws`
calls: what tests/node/test_model_store_hostile.py poisons. The boot sandbox runs the real CLI
against moto; these tests need hundreds of poisoned entries, so the few calls model-store makes
are answered here, as the CLI would answer them (a missing object says NoSuchKey)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from graviton_llm.node_agent import model_store

DIGEST = "fedcba9876543210"
STATIC = "0123456789abcdef"
KEY = f"{STATIC}-{DIGEST}"
BUCKET = "cache-bucket"
PREFIX = f"cache/{STATIC}/"
ENTRY = f"{PREFIX}{DIGEST}/"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listed(files: dict[str, bytes]) -> list[dict]:
    return [{"path": p, "size": len(d), "sha256": sha(d)} for p, d in sorted(files.items())]


def manifest(files: list[dict], key: str = KEY) -> bytes:
    return json.dumps({"format": model_store.FORMAT, "key": key, "files": files}).encode()


@dataclass
class FakeS3:
    objects: dict[str, bytes] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def publish(self, files: dict[str, bytes], document: bytes | None = None) -> None:
        """An entry as a publisher leaves it: blobs by content, then the manifest."""
        for data in files.values():
            self.objects[f"{ENTRY}blobs/{sha(data)}"] = data
        self.objects[f"{ENTRY}manifest.json"] = (
            manifest(listed(files)) if document is None else document
        )

    def __call__(self, *args: str) -> subprocess.CompletedProcess:
        self.calls.append(args)
        if args[:2] == ("s3api", "get-object"):
            key = args[args.index("--key") + 1]
            if key not in self.objects:
                return _answer(args, "An error occurred (NoSuchKey) when calling GetObject")
            Path(args[-1]).write_bytes(self.objects[key])
        elif args[:2] == ("s3api", "head-object"):
            if args[args.index("--key") + 1] not in self.objects:
                return _answer(args, "An error occurred (404) when calling HeadObject: Not Found")
        elif args[:2] == ("s3api", "put-object"):
            key = args[args.index("--key") + 1]
            if key in self.objects:
                return _answer(args, "An error occurred (PreconditionFailed)")
            self.objects[key] = Path(args[args.index("--body") + 1]).read_bytes()
        elif args[:2] == ("s3", "cp") and args[-1].startswith("s3://"):
            self._upload(args)
        elif args[:2] == ("s3", "cp"):
            self._download(args)
        else:
            raise AssertionError(f"model-store made a call the fake does not know: {args}")
        return _answer(args, "")

    def _download(self, args: tuple[str, ...]) -> None:
        source = next(a for a in args if a.startswith("s3://"))
        prefix = source.removeprefix(f"s3://{BUCKET}/")
        target = Path(args[args.index(source) + 1])
        wanted = {args[i + 1] for i, a in enumerate(args) if a == "--include"}
        for key, data in self.objects.items():
            name = key.removeprefix(prefix)
            if key.startswith(prefix) and name in wanted:
                target.mkdir(parents=True, exist_ok=True)
                (target / name).write_bytes(data)

    def _upload(self, args: tuple[str, ...]) -> None:
        """As `aws s3 cp --recursive`: links followed (the CLI's default) unless
        --no-follow-symlinks, special files skipped."""
        follow = "--no-follow-symlinks" not in args
        source, target = Path(args[-2]), args[-1].removeprefix(f"s3://{BUCKET}/")
        for parent, _, names in os.walk(source, followlinks=follow):
            for name in sorted(names):
                path = Path(parent) / name
                if (follow or not path.is_symlink()) and path.is_file():
                    key = target + path.relative_to(source).as_posix()
                    self.objects[key] = path.read_bytes()


def _answer(args: tuple[str, ...], stderr: str) -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess(args, 255 if stderr else 0, "", stderr)


@dataclass
class Node:
    root: Path
    config: dict
    s3: FakeS3

    @property
    def artifacts(self) -> Path:
        return self.root / "opt/graviton-llm/compiled"

    @property
    def directory(self) -> Path:
        return self.artifacts / KEY

    @property
    def active(self) -> Path:
        return self.artifacts / "active"

    def state(self) -> object:
        path = self.artifacts / f"{KEY}.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def loaded(self) -> dict[str, bytes]:
        """What vLLM finds through the active link: path -> bytes."""
        assert os.readlink(self.active) == KEY
        assert self.directory.is_dir() and not self.directory.is_symlink()
        return {
            p.relative_to(self.directory).as_posix(): p.read_bytes()
            for p in sorted(self.directory.rglob("*"))
            if p.is_file()
        }


def make_node(root: Path, monkeypatch, cache: bool = True) -> Node:
    etc = root / "opt/graviton-llm/etc"
    etc.mkdir(parents=True)
    (etc / "weights-identity.json").write_text(json.dumps({"digest": DIGEST}))
    config = {
        "identity_file": "/opt/graviton-llm/etc/weights-identity.json",
        "artifacts_dir": "/opt/graviton-llm/compiled",
        "active": "active",
        "port": 1,
        "static_key": STATIC,
        "key_inputs": {"model_id": "m"},
        "cache": {"bucket": BUCKET, "prefix": PREFIX} if cache else None,
    }
    s3 = FakeS3()
    monkeypatch.setenv("GRAVITON_LLM_ROOT", str(root))
    monkeypatch.setattr(model_store, "aws", s3)
    monkeypatch.setattr(model_store, "serving", lambda port: True)
    return Node(root=root, config=config, s3=s3)
