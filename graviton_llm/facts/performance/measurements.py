"""Published measurements as data, the model's prediction of each, the fit and the error report.

The measurements live in ``data/performance_measurements.csv``, one figure a row, each with its
source. ``set`` is ``fit`` (used to fit the parameters), ``validation`` (only to report the
error), ``repeat`` (a page that re-measures a configuration the fit has: reported apart, never
fitted and never counted as unseen) or ``excluded`` (kept for the record, with the reason in
``note``). The split is by source and by configuration: every row of a published page (its
``source_url``) is in one set, and no validation row shares its configuration (model, instance
type, TP, compiled slots, prompt length, scheduling) with a fit row, so validation figures are
configurations the fit never saw (docs/performance-model.md lists them).

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
from .shapes import model_shape

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
    "users",
    "request_rate",
    "arrivals",
    "client_cap",
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
SETS = ("fit", "validation", "repeat", "excluded")
# How an open loop's requests arrived: guidellm's "asynchronous@rate" runs are at a constant
# interval (profile_generator.create_sweep_profile), not Poisson.
ARRIVALS = ("poisson", "constant")
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
    users: int | None  # closed loop: requests in flight over the deployment (None: ``batch``)
    request_rate: float | None  # open loop: arrivals per second over the deployment
    arrivals: str  # open loop: "poisson" or "constant" ("" for a closed loop)
    client_cap: int | None  # the load generator's stated cap on requests in flight, if any
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
    def queued(self) -> bool:
        """Predicted by the load model (load.py): a TTFT or inter-token latency with several
        users (where a request's wait and the others' prefills fall), or any figure measured
        under Poisson arrivals. Throughputs under a closed loop do not depend on it."""
        return self.request_rate is not None or (
            self.users is not None and self.metric in ("ttft_ms", "tpot_ms")
        )

    @property
    def configuration(self) -> tuple[str, str, int, int | None, int | None, str]:
        """What the model predicts a row from, bar the lengths' run-to-run spread: the model,
        instance type, TP degree, compiled slots, prompt length and scheduling. Two pages with
        the same configuration measure the same prediction."""
        shape = model_shape(self.model)
        return (
            shape.id if shape is not None else self.model,
            self.instance_type,
            self.tp,
            self.max_num_seqs or self.batch,
            self.input_len,
            self.scheduling,
        )

    @property
    def running(self) -> float | None:
        """Requests running on each replica in a closed loop (users beyond the slots queue)."""
        if self.batch is None:
            return None
        if self.users is None:
            return float(self.batch)
        return min(self.users / self.replicas, float(self.max_num_seqs or self.users))

    @property
    def family(self) -> str:
        prefix = self.instance_type.split(".")[0]
        if prefix in catalog.GRAVITON4_FAMILIES:
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
                users=_int(r["users"]),
                request_rate=float(r["request_rate"]) if r["request_rate"].strip() else None,
                arrivals=r["arrivals"],
                client_cap=_int(r["client_cap"]),
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
