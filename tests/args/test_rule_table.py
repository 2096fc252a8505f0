"""Every args rule is a row of the table (args/cluster_rules.CLUSTER_RULES), listed in
docs/args-rules.md, and has a case it refuses and one it accepts: a rule added without them
fails here."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from graviton_llm.args import NeuronServingClusterArgs, cluster_rules
from graviton_llm.args.cluster_rules import CLUSTER_RULES
from graviton_llm.args.rule_table import ArgsRule
from support import KMS_KEY, cluster_args

DOCS = Path(__file__).resolve().parents[2] / "docs" / "args-rules.md"
SPOT = "spot_with_on_demand_base"
ZONE_A = {"availability_zones": ["us-east-1a"], "instances_per_zone": 3}

# rule id: (overrides it refuses, the field it names, overrides it accepts)
CASES: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {
    "instance-type": ({"instance_type": "r8g.96xlarge"}, "instance_type",
                      {"instance_type": "inf2.24xlarge"}),
    "network": ({"port": 9100}, "port", {"port": 8080}),
    "step-budget": ({"max_num_batched_tokens": 4, "max_model_len": 4}, "max_num_batched_tokens",
                    {"max_num_batched_tokens": 8, "max_model_len": 8}),
    "subnet-count": ({"subnet_ids": []}, "subnet_ids",
                     {"subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa"]}),
    "group-sizes": ({"desired_capacity": 5}, "desired_capacity",
                    {"min_size": 1, "max_size": 5, "desired_capacity": 5}),
    "api-key-kms-key": ({"api_key_kms_key_arn": KMS_KEY}, "api_key_kms_key_arn",
                        {"api_key_kms_key_arn": KMS_KEY, "api_key_ssm_parameter": "/llm/key"}),
    "network-ids": ({"vpc_id": "vpc-xyz"}, "vpc_id", {"vpc_id": "vpc-0fedcba9876543210"}),
    "ami-id": ({"ami_id": "ami-xyz"}, "ami_id", {"ami_id": "ami-0123456789abcdef0"}),
    "kms-key-arns": ({"weights_kms_key_arn": "arn:aws:kms:nope"}, "weights_kms_key_arn",
                     {"weights_kms_key_arn": KMS_KEY}),
    "region-name": ({"region": "Mars"}, "region", {"region": "us-east-1"}),
    "image-reference": ({"image": "no spaces allowed"}, "image",
                        {"image": "public.ecr.aws/neuron/vllm:0.1"}),
    "root-device-name": ({"root_device_name": "sda1"}, "root_device_name",
                         {"root_device_name": "/dev/sda1"}),
    "api-key-parameter-name": ({"api_key_ssm_parameter": "bad name!"}, "api_key_ssm_parameter",
                               {"api_key_ssm_parameter": "/team/llm/api-key"}),
    "tags": ({"tags": {"aws:team": "llm"}}, "tags.aws:team", {"tags": {"team": "llm"}}),
    "alarm-email-addresses": (
        {"monitoring": {"alarm_topic": True, "alarm_emails": ["nobody"]}},
        "monitoring.alarm_emails.0",
        {"monitoring": {"alarm_topic": True, "alarm_emails": ["ops@example.com"]}},
    ),
    "model": ({"model": {"weights_uri": "https://bucket/x"}}, "model.weights_uri",
              {"model": {"weights_uri": "s3://other-weights/llama/"}}),
    "accelerator-matches": ({"accelerator": "cpu"}, "accelerator", {"accelerator": "neuron"}),
    "tensor-parallel-degree": ({"tensor_parallel_size": 8}, "tensor_parallel_size",
                               {"tensor_parallel_size": 2}),
    "chunked-prefill": ({"max_num_batched_tokens": 2048, "max_model_len": 4096},
                        "max_num_batched_tokens",
                        {"max_num_batched_tokens": 4096, "max_model_len": 4096}),
    "region-offers-type": ({"instance_type": "trn2.48xlarge", "region": "us-east-1"}, "region",
                           {"instance_type": "trn1.32xlarge", "region": "us-east-1"}),
    "memory-fit": ({"max_model_len": 200000}, "max_model_len", {"max_model_len": 2048}),
    "capacity-matches": (
        {"region": "us-east-1", "capacity": {"availability_zones": ["us-west-2a"]}},
        "capacity.availability_zones.0",
        {"region": "us-east-1", "capacity": {"availability_zones": ["us-east-1a"]}},
    ),
    "artifact-cache": ({"artifact_cache": {"uri": "s3://team-weights/"}}, "artifact_cache.uri",
                       {"artifact_cache": {"uri": "s3://team-cache/llama/"}}),
    "spot-instance-types": (
        {"capacity_mode": SPOT, "spot": {"instance_types": ["r8g.48xlarge"]}},
        "spot.instance_types.0",
        {"capacity_mode": SPOT, "spot": {"instance_types": ["inf2.xlarge"]}},
    ),
    "spot-without-warm-pool": ({"capacity_mode": SPOT, "warm_pool": {}}, "warm_pool",
                               {"capacity_mode": "on_demand", "warm_pool": {}}),
    "spot-without-capacity": (
        {"capacity_mode": SPOT, "region": "us-east-1", "capacity": ZONE_A}, "capacity",
        {"capacity_mode": "on_demand", "region": "us-east-1", "capacity": ZONE_A},
    ),
    "spot-types-need-spot": ({"spot": {"instance_types": ["inf2.xlarge"]}}, "spot.instance_types",
                             {"capacity_mode": SPOT, "spot": {"instance_types": ["inf2.xlarge"]}}),
    "reservations-cover-group": (
        {"capacity_mode": "reserved", "region": "us-east-1",
         "capacity": {**ZONE_A, "instances_per_zone": 2}},
        "capacity.instances_per_zone",
        {"capacity_mode": "reserved", "region": "us-east-1", "capacity": ZONE_A},
    ),
    "reserved-needs-capacity": (
        {"capacity_mode": "reserved"}, "capacity_mode",
        {"capacity_mode": "reserved", "region": "us-east-1", "capacity": ZONE_A},
    ),
    "warm-pool-not-hibernated": ({"warm_pool": {"pool_state": "Hibernated"}},
                                 "warm_pool.pool_state", {"warm_pool": {"pool_state": "Stopped"}}),
    "warm-pool-prepared-capacity": (
        {"warm_pool": {"max_group_prepared_capacity": 2}},
        "warm_pool.max_group_prepared_capacity",
        {"warm_pool": {"max_group_prepared_capacity": 3}},
    ),
    "target-tracking-room": (
        {"scaling": {"mode": "target_tracking"}}, "scaling.mode",
        {"scaling": {"mode": "target_tracking"}, "min_size": 1, "desired_capacity": 1},
    ),
    "alarm-emails-need-topic": (
        {"monitoring": {"alarm_emails": ["ops@example.com"]}}, "monitoring.alarm_emails",
        {"monitoring": {"alarm_emails": ["ops@example.com"], "alarm_topic": True}},
    ),
    "auto-rollback-needs-monitoring": (
        {"monitoring": {"enabled": False}}, "rollout.auto_rollback",
        {"monitoring": {"enabled": False}, "rollout": {"auto_rollback": False}},
    ),
    "rollout-wait-timeout": (
        {"rollout": {"wait": True, "wait_timeout_minutes": 5}}, "rollout.wait_timeout_minutes",
        {"rollout": {"wait": True, "wait_timeout_minutes": 180}},
    ),
}  # fmt: skip


def _problems(overrides: dict[str, Any]) -> set[tuple[str, str]]:
    """(field, message) of every problem the args have."""
    try:
        NeuronServingClusterArgs.model_validate(cluster_args(**copy.deepcopy(overrides)))
    except ValidationError as error:
        return {(".".join(map(str, e["loc"])), e["msg"]) for e in error.errors()}
    return set()


def test_every_rule_has_a_unique_id_and_a_case_for_each_side():
    ids = [rule.id for rule in CLUSTER_RULES]
    assert len(ids) == len(set(ids))
    assert sorted(set(ids) - set(CASES)) == [], "rules without a refused and an accepted case"
    assert sorted(set(CASES) - set(ids)) == [], "cases of rules that no longer exist"


@pytest.mark.parametrize("rule", CLUSTER_RULES, ids=lambda rule: rule.id)
def test_the_rule_refuses_its_case_and_accepts_the_other(rule, monkeypatch):
    assert rule.id in CASES, f"add a refused and an accepted case for {rule.id!r} to CASES"
    refused, field, accepted = CASES[rule.id]
    assert _problems(accepted) == set()
    found = _problems(refused)
    assert field in {f for f, _ in found}, f"{field} not among {sorted(found)}"
    # It is this rule that refuses it: without the rule, that problem is gone.
    others = tuple(r for r in CLUSTER_RULES if r is not rule)
    monkeypatch.setattr(cluster_rules, "CLUSTER_RULES", others)
    assert field in {f for f, _ in found - _problems(refused)}


def _field_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    paths = set()
    for name, info in model.model_fields.items():
        paths.add(prefix + name)
        for kind in getattr(info.annotation, "__args__", (info.annotation,)):
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                paths |= _field_paths(kind, f"{prefix}{name}.")
    return paths


def test_every_field_a_rule_reads_is_a_field_of_the_args():
    fields = _field_paths(NeuronServingClusterArgs)
    unknown = {rule.id: [f for f in rule.reads if f not in fields] for rule in CLUSTER_RULES}
    assert {rule: paths for rule, paths in unknown.items() if paths} == {}


def rule_rows(rules: tuple[ArgsRule, ...]) -> list[str]:
    """The docs' table of the rules, one row each, in the order they run."""
    rows = ["| Rule | Reads | Requires | Skipped when |", "| --- | --- | --- | --- |"]
    for rule in rules:
        skipped = ["instance_type unknown"] if rule.needs_instance_type else []
        skipped += [f"{field} refused" for field in rule.unless_refused]
        reads = ", ".join(f"`{field}`" for field in rule.reads)
        rows.append(f"| `{rule.id}` | {reads} | {rule.requires} | {'; '.join(skipped)} |")
    return rows


def test_the_docs_list_every_rule_as_the_code_declares_it():
    text = DOCS.read_text()
    table = [line for line in text.splitlines() if re.match(r"^\| ", line)]
    expected = rule_rows(CLUSTER_RULES)
    assert table == expected, "docs/args-rules.md is out of date; its table is:\n" + "\n".join(
        expected
    )
