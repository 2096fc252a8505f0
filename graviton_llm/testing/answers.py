"""What the mock harness answers for the cloud: provider function lookups (VPC, subnets, zones,
SSM parameters, caller identity, ...) and the attributes a provider computes on create."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..facts.resource_types import hex_digest, resource_type

MOCK_ACCOUNT = "123456789012"
MOCK_AMI_ID = "ami-0123456789abcdef0"
MOCK_VPC_CIDR = "10.20.0.0/16"
MOCK_VPC_ID = "vpc-0123456789abcdef0"


CallHandler = Callable[[dict[str, Any]], dict[str, Any]]


def mock_id(name: str, type_: str | None = None) -> str:
    """The physical id the harness gives the resource named ``name``: ``<name>-id``, or an id of
    AWS's own format (vpc-0 and 16 hex digits) for a type whose registry row says so (a VPC, a
    subnet: checks that know AWS's id format read a cluster's vpc_id and subnet_ids)."""
    prefix = resource_type(type_ or "").mock_id_prefix
    return f"{prefix}-0{hex_digest(name, 16)}" if prefix else f"{name}-id"


def team_lookups(region: str) -> dict[str, CallHandler]:
    """Plausible answers to the lookups team programs commonly make: one VPC (a well-formed id,
    with its CIDR associations), three subnets (one per zone), the region's first three zones,
    the region, the partition, and SSM parameters (an AMI id for AWS's public AMI parameters,
    a recognisable placeholder for any other)."""
    zones = [f"{region}{letter}" for letter in "abc"]
    # Zone ids look like use1-az1: the region's parts shortened (us-east-1 -> use1).
    parts = region.split("-")
    zone_ids = [
        f"{parts[0]}{''.join(p[0] for p in parts[1:-1])}{parts[-1]}-az{i}" for i in (1, 2, 3)
    ]
    subnets = [f"subnet-0{index:016x}" for index in range(0xA1, 0xA4)]

    def vpc(a: dict[str, Any]) -> dict[str, Any]:
        vpc_id = a.get("id") or MOCK_VPC_ID
        return {
            "id": vpc_id,
            "arn": f"arn:aws:ec2:{region}:{MOCK_ACCOUNT}:vpc/{vpc_id}",
            "cidrBlock": MOCK_VPC_CIDR,
            "cidrBlockAssociations": [
                {"associationId": "vpc-cidr-assoc-0mock", "cidrBlock": MOCK_VPC_CIDR,
                 "state": "associated"}
            ],
            "default": bool(a.get("default", False)),
            "enableDnsHostnames": True,
            "enableDnsSupport": True,
            "instanceTenancy": "default",
            "mainRouteTableId": "rtb-0123456789abcdef0",
            "ownerId": MOCK_ACCOUNT,
            "state": "available",
            "tags": a.get("tags") or {},
            "region": region,
        }  # fmt: skip

    def subnet(a: dict[str, Any]) -> dict[str, Any]:
        subnet_id = a.get("id") or subnets[0]
        index = subnets.index(subnet_id) if subnet_id in subnets else 0
        return {
            "id": subnet_id,
            "arn": f"arn:aws:ec2:{region}:{MOCK_ACCOUNT}:subnet/{subnet_id}",
            "availabilityZone": zones[index],
            "availabilityZoneId": zone_ids[index],
            "cidrBlock": f"10.20.{index * 16}.0/20",
            "vpcId": a.get("vpcId") or MOCK_VPC_ID,
            "ownerId": MOCK_ACCOUNT,
            "state": "available",
            "mapPublicIpOnLaunch": False,
            "tags": a.get("tags") or {},
            "region": region,
        }

    def parameter(a: dict[str, Any]) -> dict[str, Any]:
        name = a["name"]
        value = MOCK_AMI_ID if name.startswith("/aws/service/") else f"mock-value-of-{name}"
        return {
            "name": name,
            "type": "String",
            "value": value,
            "insecureValue": value,
            "id": name,
            "version": 1,
            "arn": f"arn:aws:ssm:{region}:{MOCK_ACCOUNT}:parameter{name}",
        }

    return {
        "aws:ssm/getParameter:getParameter": parameter,
        "aws:ec2/getVpc:getVpc": vpc,
        "aws:ec2/getSubnets:getSubnets": lambda a: {
            "id": region,
            "ids": list(subnets),
            "filters": a.get("filters"),
            "tags": a.get("tags"),
            "region": region,
        },
        "aws:ec2/getSubnet:getSubnet": subnet,
        "aws:index/getAvailabilityZones:getAvailabilityZones": lambda a: {
            "id": region,
            "names": zones,
            "zoneIds": zone_ids,
            "groupNames": [region],
            "state": a.get("state"),
            "region": region,
        },
        "aws:index/getRegion:getRegion": lambda a: {
            "name": region,
            "region": region,
            "id": region,
            "description": region,
            "endpoint": f"ec2.{region}.amazonaws.com",
        },
        "aws:index/getPartition:getPartition": lambda a: {
            "partition": "aws",
            "id": "aws",
            "dnsSuffix": "amazonaws.com",
            "reverseDnsPrefix": "com.amazonaws",
        },
    }


def default_calls(region: str) -> dict[str, CallHandler]:
    return {
        "aws:ssm/getParameter:getParameter": lambda a: {
            "name": a["name"],
            "type": "String",
            "value": MOCK_AMI_ID,
            "insecureValue": MOCK_AMI_ID,
            "id": a["name"],
            "arn": f"arn:aws:ssm:{region}::parameter{a['name']}",
        },
        "aws:ec2/getVpc:getVpc": lambda a: vpc_answer(
            a.get("id", "vpc-mock"), MOCK_VPC_CIDR, region
        ),
        "aws:ec2/getAmi:getAmi": lambda a: {
            "id": (a.get("filters") or [{"values": [MOCK_AMI_ID]}])[0]["values"][0],
            "rootDeviceName": "/dev/xvda",
            "architecture": "x86_64",
        },
        "aws:index/getRegion:getRegion": lambda a: {"name": region, "region": region, "id": region},
        "aws:index/getCallerIdentity:getCallerIdentity": lambda a: {
            "accountId": MOCK_ACCOUNT,
            "arn": f"arn:aws:iam::{MOCK_ACCOUNT}:user/mock",
            "userId": "mock",
            "id": MOCK_ACCOUNT,
        },
        "aws:index/getPartition:getPartition": lambda a: {"partition": "aws", "id": "aws"},
        **team_lookups(region),
    }


def vpc_answer(vpc_id: str, cidr: str, region: str) -> dict[str, Any]:
    return {
        "id": vpc_id,
        "cidrBlock": cidr,
        "cidrBlockAssociations": [{"associationId": "vpc-cidr-assoc-0", "cidrBlock": cidr,
                                   "state": "associated"}],
        "arn": f"arn:aws:ec2:{region}:{MOCK_ACCOUNT}:vpc/{vpc_id}",
    }  # fmt: skip


def computed_outputs(type_: str, name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    """Attributes the provider would compute, so dependants get realistic values: an ARN from
    the service and name, and what the type's registry row answers (facts/resource_types.py)."""
    service = type_.split(":")[1].split("/")[0]
    extra: dict[str, Any] = {"arn": f"arn:aws:{service}:{region}:{MOCK_ACCOUNT}:{name}"}
    answer = resource_type(type_).mock_answer
    if answer is not None:
        extra.update(answer(name, inputs, region, MOCK_ACCOUNT))
    return {**inputs, **extra}
