"""Which serving stack, container image and AMI go with which instance family."""

from __future__ import annotations

from typing import Literal

from .catalog import InstanceSpec

ServingStack = Literal["neuron-nxdi", "neuron-plugin", "cpu"]

# Neuron SDK 2.29 release notes: "NxD Inference no longer supports Trn1/Inf2 ... Pin to Neuron SDK
# 2.28 for Trn1/Inf2 support." Source for the tag: aws-neuron/deep-learning-containers README at
# tag 2.28.0; the image builds vllm-project/vllm-neuron release-0.4.1 (NxDI-based plugin).
NEURON_NXDI_IMAGE = (
    "public.ecr.aws/neuron/pytorch-inference-vllm-neuronx:"
    "0.13.0-neuronx-py312-sdk2.28.0-ubuntu24.04"
)
# Trn2: the newer vllm-neuron plugin (Trn2/Trn3 only). Source: aws-neuron/deep-learning-containers
# README (SDK 2.32.0 release, 2026-08) and aws-neuron-sdk deploy/environments/quickstart-deploy-dlc.
NEURON_PLUGIN_IMAGE = (
    "public.ecr.aws/neuron/pytorch-inference-vllm-neuronx:"
    "0.24.0.1.1.0-neuronx-py313-sdk2.32.0-ubuntu24.04"
)
# vLLM CPU backend for arm64 (Graviton4). Tag format from vLLM docs
# docs/getting_started/installation/cpu.arm.inc.md (`vllm/vllm-openai-cpu:v<version>-arm64`);
# 0.33.0 is the newest vLLM release on PyPI at the time of writing. Pin by tag, never `latest`.
VLLM_CPU_ARM64_IMAGE = "vllm/vllm-openai-cpu:v0.33.0-arm64"

# AMIs by SSM public parameter. Neuron: the base DLAMI (driver, runtime tools, docker host); the
# serving stack lives in the pinned container. Source: Neuron docs deploy/environments/dlami.rst.
# Graviton: AWS "Query for the latest Amazon Linux AMI IDs using Systems Manager Parameter Store".
NEURON_BASE_AMI_PARAMETER = "/aws/service/neuron/dlami/base/amazon-linux-2023/latest/image_id"
AL2023_ARM64_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"


def serving_stack(spec: InstanceSpec) -> ServingStack:
    family = spec.neuron_family
    return "cpu" if family is None else family.serving_stack


# The image of each serving stack (a family names its stack in catalog.NEURON_FAMILIES).
IMAGES: dict[ServingStack, str] = {
    "neuron-nxdi": NEURON_NXDI_IMAGE,
    "neuron-plugin": NEURON_PLUGIN_IMAGE,
    "cpu": VLLM_CPU_ARM64_IMAGE,
}


def default_image(spec: InstanceSpec) -> str:
    return IMAGES[serving_stack(spec)]


def ami_parameter(spec: InstanceSpec) -> str:
    return AL2023_ARM64_AMI_PARAMETER if spec.accelerator == "cpu" else NEURON_BASE_AMI_PARAMETER
