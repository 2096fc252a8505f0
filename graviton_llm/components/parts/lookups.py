"""What the cluster reads back from AWS (the VPC's CIDR associations, the load balancer's DNS
name), with an error that says which answer is missing when a test's mocks leave it out.

Pulumi's unit-testing guide's minimal mocks return a resource's inputs as its state and nothing
for a lookup; without these checks the cluster failed deep inside the SDK ("sequence item 1:
expected str instance, NoneType found"). graviton_llm.testing.AwsMocks answers both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class MissingAnswer(RuntimeError):
    """An attribute AWS always returns is missing (a test's mocks left it out). Not a ValueError,
    which the SDK would wrap in "While processing input: ..." once per resource and input."""


_MOCKS = (
    "under Pulumi's unit-test mocks, answer it (graviton_llm.testing.AwsMocks does, and so does "
    "graviton_llm.testing.run_program)"
)


def vpc_cidr_blocks(associations: Sequence[Any] | None) -> list[str]:
    """Every CIDR of the VPC (primary and secondary) from getVpc's cidrBlockAssociations."""
    if associations is None:
        raise MissingAnswer(
            "aws.ec2.get_vpc returned no cidrBlockAssociations (AWS always returns the VPC's "
            f"CIDR blocks): {_MOCKS}"
        )
    return [association.cidr_block for association in associations]


def endpoint_url(dns_name: str | None, port: int) -> str:
    """http://<the internal NLB's DNS name>:<port>."""
    if dns_name is None:
        raise MissingAnswer(
            "the load balancer has no dnsName (AWS assigns one on create): the mocks' "
            f"new_resource must return it for aws:lb/loadBalancer:LoadBalancer; {_MOCKS}"
        )
    return f"http://{dns_name}:{port}"
