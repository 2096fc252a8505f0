"""ServingSecurity: VPC-internal security group, protected IAM role and instance profile."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pulumi
import pulumi_aws as aws

from ..args import ServingSecurityArgs
from ..documents.iam import (
    CLOUDWATCH_AGENT_POLICY,
    EC2_ASSUME_ROLE_POLICY,
    SSM_MANAGED_POLICY,
    managed_policy_arn,
)
from ..facts.ports import SSH_PORT
from .tagging import merged_tags

# Egress: HTTPS only. Nodes need ECR Public / Docker Hub (image), S3 (weights), SSM and
# CloudWatch, all on 443. DNS (VPC resolver) and NTP (169.254.169.123) are not filtered by
# security groups.
HTTPS = 443


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
        args: ServingSecurityArgs | dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = ServingSecurityArgs.model_validate(args)
        super().__init__("graviton-llm:security:ServingSecurity", name, None, opts)
        tags = merged_tags(name, args.tags)
        child = pulumi.ResourceOptions(parent=self)

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description=f"graviton-llm {name}: VPC-internal vLLM serving",
            vpc_id=args.vpc_id,
            ingress=pulumi.Output.from_input(args.vpc_cidr).apply(
                lambda vpc_cidrs: _ingress_rules(args, vpc_cidrs)
            ),
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
    api = list(dict.fromkeys(args.allowed_cidrs))
    vpc = [cidr for cidr in dict.fromkeys(vpc_cidrs) if cidr not in api]
    rules = [("vLLM API from allowed CIDRs", args.port, api)]
    if vpc:
        # The internal NLB health-checks targets from its own private addresses in the VPC.
        rules.append(("NLB health checks from the VPC", args.port, vpc))
    if args.metrics_cidrs:
        rules.append(("metrics from metrics_cidrs", args.metrics_port, list(args.metrics_cidrs)))
    if args.ssh_cidrs:
        rules.append(("SSH from allowed CIDRs", SSH_PORT, list(args.ssh_cidrs)))
    return rules


def _ingress_rules(
    args: ServingSecurityArgs, vpc_cidrs: Any
) -> list[aws.ec2.SecurityGroupIngressArgs]:
    cidrs = vpc_cidrs if isinstance(vpc_cidrs, list) else [vpc_cidrs] if vpc_cidrs else []
    rules = []
    for description, port, sources in ingress_permissions(args, cidrs):
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
