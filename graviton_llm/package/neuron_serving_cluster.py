"""NeuronServingCluster as the component package serves it to every Pulumi language.

A thin component of the package's type (graviton-llm:index:NeuronServingCluster) whose args are
the generated TypedDict (types.py) and whose outputs are typed attributes, so the component
provider host infers the schema; it builds our NeuronServingCluster, unchanged, as its child.
(No postponed annotations: the host reads the evaluated ones.)
"""

from typing import cast

import pulumi
import pulumi_aws as aws

from ..args import NeuronServingClusterArgs as ClusterModel
from ..args import NeuronServingClusterArgsDict
from ..components.neuron_serving_cluster import NeuronServingCluster as Cluster
from ..components.parts.inputs import cluster_spec
from ..components.rollout import aws_provider_in
from .inputs import model_input
from .types import NeuronServingClusterArgs


class NeuronServingCluster(pulumi.ComponentResource):
    """A vLLM serving cluster on AWS Neuron (inf2/trn1/trn1n/trn2) or Graviton4 CPU instances:
    a VPC-internal security group and protected node role, read access to the weights, a launch
    template whose user data boots vLLM, an Auto Scaling group in private subnets, an internal
    Network Load Balancer, alarms and a dashboard. Every argument is checked before the first
    resource is registered; one given as an Output when it resolves, before any node."""

    endpoint: pulumi.Output[str]
    """The OpenAI-compatible endpoint inside the VPC: http://<internal NLB DNS name>:<port>."""
    security_group: aws.ec2.SecurityGroup
    """The nodes' security group (ingress only from allowed_cidrs, or the VPC's CIDRs)."""
    role: aws.iam.Role
    """The nodes' IAM role."""
    instance_profile: aws.iam.InstanceProfile
    """The nodes' instance profile."""
    launch_template: aws.ec2.LaunchTemplate
    """The nodes' launch template (its user data boots vLLM)."""
    auto_scaling_group: aws.autoscaling.Group
    """The Auto Scaling group of serving nodes."""
    load_balancer: aws.lb.LoadBalancer
    """The internal Network Load Balancer in front of the nodes."""
    target_group: aws.lb.TargetGroup
    """The load balancer's target group."""
    metrics_log_group: pulumi.Output[str]
    """CloudWatch Logs group the nodes' agent writes vLLM metrics to."""

    def __init__(
        self,
        name: str,
        args: NeuronServingClusterArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        given = cast(NeuronServingClusterArgsDict, model_input(ClusterModel, args))
        # Refused here, before the package's component is registered; an AWS provider in opts
        # reaches the inner cluster through its parent, so it is told the same.
        cluster_spec(name, given, explicit_provider=aws_provider_in(opts) is not None)
        super().__init__("graviton-llm:index:NeuronServingCluster", name, {}, opts)
        cluster = Cluster(name, given, opts=pulumi.ResourceOptions(parent=self))
        self.endpoint = cluster.endpoint
        self.security_group = cluster.security_group
        self.role = cluster.role
        self.instance_profile = cluster.instance_profile
        self.launch_template = cluster.launch_template
        self.auto_scaling_group = cluster.auto_scaling_group
        self.load_balancer = cluster.load_balancer
        self.target_group = cluster.target_group
        self.metrics_log_group = pulumi.Output.from_input(cluster.metrics_log_group)
        self.register_outputs({"endpoint": self.endpoint})
