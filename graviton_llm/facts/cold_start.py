"""A node's root volume and its predicted cold start (boot to first healthy completion), pure.
(The sizing planner, which picks instance types and node counts, is graviton_llm/sizing/.)

The cold start sets the boot script's readiness timeout and is what `plan` reports; the launch
lifecycle hook (heartbeats, timing.py) keeps a node out of service until it serves. Figures
marked "assumption" are our engineering estimates, not measurements: they are kept here, in one
place, to be replaced by measured values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .catalog import InstanceSpec
from .models import ModelInfo
from .units import GIB

# Every figure below is either sourced or marked "assumption" (our engineering estimate, to be
# replaced by a measured value). The parts add up in boot order: the AMI boots, the image is
# pulled, the weights are downloaded, the Neuron stack compiles, the weights load.

# Assumption: EC2 launch to cloud-init running user scripts on AL2023 / the base DLAMI.
AMI_BOOT_SECONDS = 90
# Assumption: compressed container image sizes (the Neuron DLC carries torch-neuronx, NxDI and
# vLLM; the CPU image carries torch and vLLM) and a pull rate from ECR Public / Docker Hub
# (layer download plus single-threaded decompression).
IMAGE_GIB = {"neuron": 12.0, "cpu": 4.0}
IMAGE_PULL_GIB_PER_SECOND = 0.15
# Downloads (weights and compiled artifacts) run through the AWS CLI's CRT transfer client, whose
# target bandwidth the boot sets to the instance's network bandwidth (node/templates/common.sh,
# tune_s3). Every AWS CLI v2 carries the CRT (aws/aws-cli v2 awscli/customizations/s3/factory.py
# imports awscrt.s3); without a target it assumes 10 Gb/s, and `auto` picks it only on a few
# instance types, trn1 among them but not inf2 or trn2 (AWS CLI v2 topics/s3-config.rst,
# preferred_transfer_client and target_bandwidth). AL2023 ships CLI v2.
# Assumption: the CRT client reaches half of that target from S3.
S3_EFFICIENCY = 0.5
# The root volume is gp3: 125 MiB/s and 3000 IOPS by default ("the default value is 125",
# EC2 API CreateVolume `Throughput`), up to 1000 MiB/s provisioned, which needs at least
# 4000 IOPS (0.25 MiB/s per IOPS; EBS User Guide, "General Purpose SSD volumes").
# Writes land in the page cache first; Linux starts throttling writers to the disk's speed once
# dirty pages pass vm.dirty_ratio, 20 % of RAM by default (Linux mm/page-writeback.c,
# `vm_dirty_ratio = 20`; admin-guide/sysctl/vm.rst). So weights larger than that download at
# disk speed. The volume is provisioned to match the download wherever S3 is faster than gp3's
# default (every instance in the catalog): about $40 a month per node at us-east-1 gp3 rates,
# against minutes of every cold start and of every warm start, which reads the volume.
GP3_DEFAULT_MIBPS = 125
GP3_DEFAULT_IOPS = 3000
GP3_FAST = {"throughput_mibps": 1000, "iops": 4000}
DIRTY_RATIO = 0.20
# Neuron compiles the model on first start: "5-10+ min" (Neuron docs; docs/sources.md), and
# awslabs/ai-on-eks says deployment "may take up to 10 minutes" for Llama 3 8B on inf2. We take
# 10 min for a 32-layer model (the upper end, as a grace period must) and scale by layer count
# (assumption: compile time grows with the traced graph, i.e. with layers).
NEURON_COMPILE_SECONDS_PER_32_LAYERS = 600
UNKNOWN_MODEL_LAYERS = 80  # assumption for models outside the table: size like a 70B
# Assumption: the compiled artifacts a node fetches from the cache (NxDI's neuron_config.json
# and model.pt, the NEFFs of every bucket; the weights are sharded at load because
# save_sharded_checkpoint is off by default) are 2 GiB for a 32-layer model and grow with the
# layers like the compile. No measured size exists (docs/sources.md).
ARTIFACT_GIB_PER_32_LAYERS = 2.0
# Assumption: the node checks each downloaded artifact's SHA-256 at 0.5 GiB/s (hashlib, one
# stream; about 0.6 GiB/s measured on a shared 2-core build VM with SHA-NI).
SHA256_GIB_PER_SECOND = 0.5
# Assumption: loading weights from local disk (page cache) into device or host memory at 1 GiB/s.
LOAD_GIB_PER_SECOND = 1.0
# Margin on top of the prediction for the readiness timeout.
SAFETY_FACTOR = 1.5
MIB_IN_GBITS = 2**20 * 8 / 1e9


@dataclass(frozen=True)
class ColdStart:
    """Predicted seconds from launch to the first healthy completion, by part, on both paths: a
    first compile (nothing in the artifact cache for the node's key) and a cache hit."""

    boot_s: float
    image_pull_s: float
    weights_download_s: float
    compile_s: float
    load_s: float
    # After a stop the page cache is empty: the weights come back at the volume's throughput.
    warm_load_s: float
    # A cache hit downloads and checks the compiled artifacts instead of compiling.
    artifacts_download_s: float = 0.0
    # How each part's figure was reached: a source, or "assumption" (docs/sources.md).
    basis: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def total_s(self) -> float:
        """First compile: nothing in the cache for this key (or the cache is off)."""
        return (
            self.boot_s + self.image_pull_s + self.weights_download_s + self.compile_s + self.load_s
        )

    @property
    def cache_hit_s(self) -> float:
        """A node whose key is in the cache: it downloads the artifacts instead of compiling."""
        if self.compile_s == 0:
            return self.total_s
        return (
            self.boot_s
            + self.image_pull_s
            + self.weights_download_s
            + self.artifacts_download_s
            + self.load_s
        )

    @property
    def readiness_timeout_s(self) -> int:
        """Predicted cold start with margin, rounded up to the minute. It covers a first
        compile: any node may miss the cache (a new key, a corrupt entry)."""
        return int(math.ceil(self.total_s * SAFETY_FACTOR / 60) * 60)

    @property
    def warm_start_s(self) -> float:
        """A node that has booted before (a reboot, a stopped warm-pool instance): the image,
        the weights and the compiled artifacts are on its volume, so only boot and load remain
        (NEURON_COMPILED_ARTIFACTS on a persistent path, see node/serve_command.py); the load
        reads the volume, not the page cache."""
        return self.boot_s + self.warm_load_s


def disk_bound(spec: InstanceSpec, weights_gib: float) -> bool:
    """True when the weights outgrow the page cache's dirty budget and hit the disk's speed."""
    return weights_gib > spec.memory_gib * DIRTY_RATIO


def s3_target_gbps(spec: InstanceSpec) -> int:
    """The CRT client's target bandwidth the boot configures: the instance's network, Gb/s."""
    return max(1, int(spec.network_gbps))


def s3_gbps(spec: InstanceSpec) -> float:
    """Rate at which S3 objects reach the node, before the disk, in Gb/s."""
    return s3_target_gbps(spec) * S3_EFFICIENCY


def root_volume_performance(
    spec: InstanceSpec, weights_gib: float, *, warm_pool: bool = False
) -> dict[str, int] | None:
    """Provisioned gp3 throughput/IOPS when S3 delivers faster than gp3's default (the volume
    absorbs the download and, after a stop, serves the weights back), and for warm-pool nodes,
    which read their weights back from the volume at every start; None keeps gp3's defaults."""
    fast = s3_gbps(spec) > GP3_DEFAULT_MIBPS * MIB_IN_GBITS or warm_pool
    return dict(GP3_FAST) if fast else None


def volume_mibps(spec: InstanceSpec, weights_gib: float, *, warm_pool: bool = False) -> int:
    performance = root_volume_performance(spec, weights_gib, warm_pool=warm_pool)
    return GP3_DEFAULT_MIBPS if performance is None else performance["throughput_mibps"]


def download_gbps(spec: InstanceSpec, weights_gib: float) -> float:
    """Rate at which the weights reach the node's disk, in Gb/s: S3's, or the volume's when the
    weights outgrow the page cache."""
    network = s3_gbps(spec)
    if not disk_bound(spec, weights_gib):
        return network
    return min(network, volume_mibps(spec, weights_gib) * MIB_IN_GBITS)


def artifacts_gib(spec: InstanceSpec, model: ModelInfo | None) -> float:
    """Assumed size of the compiled artifacts (0 on the CPU path, which compiles nothing)."""
    if spec.accelerator != "neuron":
        return 0.0
    return ARTIFACT_GIB_PER_32_LAYERS * _layer_scale(model)


def _layer_scale(model: ModelInfo | None) -> float:
    layers = model.layers if model else UNKNOWN_MODEL_LAYERS
    return max(1.0, layers / 32)


def predict_cold_start(
    spec: InstanceSpec, weights_gib: float, model: ModelInfo | None, *, warm_pool: bool = False
) -> ColdStart:
    compile_s = 0.0
    if spec.accelerator == "neuron":
        compile_s = NEURON_COMPILE_SECONDS_PER_32_LAYERS * _layer_scale(model)
    rate = download_gbps(spec, weights_gib)
    artifacts = artifacts_gib(spec, model)
    artifacts_s = artifacts * GIB * 8 / (rate * 1e9) + artifacts / SHA256_GIB_PER_SECOND
    return ColdStart(
        boot_s=AMI_BOOT_SECONDS,
        image_pull_s=IMAGE_GIB[spec.accelerator] / IMAGE_PULL_GIB_PER_SECOND,
        weights_download_s=weights_gib * GIB * 8 / (rate * 1e9),
        compile_s=compile_s,
        load_s=weights_gib / LOAD_GIB_PER_SECOND,
        warm_load_s=weights_gib
        / min(LOAD_GIB_PER_SECOND, volume_mibps(spec, weights_gib, warm_pool=warm_pool) / 1024),
        artifacts_download_s=artifacts_s,
        basis=_basis(spec, weights_gib, rate, artifacts),
    )


def _basis(spec: InstanceSpec, weights_gib: float, rate: float, artifacts: float) -> dict[str, str]:
    """Where each part's figure comes from (docs/sources.md, "Storage and boot timing")."""
    target = s3_target_gbps(spec)
    download = (
        f"{weights_gib:,.1f} GiB at {rate:,.2f} Gb/s: the CRT client's target, the instance's "
        f"{target} Gb/s (EC2 DescribeInstanceTypes), x {S3_EFFICIENCY} (assumption)"
    )
    if disk_bound(spec, weights_gib):
        download += (
            f", capped by gp3 at {volume_mibps(spec, weights_gib)} MiB/s (EBS User Guide): the "
            f"weights outgrow {DIRTY_RATIO:.0%} of RAM (Linux vm.dirty_ratio)"
        )
    basis = {
        "AMI boot": f"assumption: {AMI_BOOT_SECONDS} s from launch to cloud-init's user scripts",
        "image pull": f"assumption: {IMAGE_GIB[spec.accelerator]:g} GiB at "
        f"{IMAGE_PULL_GIB_PER_SECOND} GiB/s",
        "weights download": download,
        "Neuron compile": "none on the CPU path",
        "artifact download": "none on the CPU path",
        "weights load": f"assumption: {LOAD_GIB_PER_SECOND:g} GiB/s from the page cache",
    }
    if spec.accelerator == "neuron":
        basis["Neuron compile"] = (
            f"first compile only: assumption, {NEURON_COMPILE_SECONDS_PER_32_LAYERS} s per 32 "
            'layers (Neuron docs "5-10+ min"; ai-on-eks "up to 10 minutes" for an 8B)'
        )
        basis["artifact download"] = (
            f"cache hit only: assumption, {artifacts:,.1f} GiB of artifacts (no measured size) at "
            f"the weights' rate, SHA-256 checked at {SHA256_GIB_PER_SECOND} GiB/s (assumption)"
        )
    return basis


PARTS = (
    "AMI boot", "image pull", "weights download", "Neuron compile", "artifact download",
    "weights load",
)  # fmt: skip


@dataclass(frozen=True)
class ColdStartPart:
    name: str
    first_compile_s: float
    cache_hit_s: float
    basis: str


def cold_start_parts(cold: ColdStart) -> list[ColdStartPart]:
    """Each part on both paths, in boot order, with where its figure comes from."""
    first = {
        "AMI boot": cold.boot_s,
        "image pull": cold.image_pull_s,
        "weights download": cold.weights_download_s,
        "Neuron compile": cold.compile_s,
        "artifact download": 0.0,
        "weights load": cold.load_s,
    }
    hit = dict(first)
    if cold.compile_s:
        hit["Neuron compile"], hit["artifact download"] = 0.0, cold.artifacts_download_s
    return [ColdStartPart(p, first[p], hit[p], cold.basis.get(p, "")) for p in PARTS]


def cold_start_table(cold: ColdStart) -> dict[str, float]:
    """The prediction as printable rows (seconds), first-compile parts first, for tooling and
    reports."""
    return {
        "AMI boot": cold.boot_s,
        "image pull": cold.image_pull_s,
        "weights download": cold.weights_download_s,
        "Neuron compile": cold.compile_s,
        "weights load": cold.load_s,
        "total": cold.total_s,
        "readiness timeout": float(cold.readiness_timeout_s),
        "warm start (from a stopped warm pool)": cold.warm_start_s,
        "artifact download (cache hit)": cold.artifacts_download_s,
        "total (cache hit)": cold.cache_hit_s,
    }


@dataclass(frozen=True)
class WarmPoolAdvice:
    recommended: bool
    pool_state: str
    cold_start_s: float
    warm_start_s: float
    notes: tuple[str, ...]


def warm_pool_advice(
    cold: ColdStart, scale_out_budget_s: float = 600, *, artifact_cache: bool = True
) -> WarmPoolAdvice:
    """Whether a warm pool is worth it: when a new node's cold start exceeds the time a
    scale-out may take. With the artifact cache that is a cache hit: only the first node after
    a change of key compiles (none, if `graviton-llm compile` pre-warmed the cache).

    Stopped instances cost only their EBS volumes (EC2 Auto Scaling warm pools, pool state
    Stopped), and a stopped node keeps the image, weights and compiled artifacts, so it serves
    after boot + load instead of the whole cold start.
    """
    new_node_s = cold.cache_hit_s if artifact_cache else cold.total_s
    recommended = new_node_s > scale_out_budget_s
    notes = (
        "Use pool_state='Stopped': you pay for the EBS volume, not the instance hours.",
        "The cluster's launch lifecycle hook holds a pool node until its boot script reports "
        "ready, so no node is stopped mid-download (cloud-init runs user data only once).",
        "On start from the pool the enabled systemd units bring vLLM up again from the volume, "
        "with no download and no recompile; a node whose artifacts are missing fetches them from "
        "the cache before vLLM starts (the vLLM unit's ExecStartPre), not by compiling.",
    )
    return WarmPoolAdvice(recommended, "Stopped", new_node_s, cold.warm_start_s, notes)


# Assumption: OS, docker and logs need 30 GiB beside the image; Neuron keeps compiled artifacts
# (and, with sharded checkpoints, a second copy of the weights) under NEURON_COMPILED_ARTIFACTS.
OS_GIB = 30


def root_volume_gib(spec: InstanceSpec, weights_gib: float) -> int:
    """gp3 root volume for OS + image (x2 for layers unpacked) + weights + compiled artifacts."""
    artifacts_gib = weights_gib if spec.accelerator == "neuron" else 0.0
    total = OS_GIB + 2 * IMAGE_GIB[spec.accelerator] + weights_gib + artifacts_gib
    return int(math.ceil(total / 10) * 10)
