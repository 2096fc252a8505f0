"""Roofline figures of the hardware we deploy on: memory bandwidth and peak FLOPs per compute
unit, with the interconnect. Every number carries its source beside it.

A "rank" is what one tensor-parallel shard runs on: a NeuronCore on Inf2/Trn1, a logical
NeuronCore on Trn2 at the default LNC=2, the whole instance on Graviton (vLLM's CPU backend
serves one replica per instance here, TP=1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..units import GIB

Generation = Literal["neuron-v2", "neuron-v3", "graviton4"]

GB = 1e9
TERA = 1e12

# Sources, quoted once and cited by key below.
SOURCES = {
    "inferentia2": (
        "aws-neuron/aws-neuron-sdk about-neuron/arch/neuron-hardware/inferentia2.rst and "
        "inf2-arch.rst @81ce03ae (2026-08-21): Inferentia2 chip = 2 NeuronCore-v2, "
        "190 FP16/BF16/cFP8/TF32 TFLOPS, 380 INT8 TOPS, 32 GiB HBM 'with 820 GiB/sec of "
        "bandwidth'; NeuronLink-v2 192 GiB/s per chip (inf2.24xlarge/48xlarge)"
    ),
    "trainium": (
        "aws-neuron/aws-neuron-sdk about-neuron/arch/neuron-hardware/trainium.rst and "
        "trn1-arch.rst @81ce03ae: Trainium chip = 2 NeuronCore-v2, 190 FP16/BF16/cFP8/TF32 "
        "TFLOPS, 32 GiB 'with 820 GiB/sec of bandwidth'; NeuronLink-v2 384 GiB/s per chip on "
        "trn1.32xlarge, 768 on trn1n.32xlarge"
    ),
    "trainium2": (
        "aws-neuron/aws-neuron-sdk about-neuron/arch/neuron-hardware/trainium2.rst and "
        "trn2-arch.rst @81ce03ae: Trainium2 chip = 8 NeuronCore-v3 (4 logical cores at LNC=2), "
        "667 BF16/FP16/TF32 dense TFLOPS, 1,299 FP8 TFLOPS, 96 GiB HBM at 2.9 TB/s; "
        "NeuronLink-v3 1,024 GB/s per chip inside trn2.48xlarge (trn2-arch table; trainium2.rst "
        "gives 1.28 TB/s per chip)"
    ),
    "graviton4": (
        "aws/aws-graviton-getting-started README.md @83d74f4c (2026-07-01): Neoverse-V2, "
        "2800 MHz (2700 MHz for 48xlarge), 96 cores per socket (192 for the 2-socket "
        "48xlarge), 12x DDR5 per socket (24x for 48xlarge); DDR5-5600 (AnandTech 2023-11-29 "
        "'Graviton4 ... 536.7 GBps memory bandwidth'; WikiChip 'dodeca-channel DDR5-5600'): "
        "12 x 5600 MT/s x 8 B = 537.6 GB/s per socket. BF16 peak: BFMMLA (2x4 by 4x2 BF16 "
        "matrix multiply-accumulate = 32 FLOPs per 128-bit instruction) issues on any of the 4 "
        "FP/ASIMD pipes (llvm/llvm-project llvm/lib/Target/AArch64/AArch64SchedNeoverseV2.td, "
        "from the Neoverse V2 Software Optimization Guide: BFMMLA -> V2Wr_VBFMMA on V2UnitV) "
        "= 128 FLOPs/cycle/core, our arithmetic from those two figures"
    ),
}


@dataclass(frozen=True)
class RankRoofline:
    """Peak figures of one tensor-parallel rank."""

    generation: Generation
    bandwidth_bytes_per_s: float
    bf16_flops: float
    fp8_flops: float | None
    source_key: str

    @property
    def source(self) -> str:
        return SOURCES[self.source_key]


# Inf2 and Trn1 carry the same NeuronCore-v2 and the same HBM per chip: 190 TFLOPS and
# 820 GiB/s per 2-core chip, so half of each per core.
_NEURON_V2_CORE = {
    "bandwidth_bytes_per_s": 820 * GIB / 2,
    "bf16_flops": 190 * TERA / 2,
    "fp8_flops": 190 * TERA / 2,  # "190 FP16/BF16/cFP8/TF32 TFLOPS": no faster FP8 rate
}
# Trn2 at LNC=2: 4 logical cores per chip share the chip's 2.9 TB/s and 667 / 1,299 TFLOPS.
_TRN2_LOGICAL_CORES_PER_CHIP = 4
_NEURON_V3_LOGICAL_CORE = {
    "bandwidth_bytes_per_s": 2.9 * TERA / _TRN2_LOGICAL_CORES_PER_CHIP,
    "bf16_flops": 667 * TERA / _TRN2_LOGICAL_CORES_PER_CHIP,
    "fp8_flops": 1299 * TERA / _TRN2_LOGICAL_CORES_PER_CHIP,
}

NEURON_RANKS: dict[str, RankRoofline] = {
    "inf2": RankRoofline("neuron-v2", source_key="inferentia2", **_NEURON_V2_CORE),
    "trn1": RankRoofline("neuron-v2", source_key="trainium", **_NEURON_V2_CORE),
    "trn1n": RankRoofline("neuron-v2", source_key="trainium", **_NEURON_V2_CORE),
    "trn2": RankRoofline("neuron-v3", source_key="trainium2", **_NEURON_V3_LOGICAL_CORE),
}

# Chip-to-chip links, GB/s per chip (for the record; the model fits a per-layer collective cost
# instead of deriving it from these, see performance.py).
NEURONLINK_BYTES_PER_S_PER_CHIP: dict[str, float] = {
    "inf2": 192 * GIB,
    "trn1": 384 * GIB,
    "trn1n": 768 * GIB,
    "trn2": 1024 * GB,
}

# Graviton4, per socket.
GRAVITON4_CORES_PER_SOCKET = 96
GRAVITON4_SOCKET_BANDWIDTH = 12 * 5600e6 * 8  # 537.6 GB/s theoretical
GRAVITON4_BF16_FLOPS_PER_CYCLE_PER_CORE = 4 * 32  # 4 pipes x one BFMMLA (32 FLOPs) each
GRAVITON4_FP32_FLOPS_PER_CYCLE_PER_CORE = 4 * 4 * 2  # 4 pipes x 4 lanes x FMA


def graviton4_rank(vcpus: int) -> RankRoofline:
    """The whole instance as one rank. The 48xlarge spans two sockets at 2.7 GHz; smaller sizes
    share one socket at 2.8 GHz. Sizes below a whole socket (96 vCPU) get a pro-rata share of
    the socket's 12 channels: AWS publishes no per-size bandwidth, so this share is our
    assumption (a neighbour-free host can give a small instance more)."""
    ghz = 2.7 if vcpus > GRAVITON4_CORES_PER_SOCKET else 2.8
    bandwidth = GRAVITON4_SOCKET_BANDWIDTH * vcpus / GRAVITON4_CORES_PER_SOCKET
    return RankRoofline(
        "graviton4",
        bandwidth_bytes_per_s=bandwidth,
        bf16_flops=vcpus * ghz * 1e9 * GRAVITON4_BF16_FLOPS_PER_CYCLE_PER_CORE,
        fp8_flops=None,
        source_key="graviton4",
    )
