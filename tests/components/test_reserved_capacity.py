from __future__ import annotations

import pytest
from pydantic import ValidationError

from graviton_llm import ReservedCapacity
from graviton_llm.facts.units import HOURS_PER_MONTH
from graviton_llm.pricing.cost import reservation_cost
from graviton_llm.testing import run_program
from support import build_cluster, cluster_args, error_messages

ODCR = "aws:ec2/capacityReservation:CapacityReservation"


def test_one_targeted_cancellable_reservation_per_zone():
    result = run_program(
        lambda: ReservedCapacity(
            "cap",
            {
                "instance_type": "inf2.48xlarge",
                "availability_zones": ["us-east-1a", "us-east-1c"],
                "instances_per_zone": 2,
            },
        )
    )
    reservations = sorted(result.of_type(ODCR), key=lambda r: r.name)
    assert [r.name for r in reservations] == ["cap-us-east-1a", "cap-us-east-1c"]
    for r in reservations:
        assert r.inputs["instanceType"] == "inf2.48xlarge"
        assert r.inputs["instanceCount"] == 2
        assert r.inputs["instanceMatchCriteria"] == "targeted"
        assert r.inputs["endDateType"] == "unlimited"
        assert r.inputs["instancePlatform"] == "Linux/UNIX"


def test_no_non_cancellable_commitments_are_created():
    result = run_program(
        lambda: ReservedCapacity(
            "cap",
            {
                "instance_type": "trn1.32xlarge",
                "availability_zones": ["us-east-1a"],
            },
        )
    )
    types = {r.type for r in result.resources}
    assert types == {"graviton-llm:capacity:ReservedCapacity", ODCR}


def test_cost_is_the_on_demand_rate_for_every_reserved_instance():
    cost = reservation_cost("inf2.48xlarge", 4)
    assert cost.usd_per_hour == pytest.approx(4 * 12.98127)
    assert cost.usd_per_month == pytest.approx(4 * 12.98127 * HOURS_PER_MONTH)
    assert reservation_cost("trn2.48xlarge", 1).usd_per_hour is None  # no invented price


def test_cluster_asg_targets_its_reservations_first():
    result = build_cluster(cluster_args(capacity={"availability_zones": ["us-east-1a"]}))
    (odcr,) = result.of_type(ODCR)
    assert odcr.inputs["instanceType"] == "inf2.8xlarge"
    spec = result.one("aws:autoscaling/group:Group").inputs["capacityReservationSpecification"]
    assert spec["capacityReservationPreference"] == "capacity-reservations-first"
    assert spec["capacityReservationTarget"]["capacityReservationIds"] == [f"{odcr.name}-id"]


def test_reservation_for_another_type_or_region_is_refused():
    with pytest.raises(ValidationError) as caught:
        from graviton_llm import NeuronServingClusterArgs

        NeuronServingClusterArgs.model_validate(
            cluster_args(
                region="us-east-1",
                capacity={"instance_type": "inf2.48xlarge", "availability_zones": ["eu-west-1a"]},
            )
        )
    fields = {".".join(map(str, e["loc"])) for e in caught.value.errors()}
    assert {"capacity.instance_type", "capacity.availability_zones.0"} <= fields


def test_standalone_reservation_needs_an_instance_type_and_creates_nothing_without_one():
    result = run_program(
        lambda: ReservedCapacity("cap", {"availability_zones": ["us-east-1a"]}), catch=True
    )
    assert "is required outside a cluster" in error_messages(result.error)["instance_type"]
    assert result.resources == []


BLOCK = "cr-0123456789abcdef0"


@pytest.mark.slow
def test_capacity_block_is_targeted_never_bought():
    result = build_cluster(
        cluster_args(instance_type="trn1.32xlarge", capacity={"capacity_block_id": BLOCK})
    )
    types = {r.type for r in result.resources}
    assert ODCR not in types
    assert not any("capacityBlock" in t or "savingsplans" in t for t in types)
    template = result.one("aws:ec2/launchTemplate:LaunchTemplate").inputs
    assert template["instanceMarketOptions"] == {"marketType": "capacity-block"}
    spec = result.one("aws:autoscaling/group:Group").inputs["capacityReservationSpecification"]
    assert spec["capacityReservationPreference"] == "capacity-reservations-only"
    assert spec["capacityReservationTarget"]["capacityReservationIds"] == [BLOCK]


def test_odcr_clusters_keep_on_demand_market():
    result = build_cluster(cluster_args(capacity={"availability_zones": ["us-east-1a"]}))
    assert "instanceMarketOptions" not in result.one("aws:ec2/launchTemplate:LaunchTemplate").inputs


@pytest.mark.parametrize(
    ("capacity", "field"),
    [
        ({"capacity_block_id": "block-1"}, "capacity_block_id"),
        ({"capacity_block_id": BLOCK, "availability_zones": ["us-east-1a"]}, "availability_zones"),
        ({}, "availability_zones"),
    ],
)
def test_capacity_needs_zones_or_one_valid_block_id(capacity, field):
    from graviton_llm import ReservedCapacityArgs

    with pytest.raises(ValidationError) as caught:
        ReservedCapacityArgs.model_validate(capacity)
    assert [".".join(map(str, e["loc"])) for e in caught.value.errors()] == [field]
