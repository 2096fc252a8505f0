"""What the mock harness answers for the cloud: provider function lookups (VPC, subnets, zones,
SSM parameters, caller identity, ...) and the attributes a provider computes on create."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

MOCK_ACCOUNT = "123456789012"
MOCK_AMI_ID = "ami-0123456789abcdef0"
MOCK_VPC_CIDR = "10.20.0.0/16"
MOCK_VPC_ID = "vpc-0123456789abcdef0"


CallHandler = Callable[[dict[str, Any]], dict[str, Any]]


# Types whose ids a program passes on to checks that know AWS's id format (a cluster's vpc_id
# and subnet_ids): the mocks give them ids of that format, derived from the name.
_EC2_ID_PREFIXES = {"aws:ec2/vpc:Vpc": "vpc", "aws:ec2/subnet:Subnet": "subnet"}


def _hex(name: str, digits: int) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:digits]


def mock_id(name: str, type_: str | None = None) -> str:
    """The physical id the harness gives the resource named ``name``: ``<name>-id``, or an id of
    AWS's own format (vpc-0 and 16 hex digits) for a VPC or a subnet."""
    prefix = _EC2_ID_PREFIXES.get(type_ or "")
    return f"{prefix}-0{_hex(name, 16)}" if prefix else f"{name}-id"


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
    """Attributes the provider would compute, so dependants get realistic values."""
    service = type_.split(":")[1].split("/")[0]
    arn = f"arn:aws:{service}:{region}:{MOCK_ACCOUNT}:{name}"
    extra: dict[str, Any] = {"arn": arn}
    if type_ == "aws:iam/role:Role" or type_ == "aws:iam/instanceProfile:InstanceProfile":
        extra["name"] = inputs.get("name", name)
        extra["arn"] = f"arn:aws:iam::{MOCK_ACCOUNT}:{type_.rsplit(':', 1)[-1].lower()}/{name}"
    elif type_ == "aws:kms/key:Key":
        # A key ARN names the key by its id, a UUID (KMS developer guide, "Key identifiers"), so
        # a cluster's KMS key check passes it. The id itself (keyId) stays unanswered: a plan
        # shows it as unknown rather than a guess.
        digits = _hex(name, 32)
        key_id = "-".join(digits[a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))
        extra["arn"] = f"arn:aws:kms:{region}:{MOCK_ACCOUNT}:key/{key_id}"
    elif type_ == "aws:ec2/launchTemplate:LaunchTemplate":
        extra["latestVersion"] = 1
    elif type_ == "aws:lb/loadBalancer:LoadBalancer":
        extra["dnsName"] = f"internal-{name}.elb.{region}.amazonaws.com"
        extra["arnSuffix"] = f"net/{name}/0123456789abcdef"
    elif type_ == "aws:lb/targetGroup:TargetGroup":
        extra["arnSuffix"] = f"targetgroup/{name}/0123456789abcdef"
    elif type_ == "aws:autoscaling/group:Group":
        extra["name"] = inputs.get("name", name)
        extra["arn"] = (
            f"arn:aws:autoscaling:{region}:{MOCK_ACCOUNT}:autoScalingGroup:0000:"
            f"autoScalingGroupName/{extra['name']}"
        )
    return {**inputs, **extra}
