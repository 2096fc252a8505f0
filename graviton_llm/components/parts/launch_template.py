"""The nodes' launch template, for NeuronServingCluster: pure arguments around one resource."""

from __future__ import annotations

import base64
from typing import Any

import pulumi
import pulumi_aws as aws

from ...args import ResolvedClusterArgs
from ...facts import cold_start, images
from ...facts.catalog import InstanceSpec
from .tagging import Tags


def declare(
    parent: pulumi.Resource,
    name: str,
    args: ResolvedClusterArgs,
    spec: InstanceSpec,
    *,
    volume_gib: int,
    user_data: str,
    instance_profile_arn: pulumi.Input[str],
    security_group_id: pulumi.Input[str],
    market: aws.ec2.LaunchTemplateInstanceMarketOptionsArgs | None,
    tags: Tags,
    lookup_tags: dict[str, str],
    depends_on: list[pulumi.Resource],
) -> aws.ec2.LaunchTemplate:
    """The nodes' template: the pinned or latest AMI, IMDSv2 only, an encrypted gp3 root on the
    AMI's own root device, the node agent's bootstrap and node config as plain user data."""
    image_id = args.ami_id or _latest_ami(parent, spec)
    return aws.ec2.LaunchTemplate(
        f"{name}-lt",
        description=f"graviton-llm {name}: {args.model.id} on {spec.name}",
        image_id=image_id,
        instance_type=spec.name,
        iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=instance_profile_arn),
        vpc_security_group_ids=[security_group_id],
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled",
            http_tokens="required",  # IMDSv2 only
            # Weights are pulled on the host; the bridged container needs no IMDS access.
            http_put_response_hop_limit=1,
            # The boot script reads its group's name from the instance's tags.
            instance_metadata_tags="enabled",
        ),
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=args.root_device_name or _root_device(parent, image_id),
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=volume_gib,
                    volume_type="gp3",
                    # Faster gp3 when the weights would download at disk speed.
                    **_volume_performance(spec, args.model.weights_gib, args.warm_pool is not None),
                    encrypted="true",
                    delete_on_termination="true",
                ),
            )
        ],
        monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
        user_data=base64.b64encode(user_data.encode()).decode(),
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(
                resource_type=kind, tags={**tags, "Name": f"{name}-node"}
            )
            for kind in ("instance", "volume")
        ],
        instance_market_options=market,
        update_default_version=True,
        # The stack's lookup tags on the template only (tagging.py): in its tag
        # specifications they would make a new version.
        tags={**tags, **lookup_tags},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
    )


def _volume_performance(spec: InstanceSpec, weights_gib: float, warm_pool: bool) -> dict[str, Any]:
    performance = cold_start.root_volume_performance(spec, weights_gib, warm_pool=warm_pool)
    if performance is None:
        return {}
    return {"throughput": performance["throughput_mibps"], "iops": performance["iops"]}


def _invoke(parent: pulumi.Resource) -> pulumi.InvokeOutputOptions:
    return pulumi.InvokeOutputOptions(parent=parent)


def _root_device(parent: pulumi.Resource, image_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """The AMI's own root device name (EC2 User Guide, "Device names": it "differs by AMI")."""
    ami = aws.ec2.get_ami_output(
        filters=pulumi.Output.from_input(image_id).apply(
            lambda image: [aws.ec2.GetAmiFilterArgs(name="image-id", values=[image])]
        ),
        opts=_invoke(parent),
    )
    return ami.root_device_name


def _latest_ami(parent: pulumi.Resource, spec: InstanceSpec) -> pulumi.Output[str]:
    """Resolve the SSM public parameter now and write the AMI id into the template: a
    `resolve:ssm:` image id would block instance-refresh rollback (EC2 Auto Scaling docs)."""
    parameter = aws.ssm.get_parameter_output(name=images.ami_parameter(spec), opts=_invoke(parent))
    return parameter.insecure_value
