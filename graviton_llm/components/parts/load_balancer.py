"""The cluster's internal Network Load Balancer, its target group and listener, for
NeuronServingCluster: pure arguments around three resources."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ...args import ResolvedClusterArgs
from ...facts import timing


def declare(
    name: str, args: ResolvedClusterArgs, tags: pulumi.Input[dict[str, pulumi.Input[str]]],
    opts: pulumi.ResourceOptions,
) -> tuple[aws.lb.LoadBalancer, aws.lb.TargetGroup, aws.lb.Listener]:  # fmt: skip
    """Internal NLB in the cluster's subnets, TCP to the nodes' port, HTTP health checks on
    vLLM's /health (a node counts once it serves)."""
    nlb = aws.lb.LoadBalancer(
        f"{name}-nlb",
        internal=True,
        load_balancer_type="network",
        subnets=args.subnet_ids,
        enable_cross_zone_load_balancing=True,
        tags=tags,
        opts=opts,
    )
    target_group = aws.lb.TargetGroup(
        f"{name}-tg",
        port=args.port,
        protocol="TCP",
        target_type="instance",
        vpc_id=args.vpc_id,
        health_check=aws.lb.TargetGroupHealthCheckArgs(
            enabled=True,
            protocol="HTTP",
            path=timing.HEALTH_CHECK_PATH,
            port="traffic-port",
            interval=timing.HEALTH_CHECK_INTERVAL_SECONDS,
            unhealthy_threshold=timing.UNHEALTHY_THRESHOLD,
            healthy_threshold=timing.HEALTHY_THRESHOLD,
            matcher="200",
        ),
        tags=tags,
        opts=opts,
    )
    listener = aws.lb.Listener(
        f"{name}-listener",
        load_balancer_arn=nlb.arn,
        port=args.port,
        protocol="TCP",
        default_actions=[
            aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)
        ],
        tags=tags,
        opts=opts,
    )
    return nlb, target_group, listener
