"""The cluster's rollout (InstanceRefresh) and the AWS settings it runs with, wired for
NeuronServingCluster: the request from auto_scaling.py, after the alarms it names, signed as the
cluster's own AWS provider."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from ..args import ResolvedClusterArgs
from .instance_refresh import InstanceRefresh, explicit_provider_settings
from .parts import auto_scaling


class RegionMismatchError(ValueError):
    """The cluster's region is not the region of the explicit AWS provider it was given."""


def explicit_aws_provider(cluster: pulumi.Resource) -> pulumi.ProviderResource | None:
    """The `aws.Provider` passed in the cluster's opts (provider= or providers=), if any."""
    return cluster.get_provider("aws::")


def aws_provider_in(opts: pulumi.ResourceOptions | None) -> pulumi.ProviderResource | None:
    """The AWS provider ``opts`` give a resource (provider=, providers=, or its parent's),
    before the resource exists to ask."""
    if opts is None:
        return None
    given = [opts.provider] if opts.provider is not None else []
    providers = opts.providers or []
    given += list(providers.values()) if isinstance(providers, Mapping) else list(providers)
    for provider in given:
        if getattr(provider, "package", None) == "aws":
            return provider
    return opts.parent.get_provider("aws::") if opts.parent is not None else None


def checked_region(cluster: pulumi.Resource, name: str, region: str) -> pulumi.Output[str]:
    """``region`` (args.region, else aws:region: what ARNs, prices and the catalog check
    used), refused at preview when an explicit AWS provider deploys to another region: every
    resource would be created there while the cluster's ARNs name this one."""
    provider = explicit_aws_provider(cluster)
    if provider is None:
        return pulumi.Output.from_input(region)

    def same(provider_region: str | None) -> str:
        if provider_region and provider_region != region:
            raise RegionMismatchError(
                f"NeuronServingCluster {name!r}: `region` is {region} (args.region or "
                f"aws:region) but its explicit aws.Provider deploys to {provider_region}; "
                f"set `region: {provider_region}` in the cluster's args"
            )
        return region

    return getattr(provider, "region", pulumi.Output.from_input(None)).apply(same)


def group_version(
    group: aws.autoscaling.Group, args: ResolvedClusterArgs
) -> pulumi.Output[str | None]:
    """The launch template version the group's state names (the one it runs until a refresh
    succeeds: the version is ignored once rollouts are on)."""
    if args.capacity_mode == "spot_with_on_demand_base":
        return group.mixed_instances_policy.apply(
            lambda p: p.launch_template.launch_template_specification.version if p else None
        )
    return group.launch_template.apply(lambda t: t.version if t else None)


def declare_rollout(
    cluster: pulumi.Resource,
    name: str,
    args: ResolvedClusterArgs,
    region: str,
    alarm_prefix: str,
    *,
    group: aws.autoscaling.Group,
    template: aws.ec2.LaunchTemplate,
    alarms: pulumi.Resource | None,
) -> InstanceRefresh:
    """The rollout of ``cluster`` (its parent, and whose AWS provider signs it), after the
    group, and the ``alarms`` it names when there are any."""
    request = pulumi.Output.all(group.name, template.id, template.latest_version.apply(str)).apply(
        lambda values: auto_scaling.refresh_request(
            args, alarm_prefix, group_name=values[0], launch_template_id=values[1],
            version=values[2],
        )
    )  # fmt: skip
    # After the alarms it names: a refresh may only name alarms that exist.
    after: list[pulumi.Resource] = [group, *([alarms] if alarms else [])]
    rollout = args.rollout
    return InstanceRefresh(
        f"{name}-rollout",
        region=checked_region(cluster, name, region),
        request=request,
        retry=rollout.retry,
        hold=rollout.hold,
        wait=rollout.wait,
        wait_timeout_seconds=rollout.wait_timeout_minutes * 60,
        aws=explicit_provider_settings(explicit_aws_provider(cluster)),
        group_version=group_version(group, args),
        opts=pulumi.ResourceOptions(parent=cluster, depends_on=after),
    )
