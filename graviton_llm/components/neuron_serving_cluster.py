"""NeuronServingCluster: the whole serving cluster in one component.

Reads like a table of contents: validate, derive, then declare children.
"""

from __future__ import annotations

from typing import Any, Unpack, overload

import pulumi
import pulumi_aws as aws

from ..args import (
    NeuronServingClusterArgs,
    NeuronServingClusterArgsDict,
    ResolvedClusterArgs,
)
from ..args.base import with_fields_help
from ..args.deferred import DeferredCheck, deferred_checks
from ..args.refusals import ArgsError
from ..documents.alarms import alarm_name_prefix
from ..documents.cloudwatch_agent import metrics_log_group
from ..facts import cold_start, timing
from ..facts.resource_types import NEURON_SERVING_CLUSTER
from ..node.agent_location import AgentLocation, agent_location
from ..node.user_data import render_user_data
from . import agent_object
from .artifact_cache_access import ArtifactCacheAccess
from .cluster_parts import (
    GroupInputs,
    Watched,
    declare_access,
    declare_capacity,
    declare_group,
    declare_monitoring,
    declare_node_permissions,
    declare_scaling,
)
from .instance_refresh import InstanceRefresh
from .parts import api_key, auto_scaling, launch_template, load_balancer, observe
from .parts.inputs import cluster_spec, gated, merged_args, refuse, stand_in
from .parts.lookups import endpoint_url
from .parts.tagging import lookup_tags, merged_tags
from .reserved_capacity import ReservedCapacity
from .rollout import aws_provider_in, declare_rollout
from .serving_monitoring import ServingMonitoring

# What a program may read from a cluster: unknown on a cluster refused in a preview.
OUTPUTS = (
    "endpoint", "security_group", "role", "instance_profile", "launch_template",
    "auto_scaling_group", "load_balancer", "target_group", "listener",
)  # fmt: skip


