"""Properties every accepted cluster has, whatever a user sets: generated configs across
instance types, models, capacity modes, options, cluster and stack names and CIDR sets, built
under the strict harness (which already refuses anything AWS would)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from graviton_llm import NeuronServingCluster, NeuronServingClusterArgs
from graviton_llm.facts import catalog
from graviton_llm.facts.models import KNOWN_MODELS
from graviton_llm.node_agent.paths import LIFECYCLE_HOOK_NAME
from graviton_llm.plan.findings import run_checks
from graviton_llm.testing import MOCK_VPC_CIDR, run_program

# Every test here runs the CLI, a program or a server end to end.
pytestmark = pytest.mark.slow

PRIVATE = ["10.0.0.0/8", "10.1.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
           "10.20.0.0/16", "fd00::/8"]  # fmt: skip
TEXT_MODELS = sorted(m for m, info in KNOWN_MODELS.items() if not info.vision)
TYPES = sorted(t for t, s in catalog.INSTANCE_TYPES.items() if "us-east-1" in s.regions)
HOOK = [{"name": LIFECYCLE_HOOK_NAME, "lifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING",
         "heartbeatTimeout": 900, "defaultResult": "ABANDON"}]  # fmt: skip


@st.composite
def clusters(draw) -> tuple[str, str, dict[str, Any]]:
    instance_type = draw(st.sampled_from(TYPES))
    nodes = draw(st.integers(min_value=1, max_value=4))
    config: dict[str, Any] = {
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
        "instance_type": instance_type,
        "region": "us-east-1",
        "model": {
            "id": draw(st.sampled_from(TEXT_MODELS)),
            "weights_uri": "s3://team-weights/model/",
        },
        "max_model_len": draw(st.sampled_from([1024, 2048, 4096])),
        "max_num_batched_tokens": 4096,
        "allowed_cidrs": draw(
            st.lists(st.sampled_from(PRIVATE), min_size=1, max_size=3, unique=True)
        ),
        "metrics_cidrs": draw(st.lists(st.sampled_from(PRIVATE), max_size=2, unique=True)),
        "ssh_cidrs": draw(st.lists(st.sampled_from(PRIVATE), max_size=1, unique=True)),
        "min_size": nodes,
        "max_size": nodes + draw(st.integers(min_value=0, max_value=2)),
        "desired_capacity": nodes,
        "environment": draw(st.sampled_from([None, "dev", "prod"])),
        "monitoring": {
            "enabled": draw(st.booleans()),
            "alarm_topic": draw(st.booleans()),
        },
        "rollout": {"enabled": draw(st.booleans())},
    }
    if not config["monitoring"]["enabled"]:
        config["rollout"]["auto_rollback"] = False
    option = draw(st.sampled_from(["none", "warm_pool", "spot", "reserved", "scaling", "api_key"]))
    if option == "warm_pool":
        config["warm_pool"] = {"min_size": 1}
    elif option == "spot":
        config["capacity_mode"] = "spot_with_on_demand_base"
    elif option == "reserved":
        config["capacity"] = {"availability_zones": ["us-east-1a", "us-east-1b"],
                              "instances_per_zone": config["max_size"] + 1}  # fmt: skip
        config["capacity_mode"] = draw(st.sampled_from(["reserved", "on_demand"]))
    elif option == "scaling" and config["max_size"] > config["min_size"]:
        config["scaling"] = {"mode": "target_tracking"}
    elif option == "api_key":
        config["api_key_ssm_parameter"] = "/llm/api-key"
    name = draw(st.from_regex(r"[a-z][a-z0-9-]{0,18}[a-z0-9]", fullmatch=True))
    stack = draw(st.from_regex(r"[A-Za-z0-9_.-]{1,30}", fullmatch=True))
    return name, stack, config


# Each example builds a whole cluster (~0.2 s): fewer in the bounded profile, all in "deep".
@settings(max_examples=15 if settings.default.max_examples <= 40 else settings.default.max_examples)
@given(clusters())
def test_every_accepted_cluster_keeps_the_invariants(generated):
    name, stack, config = generated
    try:
        NeuronServingClusterArgs.model_validate(config)
    except ValidationError:
        event("refused by the args (e.g. the model does not fit)")
        assume(False)
    event("built")
    result = run_program(lambda: NeuronServingCluster(name, config), stack=stack)
    resources = result.resources
    by_type = {r.type: [x for x in resources if x.type == r.type] for r in resources}

    # Ingress only from the CIDRs given (and the VPC's own, for the NLB), never public.
    given_cidrs = {*config["allowed_cidrs"], *config["metrics_cidrs"], *config["ssh_cidrs"],
                   MOCK_VPC_CIDR}  # fmt: skip
    for group in by_type["aws:ec2/securityGroup:SecurityGroup"]:
        for rule in group.inputs["ingress"]:
            for cidr in [*rule.get("cidrBlocks", []), *rule.get("ipv6CidrBlocks", [])]:
                assert cidr in given_cidrs and not ipaddress.ip_network(cidr).is_global
    # IMDSv2, encrypted volumes, no wildcard IAM, no public load balancer: every check passes.
    assert all(check.passed for check in run_checks(resources)), run_checks(resources)
    (role,) = by_type["aws:iam/role:Role"]
    assert role.protect
    # Every child is parented, tagged as ours, and uniquely named.
    urns = {r.urn for r in resources}
    (top,) = [r for r in resources if r.parent_urn not in urns]  # its parent is the stack
    assert top.type == "graviton-llm:cluster:NeuronServingCluster"
    for resource in resources:
        tags = resource.inputs.get("tags")
        if isinstance(tags, dict):
            assert tags.get("ManagedBy") == "graviton-llm", resource.name
    assert len({(r.type, r.name) for r in resources}) == len(resources)
    # No config changes what would replace the Auto Scaling group (only its lifecycle hook,
    # fixed, and its auto-name are ForceNew).
    (group,) = by_type["aws:autoscaling/group:Group"]
    assert {k for k in group.inputs if k in ("name", "namePrefix")} == set()
    assert group.inputs["initialLifecycleHooks"] == HOOK
