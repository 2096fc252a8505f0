"""The package's provider builds each component from inputs as another language sends them:
every value taken from another resource an output value, numbers as floats, names as the schema
spells them, through the host's construct path and the engine's serialization
(graviton_llm/testing/construct.py). What it builds is what the Python component builds."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from graviton_llm import NeuronServingCluster
from graviton_llm.package import PackageProvider
from graviton_llm.testing import Unknown, run_program
from graviton_llm.testing.construct import construct

CLUSTER = "graviton-llm:index:NeuronServingCluster"
ZONES = ("us-east-1a", "us-east-1b")


def _network() -> tuple[aws.ec2.Vpc, list[aws.ec2.Subnet]]:
    vpc = aws.ec2.Vpc("team", cidr_block="10.42.0.0/16")
    subnets = [
        aws.ec2.Subnet(f"team-{zone}", vpc_id=vpc.id, cidr_block=f"10.42.{i}.0/24",
                       availability_zone=zone)
        for i, zone in enumerate(ZONES)
    ]  # fmt: skip
    return vpc, subnets


def _typescript_inputs(vpc: aws.ec2.Vpc, subnets: list[aws.ec2.Subnet]) -> dict[str, Any]:
    """What `new graviton.NeuronServingCluster("team-llm", {...})` passes, by schema names."""
    return {
        "vpcId": vpc.id,
        "subnetIds": [s.id for s in subnets],
        "instanceType": "inf2.24xlarge",
        "model": {"id": "meta-llama/Llama-3.1-8B-Instruct",
                  "weightsUri": "s3://team-weights/llama-3.1-8b-instruct/", "dtype": "bfloat16"},
        "maxModelLen": 8192,
        "maxNumSeqs": 32,
        "allowedCidrs": [vpc.cidr_block],
        "minSize": 2, "maxSize": 4, "desiredCapacity": 2,
        "capacityMode": "on_demand",
        "scaling": {"mode": "target_tracking", "targetValue": 4},
        "monitoring": {"logRetentionDays": 30},
        "tags": {"Team": vpc.id.apply(lambda _: "search")},
        "apiKeySsmParameter": pulumi.Output.secret("/team/llm/api-key"),
    }  # fmt: skip


def _python_args(vpc: aws.ec2.Vpc, subnets: list[aws.ec2.Subnet]) -> dict[str, Any]:
    """The same cluster as a Python program writes it."""
    return {
        "vpc_id": vpc.id,
        "subnet_ids": [s.id for s in subnets],
        "instance_type": "inf2.24xlarge",
        "model": {"id": "meta-llama/Llama-3.1-8B-Instruct",
                  "weights_uri": "s3://team-weights/llama-3.1-8b-instruct/", "dtype": "bfloat16"},
        "max_model_len": 8192,
        "max_num_seqs": 32,
        "allowed_cidrs": [vpc.cidr_block],
        "min_size": 2, "max_size": 4, "desired_capacity": 2,
        "capacity_mode": "on_demand",
        "scaling": {"mode": "target_tracking", "target_value": 4.0},
        "monitoring": {"log_retention_days": 30},
        "tags": {"Team": vpc.id.apply(lambda _: "search")},
        "api_key_ssm_parameter": pulumi.Output.secret("/team/llm/api-key"),
    }  # fmt: skip


async def _from_typescript() -> Any:
    return await construct(PackageProvider(), CLUSTER, "team-llm", _typescript_inputs(*_network()))


def _from_python() -> None:
    NeuronServingCluster("team-llm", _python_args(*_network()))


def _custom(result: Any) -> dict[tuple[str, str], Any]:
    return {(r.type, r.name): _comparable(r.inputs) for r in result.resources if r.custom}


def _comparable(value: Any) -> Any:
    if isinstance(value, Unknown):
        return "<unknown>"
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


@pytest.mark.slow
@pytest.mark.parametrize("first_preview", [False, True], ids=["deployed", "first-preview"])
def test_a_cluster_built_from_another_languages_inputs_is_the_python_cluster(first_preview):
    mode = {"first_preview": True} if first_preview else {"preview": False}
    package = run_program(_from_typescript, **mode)
    python = run_program(_from_python, **mode)
    assert _custom(package) == _custom(python)  # every AWS resource, every input
    component = package.one(CLUSTER)
    ours = package.one("graviton-llm:cluster:NeuronServingCluster")
    assert ours.parent_urn == component.urn and package.value.urn == component.urn


@pytest.mark.slow
def test_the_outputs_reach_the_caller_typed_with_their_dependencies() -> None:
    result = run_program(_from_typescript, preview=False)
    built = result.value
    lb = result.one("aws:lb/loadBalancer:LoadBalancer")
    assert built.outputs["endpoint"] == f"http://{lb.outputs['dnsName']}:8000"
    assert lb.urn in built.output_dependencies["endpoint"]
    for key, type_ in {
        "securityGroup": "aws:ec2/securityGroup:SecurityGroup",
        "autoScalingGroup": "aws:autoscaling/group:Group",
        "loadBalancer": "aws:lb/loadBalancer:LoadBalancer",
        "launchTemplate": "aws:ec2/launchTemplate:LaunchTemplate",
    }.items():
        assert built.outputs[key] == {"urn": result.one(type_).urn}, key
    assert built.outputs["metricsLogGroup"].startswith("/graviton-llm/")


@pytest.mark.slow
def test_on_a_first_preview_what_aws_assigns_is_unknown_to_the_caller() -> None:
    built = run_program(_from_typescript, first_preview=True).value
    assert isinstance(built.outputs["endpoint"], Unknown)


@pytest.mark.slow
def test_the_api_key_name_given_as_a_secret_stays_out_of_the_user_data() -> None:
    result = run_program(_from_typescript, preview=False)
    user_data = result.one("aws:ec2/launchTemplate:LaunchTemplate").inputs["userData"]
    assert "/team/llm/api-key" not in str(user_data)


def _refused(inputs: dict[str, Any]) -> Any:
    async def program() -> Any:
        vpc, subnets = _network()
        return await construct(
            PackageProvider(), CLUSTER, "team-llm", {**_typescript_inputs(vpc, subnets), **inputs}
        )

    return run_program(program, catch=True)


def test_bad_input_is_refused_per_property_by_the_callers_names_before_anything_exists():
    result = _refused(
        {"maxModelLen": 0, "desiredCapacity": -1, "monitoring": {"logRetentionDays": 2}}
    )
    assert isinstance(result.error, pulumi.InputPropertiesError)
    paths = {e["property_path"] for e in result.error.errors or []}
    assert paths == {"maxModelLen", "desiredCapacity", "monitoring.logRetentionDays"}
    assert all("team-llm" in e["reason"] for e in result.error.errors or [])
    assert {r.type for r in result.resources} == {"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"}


def test_a_missing_nested_input_is_refused_by_the_host_with_its_path() -> None:
    result = _refused({"model": {"id": "meta-llama/Llama-3.1-8B-Instruct"}})
    assert isinstance(result.error, pulumi.InputPropertyError)
    assert result.error.property_path == "model.weightsUri"
    assert {r.type for r in result.resources} == {"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"}


async def _state_backend() -> Any:
    return await construct(
        PackageProvider(), "graviton-llm:index:StateBackend", "state",
        {"namePrefix": "acme", "keyDeletionWindowDays": 30},
    )  # fmt: skip


@pytest.mark.slow
def test_state_backend_and_reserved_capacity_are_served_too() -> None:
    backend = run_program(_state_backend, preview=False)
    assert backend.value.outputs["loginUrl"].startswith("s3://acme-")
    assert backend.one("aws:s3/bucket:Bucket").parent_name == "state"

    async def capacity() -> Any:
        return await construct(
            PackageProvider(), "graviton-llm:index:ReservedCapacity", "cap",
            {"instanceType": "inf2.48xlarge", "availabilityZones": ["us-east-1a", "us-east-1c"],
             "instancesPerZone": 2},
        )  # fmt: skip

    reserved = run_program(capacity, preview=False)
    odcrs = reserved.of_type("aws:ec2/capacityReservation:CapacityReservation")
    assert sorted(r.inputs["instanceCount"] for r in odcrs) == [2, 2]
    assert len(reserved.value.outputs["reservationIds"]) == 2


def test_the_host_hands_integers_over_as_floats_and_the_package_makes_them_ints() -> None:
    from graviton_llm.args import NeuronServingClusterArgs
    from graviton_llm.package.inputs import model_input

    provider = PackageProvider()
    definition = provider._component_defs["NeuronServingCluster"]
    required = {"vpcId": "vpc-1", "subnetIds": ["subnet-1"], "instanceType": "inf2.xlarge",
                "model": {"id": "m", "weightsUri": "s3://b/m/"}}  # fmt: skip
    sent = {**required, "maxModelLen": 8192.0, "capacityMode": "reserved"}
    mapped = provider.map_inputs(sent, definition)
    assert type(mapped["max_model_len"]) is float  # what our strict model would refuse
    given = model_input(NeuronServingClusterArgs, mapped)
    assert (given["max_model_len"], given["capacity_mode"]) == (8192, "reserved")
    assert type(given["max_model_len"]) is int and type(given["capacity_mode"]) is str


def test_a_plain_input_given_another_resources_output_is_refused() -> None:
    async def program() -> Any:
        vpc, subnets = _network()
        inputs = {**_typescript_inputs(vpc, subnets), "instanceType": vpc.id}
        return await construct(PackageProvider(), CLUSTER, "team-llm", inputs)

    result = run_program(program, catch=True)
    assert isinstance(result.error, pulumi.InputPropertiesError)
    assert [e["property_path"] for e in result.error.errors or []] == ["instanceType"]


def _with_schema_defaults(inputs: dict[str, Any], spec: dict[str, Any], package: dict) -> dict:
    """``inputs`` as a generated SDK sends them: each default the schema gives filled in, in the
    component and in each nested object the program gives."""
    properties = spec.get("inputProperties", spec.get("properties", {}))
    filled = dict(inputs)
    for key, prop in properties.items():
        if key not in filled and "default" in prop:
            filled[key] = prop["default"]
        elif isinstance(filled.get(key), dict) and "$ref" in prop:
            nested = package["types"].get(prop["$ref"].removeprefix("#/types/"), {})
            if nested.get("type") == "object":
                filled[key] = _with_schema_defaults(filled[key], nested, package)
    return filled


@pytest.mark.slow
def test_the_schemas_defaults_sent_by_a_generated_sdk_change_nothing() -> None:
    from graviton_llm.package import schema

    package = schema()
    spec = package["resources"][CLUSTER]

    async def with_defaults() -> Any:
        inputs = _with_schema_defaults(_typescript_inputs(*_network()), spec, package)
        assert {"maxNumBatchedTokens", "port"} <= set(inputs)
        assert inputs["monitoring"]["dashboard"] is True
        return await construct(PackageProvider(), CLUSTER, "team-llm", inputs)

    mode = {"preview": False}
    assert _custom(run_program(with_defaults, **mode)) == _custom(
        run_program(_from_typescript, **mode)
    )


def test_the_package_takes_an_explicit_provider_in_another_region_as_the_component_does():
    """Its early check is told of the provider, as the inner cluster is (before: refused as if
    the stack's default provider deployed it, though the component would accept it)."""
    from graviton_llm.package.neuron_serving_cluster import NeuronServingCluster as Packaged
    from support import cluster_args

    def program() -> None:
        provider = aws.Provider("team", region="eu-west-1")
        args = cluster_args(instance_type="inf2.8xlarge", region="eu-west-1")
        Packaged("llm", args, opts=pulumi.ResourceOptions(providers=[provider]))

    result = run_program(program, catch=True)
    assert result.error is None
    assert result.one("graviton-llm:cluster:NeuronServingCluster").name == "llm"
