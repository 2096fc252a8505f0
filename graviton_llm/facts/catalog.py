"""Instance types and prices as data: the one place a number about AWS hardware lives.

Every row says where it came from (docs/sources.md collects the sources); change a number here
only with a source. Model facts live in ``models.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .prices import on_demand, snapshot

Accelerator = Literal["neuron", "cpu"]
Architecture = Literal["x86_64", "arm64"]


# ---------------------------------------------------------------------------------------------
# Prices live in one dated snapshot per region and purchase option (prices.py,
# data/instance_prices.csv).
# These names keep the us-east-1 view earlier code and `cost` read.
# ---------------------------------------------------------------------------------------------
PRICE_SNAPSHOT_DATE = "2026-07-20"
PRICE_SNAPSHOT_REGION = "us-east-1"
PRICE_SNAPSHOT_SOURCE = (
    "aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go "
    "@6fc13b52 (generated 2026-07-20T13:44:30Z, us-east-1 on-demand)"
)
ON_DEMAND_USD_PER_HOUR: dict[str, float] = {
    p.instance_type: p.usd_per_hour
    for p in snapshot()
    if p.region == PRICE_SNAPSHOT_REGION and p.purchase_option == "on-demand"
}


def on_demand_price(instance_type: str, region: str = PRICE_SNAPSHOT_REGION) -> float | None:
    """On-demand $/h in ``region`` from the snapshot; None when it has no price there (trn2 is
    not sold in us-east-1; prices.py says where each type is priced)."""
    price = on_demand(instance_type, region)
    return None if price is None else price.usd_per_hour


# ---------------------------------------------------------------------------------------------
# Regions that offer each type, as carried by moto 5.2.5
# (moto/ec2/resources/instance_type_offerings/region/*.json.gz, location type "region").
# ---------------------------------------------------------------------------------------------
_INF2_REGIONS = (
    "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "eu-central-1",
    "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1", "us-east-1", "us-east-2",
    "us-west-2",
)  # fmt: skip
_INF2_XLARGE_REGIONS = tuple(sorted((*_INF2_REGIONS, "ap-northeast-2")))
_TRN1_32XL_REGIONS = (
    "ap-south-1", "ap-southeast-2", "ap-southeast-4", "us-east-1", "us-east-2", "us-west-2",
)  # fmt: skip
_TRN1_SMALL_REGIONS = ("us-east-1", "us-east-2", "us-west-2")  # trn1.2xlarge and trn1n
_TRN2_48XL_REGIONS = ("ap-south-2", "us-east-2")
_GRAVITON4_COMMON_REGIONS = (
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ca-central-1", "ca-west-1", "eu-central-1",
    "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
    "eu-west-3", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
)  # fmt: skip


@dataclass(frozen=True)
class NeuronFamily:
    """What the Neuron runtime and its serving stack allow on one instance family."""

    name: str
    chip: str
    # Tensor-parallel degrees the Neuron runtime supports: not "any divisor of the cores".
    # Source: Neuron SDK docs, NxD Inference feature guide "Tensor-parallelism support".
    tensor_parallel_degrees: tuple[int, ...]
    device_memory_per_core_gib: int
    # Which vLLM-on-Neuron stack serves this family (see serving_stack in images.py).
    serving_stack: Literal["neuron-nxdi", "neuron-plugin"]
    # Physical NeuronCores per logical core the runtime exposes (NEURON_LOGICAL_NC_CONFIG):
    # 2 by default on Trn2 (Neuron docs trn2-arch), 1 on Inf2/Trn1. Compiled code depends on it.
    logical_nc_config: int = 1


NEURON_FAMILIES: dict[str, NeuronFamily] = {
    # Inf2/Trn1: 16 GiB per NeuronCore (32 GiB HBM per chip, 2 cores).
    # Source: Neuron docs inf2-arch, trn1-arch. SDK 2.29 dropped Inf2/Trn1 from NxD Inference,
    # so these families stay on the SDK 2.28 image with the NxDI-based plugin.
    "inf2": NeuronFamily("inf2", "Inferentia2", (1, 2, 4, 8, 24), 16, "neuron-nxdi"),
    "trn1": NeuronFamily("trn1", "Trainium", (1, 2, 8, 16, 32), 16, "neuron-nxdi"),
    "trn1n": NeuronFamily("trn1n", "Trainium", (1, 2, 8, 16, 32), 16, "neuron-nxdi"),
    # Trn2 at the default LNC=2: 24 GiB per logical core (96 GiB per chip, 4 logical cores).
    # Source: Neuron docs trn2-arch.
    "trn2": NeuronFamily(
        "trn2", "Trainium2", (1, 2, 4, 8, 16, 32, 64), 24, "neuron-plugin", logical_nc_config=2
    ),
}


@dataclass(frozen=True)
class InstanceSpec:
    name: str
    family: str
    accelerator: Accelerator
    architecture: Architecture
    neuron_chips: int
    # NeuronCores the runtime exposes (logical cores at LNC=2 on trn2).
    neuron_cores: int
    device_memory_gib: int
    vcpus: int
    memory_gib: int
    network: str
    regions: tuple[str, ...]

    @property
    def neuron_family(self) -> NeuronFamily | None:
        return NEURON_FAMILIES.get(self.family)

    @property
    def network_gbps(self) -> float:
        """Peak network bandwidth in Gb/s, read from the network column ("up to 25 Gb/s")."""
        match = re.search(r"([0-9.]+) (Gb|Tb)/s", self.network)
        if match is None:
            raise ValueError(f"{self.name}: unreadable network figure {self.network!r}")
        value = float(match.group(1))
        return value * 1000 if match.group(2) == "Tb" else value


def _neuron(
    name: str, chips: int, cores: int, device_gib: int, vcpus: int, ram_gib: int,
    network: str, regions: tuple[str, ...],
) -> InstanceSpec:  # fmt: skip
    family = name.split(".")[0]
    return InstanceSpec(
        name, family, "neuron", "x86_64", chips, cores, device_gib, vcpus, ram_gib, network, regions
    )


def _graviton4(family: str, size: str) -> InstanceSpec:
    gib_per_vcpu, regions = GRAVITON4_FAMILIES[family]
    vcpus, network = _GRAVITON4_SIZES[size]
    return InstanceSpec(
        f"{family}.{size}",
        family,
        "cpu",
        "arm64",
        0,
        0,
        0,
        vcpus,
        vcpus * gib_per_vcpu,
        network,
        regions,
    )


# Neuron rows. Source: AWS EC2 accelerated computing specs; Neuron docs inf2-arch, trn1-arch,
# trn2-arch (chips, cores, HBM); EC2 DescribeInstanceTypes (vCPU, memory, network).
_NEURON_ROWS = [
    _neuron("inf2.xlarge", 1, 2, 32, 4, 16, "up to 15 Gb/s", _INF2_XLARGE_REGIONS),
    _neuron("inf2.8xlarge", 1, 2, 32, 32, 128, "up to 25 Gb/s", _INF2_REGIONS),
    _neuron("inf2.24xlarge", 6, 12, 192, 96, 384, "50 Gb/s", _INF2_REGIONS),
    _neuron("inf2.48xlarge", 12, 24, 384, 192, 768, "100 Gb/s", _INF2_REGIONS),
    _neuron("trn1.2xlarge", 1, 2, 32, 8, 32, "up to 12.5 Gb/s", _TRN1_SMALL_REGIONS),
    _neuron("trn1.32xlarge", 16, 32, 512, 128, 512, "800 Gb/s EFA", _TRN1_32XL_REGIONS),
    _neuron("trn1n.32xlarge", 16, 32, 512, 128, 512, "1600 Gb/s EFA", _TRN1_SMALL_REGIONS),
    # 128 physical cores; 64 logical at the default LNC=2 (NEURON_LOGICAL_NC_CONFIG).
    _neuron("trn2.48xlarge", 16, 64, 1536, 192, 2048, "3.2 Tb/s EFA", _TRN2_48XL_REGIONS),
]

# Graviton4 rows (CPU-only serving; no Neuron device on any Graviton instance).
# Source: EC2 general purpose / memory / compute optimized specs: r8g 8 GiB, m8g 4 GiB and
# c8g 2 GiB per vCPU; sizes xlarge..48xlarge; 48xlarge at 50 Gb/s.
# vCPUs and network per size, the same in r8g, m8g and c8g. Source: EC2 DescribeInstanceTypes
# (NetworkInfo.NetworkPerformance), as carried by moto 5.2.5 (ec2/resources/instance_types.json).
_GRAVITON4_SIZES = {
    "xlarge": (4, "up to 12.5 Gb/s"), "2xlarge": (8, "up to 15 Gb/s"),
    "4xlarge": (16, "up to 15 Gb/s"), "8xlarge": (32, "15 Gb/s"), "12xlarge": (48, "22.5 Gb/s"),
    "16xlarge": (64, "30 Gb/s"), "24xlarge": (96, "40 Gb/s"), "48xlarge": (192, "50 Gb/s"),
}  # fmt: skip
# A Graviton4 family in one row: GiB per vCPU (r8g 8, m8g 4, c8g 2, as above) and the regions
# that offer it (moto 5.2.5, as above).
GRAVITON4_FAMILIES: dict[str, tuple[int, tuple[str, ...]]] = {
    "r8g": (8, tuple(sorted((*_GRAVITON4_COMMON_REGIONS, "me-central-1")))),
    "m8g": (4, tuple(sorted((*_GRAVITON4_COMMON_REGIONS, "me-central-1", "me-south-1")))),
    "c8g": (2, tuple(sorted((*_GRAVITON4_COMMON_REGIONS, "il-central-1")))),
}

INSTANCE_TYPES: dict[str, InstanceSpec] = {
    spec.name: spec
    for spec in [
        *_NEURON_ROWS,
        *(
            _graviton4(family, size)
            for family in GRAVITON4_FAMILIES
            for size in _GRAVITON4_SIZES
        ),
    ]
}


def instance_spec(instance_type: str) -> InstanceSpec | None:
    return INSTANCE_TYPES.get(instance_type)


def serving_memory_gib(spec: InstanceSpec, tensor_parallel_size: int | None = None) -> int:
    """Memory a model replica lives in: the device memory of the NeuronCores in use (default:
    the largest valid TP degree), or host RAM on the CPU path."""
    family = spec.neuron_family
    if family is None:
        return spec.memory_gib
    tp = tensor_parallel_size or default_tensor_parallel_size(spec)
    return tp * family.device_memory_per_core_gib


def default_tensor_parallel_size(spec: InstanceSpec) -> int:
    """The largest degree the Neuron runtime supports that fits the instance's cores (CPU: 1)."""
    family = spec.neuron_family
    if family is None:
        return 1
    return max(d for d in family.tensor_parallel_degrees if d <= spec.neuron_cores)


# ---------------------------------------------------------------------------------------------
# GPU instances, for cost comparisons only (this product does not deploy them): GPUs per
# instance and memory per GPU. Source: AWS EC2 accelerated computing instance specs — G5 carries
# NVIDIA A10G (24 GiB each), G6 carries NVIDIA L4 (24 GiB each); 1 GPU from xlarge to 16xlarge,
# 4 on 12xlarge and 24xlarge, 8 on 48xlarge.
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GpuSpec:
    name: str
    gpu: str
    gpus: int
    memory_per_gpu_gib: int

    @property
    def device_memory_gib(self) -> int:
        return self.gpus * self.memory_per_gpu_gib


_GPU_COUNTS = {
    "xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 1,
    "12xlarge": 4, "24xlarge": 4, "48xlarge": 8,
}  # fmt: skip
GPU_INSTANCES: dict[str, GpuSpec] = {
    f"{family}.{size}": GpuSpec(f"{family}.{size}", gpu, count, 24)
    for family, gpu in (("g5", "NVIDIA A10G"), ("g6", "NVIDIA L4"))
    for size, count in _GPU_COUNTS.items()
}
