"""Where a cluster publishes its node agent and where its nodes fetch it: beside its artifact
cache (by default the weights bucket's .graviton-llm-cache/ folder, beside the model), under a
key named by the archive's SHA-256. A new agent is a new key; old keys stay (a rollback, or a
node launched from the previous template version while a rollout is held, fetches the agent
its user data pins)."""

from __future__ import annotations

from dataclasses import dataclass

from ..args import ResolvedClusterArgs
from ..args.fields import parse_s3_uri
from ..args.operations import artifact_cache_root
from .agent_archive import agent_archive

AGENT_FOLDER = "node-agent/"
# S3 object keys are at most 1,024 bytes of UTF-8 (S3 User Guide, "Naming Amazon S3 objects").
MAX_KEY_BYTES = 1024


@dataclass(frozen=True)
class AgentLocation:
    bucket: str
    key: str
    region: str  # the bucket's region; "" when unknown (the node uses its own)
    sha256: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def agent_location(args: ResolvedClusterArgs, region: str | None = None) -> AgentLocation:
    """The node agent object of this cluster; ``region``: the deploy region (default: the
    args' own, else unknown)."""
    # The cache's root when there is a cache (its grant covers its bucket's KMS key), else the
    # default folder beside the weights.
    root = args.artifact_cache_root or artifact_cache_root(args.model.weights_uri, None)
    if root is None:
        raise ValueError(f"model.weights_uri {args.model.weights_uri!r} is not s3://bucket/prefix/")
    bucket, prefix = root
    weights = parse_s3_uri(args.model.weights_uri)
    deploy = region or args.region or ""
    in_weights_bucket = weights is not None and weights[0] == bucket
    # A cache elsewhere is in the deploy region (the cache's own grant assumes it too).
    bucket_region = (args.model.weights_region or deploy) if in_weights_bucket else deploy
    digest = agent_archive().sha256
    return AgentLocation(bucket, f"{prefix}{AGENT_FOLDER}{digest}.pyz", bucket_region, digest)


def key_problems(location: AgentLocation) -> list[str]:
    size = len(location.key.encode())
    if size > MAX_KEY_BYTES:
        return [
            f"the node agent's key {location.key[:60]}... is {size} bytes, over S3's "
            f"{MAX_KEY_BYTES}: shorten the weights prefix (model.weights_uri) or set "
            "artifact_cache.uri"
        ]
    return []
