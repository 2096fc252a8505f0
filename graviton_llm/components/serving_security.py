"""ServingSecurity: VPC-internal security group, protected IAM role and instance profile."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pulumi
import pulumi_aws as aws

from ..args import ServingSecurityArgs, ServingSecurityArgsDict
from ..args.base import is_output
from ..args.components import security_problems
from ..args.refusals import ArgsError, from_problems
from ..documents.iam import (
    CLOUDWATCH_AGENT_POLICY,
    EC2_ASSUME_ROLE_POLICY,
    SSM_MANAGED_POLICY,
    managed_policy_arn,
)
from ..facts.ports import SSH_PORT
from .parts.inputs import validated
from .parts.tagging import merged_tags

# Egress: HTTPS only. Nodes need ECR Public / Docker Hub (image), S3 (weights), SSM and
# CloudWatch, all on 443. DNS (VPC resolver) and NTP (169.254.169.123) are not filtered by
# security groups.
HTTPS = 443
# The lists of CIDRs a security group opens ports to; each may be an Output.
CIDR_FIELDS = ("allowed_cidrs", "metrics_cidrs", "ssh_cidrs")


class ServingSecurity(pulumi.ComponentResource):
    """Security group allowing only the serving port from private CIDRs, and the node role.

    The role carries ``protect=True``: deleting it would take every node's credentials with it.
    SSH is closed unless ``ssh_cidrs`` is set; SSM Session Manager is the way in.
    """

    security_group: aws.ec2.SecurityGroup
    role: aws.iam.Role
    instance_profile: aws.iam.InstanceProfile

    def __init__(
        self,
        name: str,
        args: ServingSecurityArgs | ServingSecurityArgsDict,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare the security group, the protected node role and its instance profile.

        :param name: The component's name; its children are named ``<name>-...``.
        :param args: A ``ServingSecurityArgs``, or its dict form (``ServingSecurityArgsDict``).
        :param opts: Pulumi resource options (parent, providers, ...).
        :raises ArgsError: every bad field with its fix, before any resource is registered.
        """
        args = validated(ServingSecurityArgs, name, args, "ServingSecurity")
        super().__init__("graviton-llm:security:ServingSecurity", name, None, opts)
        tags = merged_tags(name, args.tags)
        child = pulumi.ResourceOptions(parent=self)

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description=f"graviton-llm {name}: VPC-internal vLLM serving",
            vpc_id=args.vpc_id,
            # CIDR lists given as Outputs are checked once they resolve, before the group exists.
            ingress=pulumi.Output.all(
                pulumi.Output.from_input(args.vpc_cidr),
                *(pulumi.Output.from_input(getattr(args, field)) for field in CIDR_FIELDS),
            ).apply(lambda values: _ingress_rules(name, args, values)),
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    description="HTTPS to ECR, S3, SSM, CloudWatch",
                    protocol="tcp",
                    from_port=HTTPS,
                    to_port=HTTPS,
                    cidr_blocks=["0.0.0.0/0"],
                )
            ],
            tags={**tags, "Name": f"{name}-sg"},
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            description=f"graviton-llm {name}: serving nodes",
            assume_role_policy=json.dumps(EC2_ASSUME_ROLE_POLICY),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        for short, policy in (("ssm", SSM_MANAGED_POLICY), ("cloudwatch", CLOUDWATCH_AGENT_POLICY)):
            aws.iam.RolePolicyAttachment(
                f"{name}-{short}",
                role=self.role.name,
                policy_arn=managed_policy_arn(policy),
                opts=child,
            )
        self.instance_profile = aws.iam.InstanceProfile(
            f"{name}-profile", role=self.role.name, tags=tags, opts=child
        )
        self.register_outputs(
            {
                "security_group_id": self.security_group.id,
                "role_arn": self.role.arn,
                "instance_profile_arn": self.instance_profile.arn,
            }
        )


def ingress_permissions(
    args: ServingSecurityArgs, vpc_cidrs: list[str]
) -> list[tuple[str, int, list[str]]]:
    """(description, port, CIDRs) per inbound rule. A CIDR appears once per port: EC2 refuses a
    permission listed twice in one request, and the provider sends all of a group's rules in one
    (EC2 AuthorizeSecurityGroupIngress; terraform-provider-aws #29492), so the NLB's rule takes
    only the VPC ranges the API rule does not already allow."""
    api = list(dict.fromkeys(_strings(args.allowed_cidrs)))
    vpc = [cidr for cidr in dict.fromkeys(vpc_cidrs) if cidr not in api]
    rules = [("vLLM API from allowed CIDRs", args.port, api)]
    if vpc:
        # The internal NLB health-checks targets from its own private addresses in the VPC.
        rules.append(("NLB health checks from the VPC", args.port, vpc))
    if metrics := _strings(args.metrics_cidrs):
        rules.append(("metrics from metrics_cidrs", args.metrics_port, metrics))
    if ssh := _strings(args.ssh_cidrs):
        rules.append(("SSH from allowed CIDRs", SSH_PORT, ssh))
    return rules


def _strings(cidrs: object) -> list[str]:
    """A CIDR list once its Outputs have resolved (ingress is built inside their apply)."""
    if not isinstance(cidrs, list) or not all(isinstance(c, str) for c in cidrs):
        raise TypeError(f"expected resolved CIDRs, got {type(cidrs).__name__}")
    return list(cidrs)


def _known_cidrs(name: str, args: ServingSecurityArgs, cidrs: list[Any]) -> ServingSecurityArgs:
    """``args`` with its resolved CIDR lists, refused as at construction if one is wrong."""
    known = args.model_copy(update=dict(zip(CIDR_FIELDS, cidrs, strict=True)))
    waited = [f for f in CIDR_FIELDS if is_output(getattr(args, f))]
    problems = [p for p in security_problems(known) if p.field.split(".")[0] in waited]
    if problems:
        raise ArgsError(from_problems(name, problems, "ServingSecurity"))
    return known


def _ingress_rules(
    name: str, args: ServingSecurityArgs, values: list[Any]
) -> list[aws.ec2.SecurityGroupIngressArgs]:
    vpc_cidrs, *cidrs = values
    known = _known_cidrs(name, args, cidrs)
    vpc = vpc_cidrs if isinstance(vpc_cidrs, list) else [vpc_cidrs] if vpc_cidrs else []
    rules = []
    for description, port, sources in ingress_permissions(known, vpc):
        ipv4 = [c for c in sources if ipaddress.ip_network(c).version == 4]
        ipv6 = [c for c in sources if ipaddress.ip_network(c).version == 6]
        rules.append(
            aws.ec2.SecurityGroupIngressArgs(
                description=description,
                protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_blocks=ipv4 or None,
                ipv6_cidr_blocks=ipv6 or None,
            )
        )
    return rules
