"""Pure sizing: root volume and the predicted cold start (boot to first healthy completion).

The cold start sets the boot script's readiness timeout and is what `plan` reports; the launch
lifecycle hook (heartbeats, timing.py) keeps a node out of service until it serves. Figures
marked "assumption" are our engineering estimates, not measurements: they are kept here, in one
place, to be replaced by measured values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
# Assumption: `aws s3 sync` reaches about half of the instance's network bandwidth, capped at
# 10 Gb/s for a single host process.
S3_EFFICIENCY = 0.5
S3_CAP_GBPS = 10.0
# The root volume is gp3: 125 MiB/s and 3000 IOPS by default ("the default value is 125",
# EC2 API CreateVolume `Throughput`), up to 1000 MiB/s provisioned, which needs at least
# 4000 IOPS (0.25 MiB/s per IOPS; EBS User Guide, "General Purpose SSD volumes").
# Writes land in the page cache first; Linux starts throttling writers to the disk's speed once
# dirty pages pass vm.dirty_ratio, 20 % of RAM by default (Linux mm/page-writeback.c,
# `vm_dirty_ratio = 20`; admin-guide/sysctl/vm.rst). So weights larger than that download at
# disk speed, and for those the launch template provisions the fast gp3 settings (about $40 a
# month per node at us-east-1 gp3 rates, against many minutes of every cold start).
GP3_DEFAULT_MIBPS = 125
GP3_FAST = {"throughput_mibps": 1000, "iops": 4000}
DIRTY_RATIO = 0.20
# Neuron compiles the model on first start: "5-10+ min" (Neuron docs; docs/sources.md), and
# awslabs/ai-on-eks says deployment "may take up to 10 minutes" for Llama 3 8B on inf2. We take
# 10 min for a 32-layer model (the upper end, as a grace period must) and scale by layer count
# (assumption: compile time grows with the traced graph, i.e. with layers).
NEURON_COMPILE_SECONDS_PER_32_LAYERS = 600
UNKNOWN_MODEL_LAYERS = 80  # assumption for models outside the table: size like a 70B
# Assumption: loading weights from local disk (page cache) into device or host memory at 1 GiB/s.
LOAD_GIB_PER_SECOND = 1.0
# Margin on top of the prediction for the readiness timeout.
SAFETY_FACTOR = 1.5


@dataclass(frozen=True)
class ColdStart:
    """Predicted seconds from launch to the first healthy completion, by part."""

    boot_s: float
    image_pull_s: float
    weights_download_s: float
    compile_s: float
    load_s: float
    # After a stop the page cache is empty: the weights come back at the volume's throughput.
    warm_load_s: float

    @property
    def total_s(self) -> float:
        return (
            self.boot_s + self.image_pull_s + self.weights_download_s + self.compile_s + self.load_s
        )

    @property
    def readiness_timeout_s(self) -> int:
        """Predicted cold start with margin, rounded up to the minute."""
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


def root_volume_performance(
    spec: InstanceSpec, weights_gib: float, *, warm_pool: bool = False
) -> dict[str, int] | None:
    """Provisioned gp3 throughput/IOPS for disk-bound downloads, and for warm-pool nodes, which
    read their weights back from the volume at every start; None keeps gp3's defaults."""
    fast = disk_bound(spec, weights_gib) or warm_pool
    return dict(GP3_FAST) if fast else None


def volume_mibps(spec: InstanceSpec, weights_gib: float, *, warm_pool: bool = False) -> int:
    performance = root_volume_performance(spec, weights_gib, warm_pool=warm_pool)
    return GP3_DEFAULT_MIBPS if performance is None else performance["throughput_mibps"]


def download_gbps(spec: InstanceSpec, weights_gib: float) -> float:
    """Rate at which the weights reach the node's disk, in Gb/s."""
    network = min(spec.network_gbps * S3_EFFICIENCY, S3_CAP_GBPS)
    performance = root_volume_performance(spec, weights_gib)
    if performance is None:
        return network
    disk = performance["throughput_mibps"] * 2**20 * 8 / 1e9
    return min(network, disk)


def predict_cold_start(
    spec: InstanceSpec, weights_gib: float, model: ModelInfo | None, *, warm_pool: bool = False
) -> ColdStart:
    compile_s = 0.0
    if spec.accelerator == "neuron":
        layers = model.layers if model else UNKNOWN_MODEL_LAYERS
        compile_s = NEURON_COMPILE_SECONDS_PER_32_LAYERS * max(1.0, layers / 32)
    return ColdStart(
        boot_s=AMI_BOOT_SECONDS,
        image_pull_s=IMAGE_GIB[spec.accelerator] / IMAGE_PULL_GIB_PER_SECOND,
        weights_download_s=weights_gib * GIB * 8 / (download_gbps(spec, weights_gib) * 1e9),
        compile_s=compile_s,
        load_s=weights_gib / LOAD_GIB_PER_SECOND,
        warm_load_s=weights_gib
        / min(LOAD_GIB_PER_SECOND, volume_mibps(spec, weights_gib, warm_pool=warm_pool) / 1024),
    )


def cold_start_table(cold: ColdStart) -> dict[str, float]:
    """The prediction as printable rows (seconds), parts first, for tooling and reports."""
    return {
        "AMI boot": cold.boot_s,
        "image pull": cold.image_pull_s,
        "weights download": cold.weights_download_s,
        "Neuron compile": cold.compile_s,
        "weights load": cold.load_s,
        "total": cold.total_s,
        "readiness timeout": float(cold.readiness_timeout_s),
        "warm start (from a stopped warm pool)": cold.warm_start_s,
    }


@dataclass(frozen=True)
class WarmPoolAdvice:
    recommended: bool
    pool_state: str
    cold_start_s: float
    warm_start_s: float
    notes: tuple[str, ...]


def warm_pool_advice(cold: ColdStart, scale_out_budget_s: float = 600) -> WarmPoolAdvice:
    """Whether a warm pool is worth it: when a cold start exceeds the time a scale-out may take.

    Stopped instances cost only their EBS volumes (EC2 Auto Scaling warm pools, pool state
    Stopped), and a stopped node keeps the image, weights and compiled artifacts, so it serves
    after boot + load instead of the whole cold start.
    """
    recommended = cold.total_s > scale_out_budget_s
    notes = (
        "Use pool_state='Stopped': you pay for the EBS volume, not the instance hours.",
        "The cluster's launch lifecycle hook holds a pool node until its boot script reports "
        "ready, so no node is stopped mid-download (cloud-init runs user data only once).",
        "On start from the pool the enabled systemd units bring vLLM up again from the volume, "
        "with no download and no recompile.",
    )
    return WarmPoolAdvice(recommended, "Stopped", cold.total_s, cold.warm_start_s, notes)


# Assumption: OS, docker and logs need 30 GiB beside the image; Neuron keeps compiled artifacts
# (and, with sharded checkpoints, a second copy of the weights) under NEURON_COMPILED_ARTIFACTS.
OS_GIB = 30


def root_volume_gib(spec: InstanceSpec, weights_gib: float) -> int:
    """gp3 root volume for OS + image (x2 for layers unpacked) + weights + compiled artifacts."""
    artifacts_gib = weights_gib if spec.accelerator == "neuron" else 0.0
    total = OS_GIB + 2 * IMAGE_GIB[spec.accelerator] + weights_gib + artifacts_gib
    return int(math.ceil(total / 10) * 10)
