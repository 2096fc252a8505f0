"""Pure sizing: root volume and the predicted cold start (boot to first healthy completion).

The cold start feeds the ASG health-check grace period and the boot script's readiness timeout,
so a node is never killed while it downloads or compiles. Figures marked "assumption" are our
engineering estimates, not measurements: they are kept here, in one place, to be replaced by
measured values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .catalog import GIB, InstanceSpec, ModelInfo

# Assumption: EC2 launch to cloud-init running user scripts on AL2023 / the base DLAMI.
AMI_BOOT_SECONDS = 90
# Assumption: compressed container image sizes (the Neuron DLC carries torch-neuronx, NxDI and
# vLLM; the CPU image carries torch and vLLM) and a pull rate from ECR Public / Docker Hub.
IMAGE_GIB = {"neuron": 12.0, "cpu": 4.0}
IMAGE_PULL_GIB_PER_SECOND = 0.15
# Assumption: `aws s3 sync` reaches about half of the instance's network bandwidth, capped at
# 10 Gb/s for a single host process.
S3_EFFICIENCY = 0.5
S3_CAP_GBPS = 10.0
# Neuron compiles the model on first start: "5-10+ min" (Neuron docs), and awslabs/ai-on-eks says
# deployment "may take up to 10 minutes" for Llama 3 8B on inf2. We take 10 min for a 32-layer
# model and scale by layer count (assumption: compile time grows with graph size).
NEURON_COMPILE_SECONDS_PER_32_LAYERS = 600
UNKNOWN_MODEL_LAYERS = 80  # assumption for models outside the table: size like a 70B
# Assumption: loading weights from local disk into device or host memory at 1 GiB/s.
LOAD_GIB_PER_SECOND = 1.0
# Margin on top of the prediction for the ASG grace period and the readiness timeout.
SAFETY_FACTOR = 1.5


@dataclass(frozen=True)
class ColdStart:
    boot_s: float
    image_pull_s: float
    weights_download_s: float
    compile_s: float
    load_s: float

    @property
    def total_s(self) -> float:
        return (
            self.boot_s + self.image_pull_s + self.weights_download_s + self.compile_s + self.load_s
        )

    @property
    def grace_period_s(self) -> int:
        """Predicted cold start with margin, rounded up to the minute."""
        return int(math.ceil(self.total_s * SAFETY_FACTOR / 60) * 60)


def predict_cold_start(
    spec: InstanceSpec, weights_gib: float, model: ModelInfo | None
) -> ColdStart:
    s3_gbps = min(spec.network_gbps * S3_EFFICIENCY, S3_CAP_GBPS)
    download_s = weights_gib * GIB * 8 / (s3_gbps * 1e9)
    compile_s = 0.0
    if spec.accelerator == "neuron":
        layers = model.layers if model else UNKNOWN_MODEL_LAYERS
        compile_s = NEURON_COMPILE_SECONDS_PER_32_LAYERS * max(1.0, layers / 32)
    return ColdStart(
        boot_s=AMI_BOOT_SECONDS,
        image_pull_s=IMAGE_GIB[spec.accelerator] / IMAGE_PULL_GIB_PER_SECOND,
        weights_download_s=download_s,
        compile_s=compile_s,
        load_s=weights_gib / LOAD_GIB_PER_SECOND,
    )


# Assumption: OS, docker and logs need 30 GiB beside the image; Neuron keeps compiled artifacts
# (and, with sharded checkpoints, a second copy of the weights) under NEURON_COMPILED_ARTIFACTS.
OS_GIB = 30


def root_volume_gib(spec: InstanceSpec, weights_gib: float) -> int:
    """gp3 root volume for OS + image (x2 for layers unpacked) + weights + compiled artifacts."""
    artifacts_gib = weights_gib if spec.accelerator == "neuron" else 0.0
    total = OS_GIB + 2 * IMAGE_GIB[spec.accelerator] + weights_gib + artifacts_gib
    return int(math.ceil(total / 10) * 10)
