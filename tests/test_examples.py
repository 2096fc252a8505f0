"""Every example runs as a Pulumi program under mocks and builds the cluster it promises."""

from __future__ import annotations

import base64
import runpy
from pathlib import Path

import pytest

from graviton_llm.node.agent_archive import agent_archive
from graviton_llm.testing import run_program
from graviton_llm.testing.answers import mock_id

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CLUSTER = "graviton-llm:cluster:NeuronServingCluster"
LT = "aws:ec2/launchTemplate:LaunchTemplate"

# Resource count per example: a change in what an example creates should be deliberate.
EXPECTED = {
    # 29 = 14 serving resources + node-ops policy + monitoring (component, 6 alarms, dashboard,
    # the agent's metrics log group) + the rollout (instance refresh) resource + the artifact
    # cache's access (component and its role policy) + the node agent (its S3 object and the
    # node role's grant to read it)
    "minimal_existing_vpc": 29,
    "graviton_cpu": 26,  # no device-memory alarm and no artifact cache on a CPU node
    "reserved_capacity": 32,
    "warm_pool": 29,
    "spot_on_demand_floor": 29,
    # + SNS topic, its KMS key, email subscription, scaling policy
    "autoscaling_alerts": 33,
    # the cluster's 29 plus its own network: VPC, IGW, EIP, NAT, 3 subnets, 2 route tables,
    # 3 route table associations and an S3 gateway endpoint
    "team_vpc": 42,
}


def _run(example: str):
    return run_program(lambda: runpy.run_path(str(EXAMPLES / example / "__main__.py")))


def test_every_example_directory_is_covered():
    assert sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()) == sorted(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_example_builds_one_cluster_with_an_endpoint(example):
    result = _run(example)
    assert len(result.of_type(CLUSTER)) == 1
    assert len(result.resources) == EXPECTED[example]
    # Plain text within 4 KB: the bootstrap and the node config; the agent it pins is in S3.
    user_data = base64.b64decode(result.one(LT).inputs["userData"])
    assert user_data.startswith(b"#!/bin/bash\n") and len(user_data) <= 4096
    (agent,) = result.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    assert agent.inputs["key"].endswith(f"/{agent_archive().sha256}.pyz")
    assert base64.b64decode(agent.inputs["contentBase64"]) == agent_archive().data
    assert "endpoint" in result.stack_outputs
    assert result.stack_outputs["endpoint"].startswith("http://internal-")


@pytest.mark.slow
def test_graviton_example_runs_the_cpu_image_on_arm64():
    result = _run("graviton_cpu")
    import base64

    user_data = base64.b64decode(result.one(LT).inputs["userData"]).decode()
    assert "vllm/vllm-openai-cpu:" in user_data and "/dev/neuron" not in user_data


@pytest.mark.slow
def test_reserved_capacity_example_reserves_one_instance_per_zone():
    result = _run("reserved_capacity")
    reservations = result.of_type("aws:ec2/capacityReservation:CapacityReservation")
    assert sorted(r.inputs["availabilityZone"] for r in reservations) == [
        "us-east-1a",
        "us-east-1b",
    ]
    assert result.stack_outputs["reserved_usd_per_hour"] == pytest.approx(2 * 12.98127)


@pytest.mark.slow
def test_team_example_puts_nodes_in_its_own_private_subnets():
    result = _run("team_vpc")
    asg = result.one("aws:autoscaling/group:Group")
    assert asg.inputs["vpcZoneIdentifiers"] == [
        mock_id(f"team-private-{zone}", "aws:ec2/subnet:Subnet")
        for zone in ("us-east-1a", "us-east-1b")
    ]


@pytest.mark.slow
def test_warm_pool_example_keeps_two_prepared_nodes():
    pool = _run("warm_pool").one("aws:autoscaling/group:Group").inputs["warmPool"]
    assert pool["minSize"] == 2 and pool["poolState"] == "Stopped"


@pytest.mark.slow
def test_spot_example_has_an_on_demand_floor_of_one():
    asg = _run("spot_on_demand_floor").one("aws:autoscaling/group:Group").inputs
    distribution = asg["mixedInstancesPolicy"]["instancesDistribution"]
    assert distribution["onDemandBaseCapacity"] == 1


@pytest.mark.slow
def test_autoscaling_example_tracks_queue_depth_and_pages_oncall():
    result = _run("autoscaling_alerts")
    policy = result.one("aws:autoscaling/policy:Policy").inputs
    metric = policy["targetTrackingConfiguration"]["customizedMetricSpecification"]
    assert metric["metricName"] == "vllm:num_requests_waiting"
    assert result.stack_outputs["alarm_topic"].startswith("arn:aws:sns:")


@pytest.mark.slow
def test_team_example_keeps_weight_downloads_off_the_nat_gateway():
    endpoint = _run("team_vpc").one("aws:ec2/vpcEndpoint:VpcEndpoint").inputs
    assert endpoint["vpcEndpointType"] == "Gateway"
    assert endpoint["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert endpoint["routeTableIds"] == ["team-private-id"]
