"""ServingSecurity: VPC-internal security group, protected IAM role and instance profile."""

from __future__ import annotations

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
            ingress=_ingress_rules(args),
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


def _ingress_rules(args: ServingSecurityArgs) -> list[aws.ec2.SecurityGroupIngressArgs]:
    def rule(description: str, port: int, cidrs: list[Any]) -> aws.ec2.SecurityGroupIngressArgs:
        return aws.ec2.SecurityGroupIngressArgs(
            description=description, protocol="tcp", from_port=port, to_port=port, cidr_blocks=cidrs
        )

    rules = [
        rule("vLLM API from allowed CIDRs", args.port, args.allowed_cidrs),
        rule("metrics from allowed CIDRs", args.metrics_port, args.allowed_cidrs),
    ]
    if args.vpc_cidr is not None:
        # The internal NLB health-checks targets from its own private addresses in the VPC.
        rules.append(rule("NLB health checks from the VPC", args.port, [args.vpc_cidr]))
    if args.ssh_cidrs:
        rules.append(rule("SSH from allowed CIDRs", 22, args.ssh_cidrs))
    return rules
