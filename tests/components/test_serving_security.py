from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from graviton_llm import ServingSecurity, ServingSecurityArgs
from graviton_llm.args import ArgsError
from graviton_llm.testing import run_program

SG = "aws:ec2/securityGroup:SecurityGroup"


def _security(**overrides):
    args = {"vpc_id": "vpc-0123456789abcdef0", **overrides}
    return run_program(lambda: ServingSecurity("sec", args))


def _ports(rules):
    return sorted(
        (
            int(r["fromPort"]),
            int(r["toPort"]),
            (*r.get("cidrBlocks", []), *r.get("ipv6CidrBlocks", [])),
        )
        for r in rules
    )


def test_ingress_is_only_the_serving_port_from_allowed_cidrs():
    # The metrics port stays closed: the CloudWatch agent scrapes on the node itself.
    sg = _security(allowed_cidrs=["10.1.0.0/16"]).one(SG)
    assert _ports(sg.inputs["ingress"]) == [(8000, 8000, ("10.1.0.0/16",))]


def test_the_metrics_port_opens_only_to_metrics_cidrs():
    sg = _security(allowed_cidrs=["10.1.0.0/16"], metrics_cidrs=["10.9.0.0/24"]).one(SG)
    assert (9100, 9100, ("10.9.0.0/24",)) in _ports(sg.inputs["ingress"])


def test_a_vpc_cidr_already_allowed_is_not_a_second_permission():
    """EC2 refuses a permission listed twice; the strict harness would fail this program."""
    sg = _security(allowed_cidrs=["172.31.0.0/16"], vpc_cidr=["172.31.0.0/16", "100.64.0.0/16"])
    assert _ports(sg.one(SG).inputs["ingress"]) == [
        (8000, 8000, ("100.64.0.0/16",)),  # the NLB's rule: only the secondary range is new
        (8000, 8000, ("172.31.0.0/16",)),
    ]


def test_ipv6_ranges_go_in_their_own_list():
    sg = _security(allowed_cidrs=["10.1.0.0/16", "fd00::/8"]).one(SG)
    (rule,) = sg.inputs["ingress"]
    assert rule["cidrBlocks"] == ["10.1.0.0/16"] and rule["ipv6CidrBlocks"] == ["fd00::/8"]


def test_no_ssh_by_default_and_ssh_only_from_ssh_cidrs_when_set():
    closed = _security().one(SG)
    assert all(int(r["fromPort"]) != 22 for r in closed.inputs["ingress"])
    opened = _security(ssh_cidrs=["10.0.1.0/24"]).one(SG)
    ssh = [r for r in opened.inputs["ingress"] if int(r["fromPort"]) == 22]
    assert [tuple(r["cidrBlocks"]) for r in ssh] == [("10.0.1.0/24",)]


def test_egress_is_https_only():
    sg = _security().one(SG)
    assert _ports(sg.inputs["egress"]) == [(443, 443, ("0.0.0.0/0",))]


def test_vpc_cidr_is_allowed_on_the_serving_port_for_nlb_health_checks():
    sg = _security(vpc_cidr="172.31.0.0/16").one(SG)
    assert (8000, 8000, ("172.31.0.0/16",)) in _ports(sg.inputs["ingress"])


def test_role_is_protected_and_trusts_only_ec2():
    result = _security()
    role = result.one("aws:iam/role:Role")
    assert role.protect
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]


def test_role_gets_ssm_and_cloudwatch_agent_and_an_instance_profile():
    result = _security()
    attached = {
        r.inputs["policyArn"]
        for r in result.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached == {
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    }
    profile = result.one("aws:iam/instanceProfile:InstanceProfile")
    assert profile.inputs["role"] == "sec-role"


def test_every_child_is_parented_and_named_after_the_component():
    result = _security()
    component = result.one("graviton-llm:security:ServingSecurity")
    children = result.children_of(component)
    assert len(children) == len(result.resources) - 1
    assert all(c.name.startswith("sec-") for c in children)


def test_public_cidr_is_refused_before_anything_registers():
    result = run_program(
        lambda: ServingSecurity(
            "sec", {"vpc_id": "vpc-0123456789abcdef0", "allowed_cidrs": ["0.0.0.0/0"]}
        ),
        catch=True,
    )
    assert isinstance(result.error, ArgsError)
    assert result.error.problems[0].component == "sec"
    assert result.resources == []


def test_args_accept_outputs_for_the_vpc():
    # A team passing `vpc.id` of a VPC it creates in the same stack.
    import pulumi

    with pytest.raises(ValidationError):
        ServingSecurityArgs(vpc_id="vpc-0123456789abcdef0", port=22)
    args = ServingSecurityArgs(vpc_id=pulumi.Output.from_input("vpc-0123456789abcdef0"))
    assert isinstance(args.vpc_id, pulumi.Output)
