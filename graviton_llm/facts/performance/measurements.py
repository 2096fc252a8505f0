"""Published measurements as data, the model's prediction of each, the fit and the error report.

The measurements live in ``data/performance_measurements.csv``, one figure a row, each with its
source. ``set`` is ``fit`` (used to fit the parameters), ``validation`` (only to report the
error) or ``excluded`` (kept for the record, with the reason in ``note``). The split holds out
whole model architectures: the fit set has the Llama 7B/8B and 70B families, validation has
Llama-2-13B, CodeLlama-13B, Mistral-7B-v0.2, Llama-3.1-405B and Qwen3-32B, none of which (nor a
near-copy) is in the fit set.

Each row is compared like with like: a static batch (Transformers NeuronX benchmark pages: B
prompts start together, prefilled in one pass, decoded in lockstep) is predicted as such, a
vLLM closed loop with B users as continuous batching (performance.py), and an aggregate
throughput of several data-parallel replicas as ``replicas`` times one replica's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

from .. import catalog
from ..units import GIB
from .hardware import NEURON_RANKS
from .roofline import Hardware, hardware

DATA_FILE = "performance_measurements.csv"
COLUMNS = (
    "id",
    "model",
    "instance_type",
    "tp",
    "batch",
    "max_num_seqs",
    "replicas",
    "input_len",
    "output_len",
    "max_model_len",
    "prefill_bucket",
    "decode_bucket",
    "scheduling",
    "metric",
    "value",
    "statistic",
    "dtype",
    "weight_dtype",
    "software",
    "source_url",
    "source_date",
    "set",
    "note",
)
METRICS = (
    "ttft_ms",
    "tpot_ms",
    "output_tokens_per_s_aggregate",
    "output_tokens_per_s_per_request",
)
SETS = ("fit", "validation", "excluded")
FAMILIES = ("inf2", "trn1", "trn2", "graviton")


@dataclass(frozen=True)
class Measurement:
    id: str
    model: str
    instance_type: str
    tp: int
    batch: int | None
    max_num_seqs: int | None
    replicas: int
    input_len: int | None
    output_len: int | None
    max_model_len: int | None
    prefill_bucket: int | None
    decode_bucket: int | None
    scheduling: str
    metric: str
    value: float
    statistic: str
    dtype: str
    weight_dtype: str
    software: str
    source_url: str
    source_date: str
    set: str
    note: str

    @property
    def family(self) -> str:
        prefix = self.instance_type.split(".")[0]
        if prefix in ("r8g", "m8g", "c8g"):
            return "graviton"
        return "trn1" if prefix == "trn1n" else prefix


def _int(text: str) -> int | None:
    return int(text) if text.strip() else None


def load_measurements() -> list[Measurement]:
    """Every row of the data file, as published (no filtering)."""
    text = resources.files(__package__).joinpath("data", DATA_FILE).read_text()
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"{DATA_FILE}: columns {reader.fieldnames} != {COLUMNS}")
    rows = []
    for r in reader:
        rows.append(
            Measurement(
                id=r["id"],
                model=r["model"],
                instance_type=r["instance_type"],
                tp=int(r["tp"]),
                batch=_int(r["batch"]),
                max_num_seqs=_int(r["max_num_seqs"]),
                replicas=int(r["replicas"]),
                input_len=_int(r["input_len"]),
                output_len=_int(r["output_len"]),
                max_model_len=_int(r["max_model_len"]),
                prefill_bucket=_int(r["prefill_bucket"]),
                decode_bucket=_int(r["decode_bucket"]),
                scheduling=r["scheduling"],
                metric=r["metric"],
                value=float(r["value"]),
                statistic=r["statistic"],
                dtype=r["dtype"],
                weight_dtype=r["weight_dtype"],
                software=r["software"],
                source_url=r["source_url"],
                source_date=r["source_date"],
                set=r["set"],
                note=r["note"],
            )
        )
    return rows


def measurement_hardware(instance_type: str, tp: int) -> Hardware:
    """Hardware of a published figure. The per-rank figures depend on the family only, so a
    size missing from the catalog (trn2.3xlarge) or not stated at all ("trn2") still works."""
    if catalog.instance_spec(instance_type) is not None:
        return hardware(instance_type)
    family = instance_type.split(".")[0]
    rank = NEURON_RANKS[family]
    neuron_family = catalog.NEURON_FAMILIES[family]
    return Hardware(
        instance_type,
        rank.generation,
        rank,
        tp,
        neuron_family.device_memory_per_core_gib * GIB,
        neuron_family.tensor_parallel_degrees,
    )
