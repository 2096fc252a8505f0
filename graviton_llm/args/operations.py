"""Typed operations options of a cluster: rollout, warm pool, capacity mode, scaling, monitoring.

Each has a secure, working default; combinations AWS does not allow are refused by
the rows of ``operations_rules.OPERATIONS_RULES`` with the field named, before any resource exists.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from ..facts.vllm_metrics import ScalingMetric
from .base import ArgsModel, StrInput
from .fields import parse_s3_uri

CapacityMode = Literal["on_demand", "spot_with_on_demand_base", "reserved"]
# The retention periods CloudWatch Logs accepts (PutRetentionPolicy, retentionInDays).
_RETENTION_DAYS = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
]  # fmt: skip


WAIT_TIMEOUT_MAX_MINUTES = 2880  # ours: two days, beyond BakeTime's own 48-hour maximum


def _not_a_bool(value: object) -> object:
    # A Literal of ints matches by equality, and True == 1: strict mode let YAML's `true` in.
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean; give a number of days, e.g. 7")
    return value


LogRetentionDays = Annotated[_RETENTION_DAYS, BeforeValidator(_not_a_bool)]


class RolloutArgs(ArgsModel):
    """Launch-template changes roll out by ASG instance refresh, one node at a time."""

    enabled: bool = True
    """Roll out launch-template changes."""
    auto_rollback: bool = True
    """Roll back to the previous launch template when the refresh fails or an alarm below fires (EC2
    Auto Scaling instance refresh AutoRollback)."""
    instance_warmup_seconds: int | None = Field(default=None, ge=0, le=86_400)  # ours: a day
    """Seconds after a new node enters service before the refresh counts it; default 180 s (the
    NLB's health checks). The node already serves then: the launch lifecycle hook held it
    through download and compile."""
    error_rate_percent: float = Field(default=1.0, gt=0, lt=100)
    """Roll back when 5xx responses exceed this share of requests."""
    retry: int = Field(default=0, ge=0, le=1_000_000)
    """Raise to start the same rollout again (for example after an alarm rolled it back and the
    cause is fixed): a rollout starts when the launch template changes."""
    # EvaluationPeriods x Period (60 s) may not exceed a day (CloudWatch PutMetricAlarm).
    alarm_evaluation_minutes: int = Field(default=3, ge=1, le=1440)
    """Minutes an alarm condition must hold before it fires."""
    hold: bool = False
    """Deploy a new launch template version (and its artifact-cache grant) without rolling it
    out: the group keeps serving the version it runs. Pre-warm the new version's cache meanwhile
    (`graviton-llm compile`), then set it back to false and `pulumi up` starts the rollout."""
    wait: bool = False
    """Make `pulumi up` wait for the refresh and fail when it fails, is cancelled or rolls back
    (it polls DescribeInstanceRefreshes); by default `pulumi up` returns once AWS accepted the
    refresh (follow it with `graviton-llm rollout status`)."""
    wait_timeout_minutes: int = Field(default=180, ge=1, le=WAIT_TIMEOUT_MAX_MINUTES)
    """With `wait`: give up waiting (the refresh goes on) after this long. Refused when shorter
    than an ordinary rollout (about one cold start per node, the first compiling, plus warmups
    and the bake time); the error says how long."""


class WarmPoolArgs(ArgsModel):
    """Stopped instances whose weights and compiled artifacts are already on disk."""

    min_size: int = Field(default=1, ge=0, le=1000)
    """Instances kept in the warm pool."""
    max_group_prepared_capacity: int | None = Field(default=None, ge=0, le=1000)
    """Cap on group + pool instances; default: max_size."""
    pool_state: Literal["Stopped", "Running", "Hibernated"] = "Stopped"
    """Stopped costs only EBS; Running is billed as a running instance."""
    reuse_on_scale_in: bool = True
    """Return scaled-in instances to the pool instead of ending them."""


class SpotArgs(ArgsModel):
    """Spot capacity above an on-demand floor (mixed instances policy)."""

    on_demand_base_capacity: int = Field(default=1, ge=0, le=1000)
    """Nodes that are always on-demand; the rest run on Spot."""
    # With instance_type, at most 40 types (EC2 Auto Scaling, "Mixed instances groups").
    instance_types: list[str] = Field(default_factory=list, max_length=39)
    """Further instance types Spot may use, each with the same accelerator, serving stack, chip and
    core count as instance_type (e.g. inf2.xlarge for inf2.8xlarge). More types mean fewer
    interruptions."""


class ScalingArgs(ArgsModel):
    """Fixed size (default), or target tracking on a vLLM metric per node."""

    mode: Literal["fixed", "target_tracking"] = "fixed"
    """fixed: min/max/desired as given; target_tracking: scale on `metric`."""
    metric: ScalingMetric = "num_requests_waiting"
    """vLLM gauge averaged over nodes (an NLB has no per-target request count)."""
    target_value: float = Field(default=4.0, gt=0, le=10_000)
    """Target average per node."""
    scale_in_protection_while_booting: bool = True
    """New nodes start protected from scale-in; each node lifts its protection once it serves, so a
    node is never ended while downloading or compiling."""


class MonitoringArgs(ArgsModel):
    """CloudWatch agent metrics, alarms, an optional SNS topic and a dashboard."""

    enabled: bool = True
    """Alarms, dashboard, CloudWatch agent."""
    device_memory_percent: float = Field(default=85.0, gt=0, le=100)
    """Alarm when Neuron device memory use exceeds this percent."""
    latency_seconds: float = Field(default=30.0, gt=0, le=86_400)
    """Alarm when a node's p99 end-to-end request latency exceeds this (s)."""
    alarm_topic: bool = False
    """Create an SNS topic and send every alarm to it."""
    alarm_emails: list[str] = Field(default_factory=list, max_length=10)  # ours
    """E-mail subscriptions for the topic (each must be confirmed by its recipient)."""
    dashboard: bool = True
    """Create a CloudWatch dashboard."""
    log_retention_days: LogRetentionDays = 7
    """Days CloudWatch Logs keeps the agent's metric logs (embedded metric format; the metrics
    themselves follow CloudWatch's own retention)."""


# The default cache folder, beside the model directory in the weights bucket (its parent's
# child): never under the weights prefix, which nodes only read and list in full.
DEFAULT_CACHE_FOLDER = ".graviton-llm-cache/"


class ArtifactCacheArgs(ArgsModel):
    """Compiled Neuron artifacts shared through S3: the first node to start a model with these
    shapes compiles and publishes them; every later node (scale-out, rollout, warm pool) and
    every restart downloads and verifies them instead of compiling. Neuron only."""

    enabled: bool = True
    """Share compiled artifacts through S3. False: every node compiles for itself (the artifacts
    stay on its own volume for restarts). Ignored on CPU instances."""
    uri: str | None = None
    """s3://bucket/prefix/ of the cache. Default: beside the weights, s3://<weights bucket>/<parent
    of the weights prefix>/.graviton-llm-cache/ (never under the weights prefix, which the
    nodes only read). Nodes read and write only <uri><artifact key>/: the key's rendered part
    fixes the prefix their role may write."""
    kms_key_arn: StrInput | None = None
    """KMS key of the cache bucket's default encryption (SSE-KMS) when the cache is not in the
    weights bucket: the nodes may generate data keys and decrypt with it only through S3. In
    the weights bucket, weights_kms_key_arn serves."""


def artifact_cache_root(weights_uri: str, uri: str | None) -> tuple[str, str] | None:
    """(bucket, prefix/) of the cache: ``uri``, or the default folder beside the weights (the
    weights prefix's parent); None when a location does not parse (the rules say why)."""
    if uri is not None:
        return parse_s3_uri(uri)
    weights = parse_s3_uri(weights_uri)
    if weights is None:
        return None
    bucket, prefix = weights
    parent = prefix.rstrip("/").rpartition("/")[0]
    return bucket, (f"{parent}/" if parent else "") + DEFAULT_CACHE_FOLDER