class NeuronServingCluster(pulumi.ComponentResource):
    """A vLLM serving cluster on Neuron (inf2/trn1/trn1n/trn2) or Graviton4 CPU instances.

    Creates a VPC-internal security group and protected node role (``ServingSecurity``), read
    access to the weights prefix (``WeightsBucketAccess``), on Neuron read and publish access to
    the cluster's compiled artifacts (``ArtifactCacheAccess``), optional capacity reservations
    (``ReservedCapacity``), a launch template whose user data boots vLLM, an Auto Scaling group
    in the private subnets (instance refresh with rollback, optional warm pool, Spot, target
    tracking), an internal Network Load Balancer, and alarms and a dashboard
    (``ServingMonitoring``), and the node agent the user data pins, published beside the
    artifact cache with the node role's read grant. Every argument is checked before the first
    resource is registered (a bad config creates nothing); one given as an Output when it
    resolves, before any node.
    """

    security_group: aws.ec2.SecurityGroup
    role: aws.iam.Role
    instance_profile: aws.iam.InstanceProfile
    launch_template: aws.ec2.LaunchTemplate
    auto_scaling_group: aws.autoscaling.Group
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    listener: aws.lb.Listener
    capacity: ReservedCapacity | None
    monitoring: ServingMonitoring | None
    rollout: InstanceRefresh | None
    artifact_cache: ArtifactCacheAccess | None
    scaling_policy: aws.autoscaling.Policy | None
    endpoint: pulumi.Output[str]
    args: ResolvedClusterArgs
    user_data: str
    node_agent: AgentLocation  # where the nodes fetch the agent their user data pins
    metrics_log_group: str
    checked_at_deploy: tuple[DeferredCheck, ...]  # fields checked when their Output resolves

    @overload
    def __init__(
        self,
        name: str,
        args: NeuronServingClusterArgs | NeuronServingClusterArgsDict,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[NeuronServingClusterArgsDict],
    ) -> None: ...

    def __init__(
        self,
        name: str,
        args: NeuronServingClusterArgs | NeuronServingClusterArgsDict | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        """Declare the serving cluster ``name`` and all its children.

        :param name: The cluster's name: letters, digits and '-', at most 20 characters (its
            load balancer's name is built from it). Children are named ``<name>-...``.
        :param args: A ``NeuronServingClusterArgs``, or its dict form
            (``NeuronServingClusterArgsDict``, e.g. ``pulumi.Config().require_object(...)``);
            or give the same fields as keyword arguments instead.
        :param opts: Pulumi resource options (parent, providers, aliases, ...).
        :raises ArgsError: a ``pulumi.InputPropertiesError`` listing every bad field with its
            fix, before any resource is registered; in a preview, once the program has declared
            everything, together with every other cluster's. A field given as an Output is
            checked when it resolves, before the Auto Scaling group exists.
        """
        try:
            resolved, region = cluster_spec(
                name,
                merged_args(args, kwargs),
                explicit_provider=aws_provider_in(opts) is not None,
            )
        except ArgsError as error:
            refuse(error)
            self._name, self.checked_at_deploy = name, ()
            stand_in(self, OUTPUTS)
            return
        self.checked_at_deploy = deferred_checks(resolved)
        self.args, gate = gated(name, resolved)
        args, spec = self.args, self.args.spec
        # Derived values: all pure, all known before any resource exists.
        alarm_prefix = alarm_name_prefix(pulumi.get_project(), pulumi.get_stack(), name)
        self.metrics_log_group = metrics_log_group(alarm_prefix)
        self._api_key_pointer = api_key.pointer_name(name, args)
        self.node_agent = agent_location(args, region)
        self.user_data = render_user_data(
            args,
            api_key_pointer=self._api_key_pointer,
            metrics_log_group=self.metrics_log_group,
            agent=self.node_agent,
        )
        # The launch hook holds a node until it serves (timing.py): what follows InService only
        # waits for the NLB, whatever the model's cold start.
        grace = args.health_check_grace_seconds
        grace = timing.IN_SERVICE_SETTLE_SECONDS if grace is None else grace
        weights_gib = args.model.weights_gib
        volume_gib = args.root_volume_gib or cold_start.root_volume_gib(spec, weights_gib)

        super().__init__(NEURON_SERVING_CLUSTER, name, None, opts)
        owner_tags = {"Environment": args.environment, "Owner": args.owner}
        tags = merged_tags(name, {**{k: v for k, v in owner_tags.items() if v}, **args.tags})
        self._name = name
        lookup = lookup_tags(pulumi.get_project(), pulumi.get_stack())
        child = pulumi.ResourceOptions(parent=self)

        # Each part takes what it needs and returns what it declared: the order follows.
        access = declare_access(self, name, args, region, tags)
        self.security_group = access.security.security_group
        self.role = access.security.role
        self.instance_profile = access.security.instance_profile
        self.artifact_cache = access.artifact_cache
        self.capacity = declare_capacity(self, name, args, spec, tags)
        # IAM is eventually consistent: let the role's grants exist before a node can boot
        # and list the weights (the boot script treats AccessDenied as final); the API key's
        # name, when secret, is in its own parameter before a node reads it.
        before_nodes: list[pulumi.Resource] = [access.security, access.weights]
        before_nodes += [access.artifact_cache] if access.artifact_cache is not None else []
        before_nodes += agent_object.declare(self, name, args, self.node_agent, self.role.name)
        if self._api_key_pointer is not None:
            before_nodes.append(
                api_key.declare_pointer(name, self._api_key_pointer, args, tags, child)
            )
        self.launch_template = launch_template.declare(
            self, name, args, spec, volume_gib=volume_gib, user_data=self.user_data,
            instance_profile_arn=self.instance_profile.arn,
            security_group_id=self.security_group.id,
            market=auto_scaling.market_options(self.capacity), tags=tags, lookup_tags=lookup,
            depends_on=before_nodes,
        )  # fmt: skip
        self.load_balancer, self.target_group, self.listener = load_balancer.declare(
            name, args, tags, child
        )
        self.auto_scaling_group = declare_group(self, name, args, GroupInputs(
            self.launch_template, self.target_group, self.capacity, gate, grace, tags, lookup
        ))  # fmt: skip
        declare_node_permissions(
            self, name, args, region, group=self.auto_scaling_group, role=self.role,
            api_key_pointer=self._api_key_pointer,
        )  # fmt: skip
        self.scaling_policy = declare_scaling(self, name, args, self.auto_scaling_group)
        self.monitoring = declare_monitoring(self, name, args, region, Watched(
            self.auto_scaling_group, self.target_group, self.load_balancer, alarm_prefix,
            self.metrics_log_group,
        ), tags)  # fmt: skip
        # A new launch template version rolls out through a refresh that carries it, so a
        # rollback restores the old one (documents/instance_refresh.py).
        self.rollout = None
        if args.rollout.enabled:
            self.rollout = declare_rollout(
                self, name, args, region, alarm_prefix, group=self.auto_scaling_group,
                template=self.launch_template, alarms=self.monitoring,
            )  # fmt: skip

        self.endpoint = self.load_balancer.dns_name.apply(lambda dns: endpoint_url(dns, args.port))
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "auto_scaling_group_name": self.auto_scaling_group.name,
                "security_group_id": self.security_group.id,
                "role_arn": self.role.arn,
            }
        )
        observe.built(self)


with_fields_help(NeuronServingCluster.__init__, NeuronServingClusterArgs)
