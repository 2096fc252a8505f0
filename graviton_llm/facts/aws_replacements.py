"""Which input of each resource type forces AWS to replace the resource (delete and create)
rather than update it in place, as the AWS provider's schema marks them (ForceNew).

Source: terraform-provider-aws v6.58.0 resource schemas (the provider pulumi-aws bridges), each
`ForceNew: true`, read through the function-by-function mirror
lonegunmanb/terraform-provider-aws-index@2f6e22c4 and mapped to pulumi-aws 7.51 input names
(`region` is added by the provider's forceNewIfRegionChanges). A nested ForceNew property is
listed by its top-level input: any change under it replaces the resource. `plan --against` reads
this table; a type missing here may be replaced by any change (`plan --against` says "may
replace", never "update": we do not know its rule).

The types teams commonly declare beside ours (their network, endpoints, rules, policies, volumes)
are in ``TEAM_TYPES``, read the same way from terraform-provider-aws internal/service/...
(vpc_.go, vpc_subnet.go, vpc_nat_gateway.go read at the commits docs/sources.md names; the
others from their schemas' ForceNew and RequiresReplace marks). A type with no input that forces
a replacement is listed with an empty tuple: every change to it is an update.
"""

from __future__ import annotations

REPLACE_ON_CHANGE: dict[str, tuple[str, ...]] = {
    "aws:ec2/securityGroup:SecurityGroup": (
        "description",
        "name",
        "namePrefix",
        "region",
        "vpcId",
    ),
    "aws:iam/role:Role": (
        "name",
        "namePrefix",
        "path",
    ),
    "aws:iam/rolePolicy:RolePolicy": (
        "name",
        "namePrefix",
        "role",
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (
        "policyArn",
        "role",
    ),
    "aws:iam/instanceProfile:InstanceProfile": (
        "name",
        "namePrefix",
        "path",
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": (
        "name",
        "namePrefix",
        "region",
    ),
    "aws:autoscaling/group:Group": (
        "initialLifecycleHooks",
        "name",
        "namePrefix",
        "region",
    ),
    "aws:autoscaling/policy:Policy": (
        "autoscalingGroupName",
        "name",
        "region",
    ),
    "aws:autoscaling/lifecycleHook:LifecycleHook": (
        "name",
        "region",
    ),
    "aws:lb/loadBalancer:LoadBalancer": (
        "customerOwnedIpv4Pool",
        "internal",
        "loadBalancerType",
        "name",
        "namePrefix",
        "region",
    ),
    "aws:lb/targetGroup:TargetGroup": (
        "ipAddressType",
        "name",
        "namePrefix",
        "port",
        "protocol",
        "protocolVersion",
        "region",
        "targetControlPort",
        "targetType",
        "vpcId",
    ),
    "aws:lb/listener:Listener": (
        "loadBalancerArn",
        "region",
    ),
    "aws:ec2/capacityReservation:CapacityReservation": (
        "availabilityZone",
        "ebsOptimized",
        "ephemeralStorage",
        "instanceMatchCriteria",
        "instancePlatform",
        "instanceType",
        "region",
        "tenancy",
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        "name",
        "region",
    ),
    "aws:cloudwatch/dashboard:Dashboard": (
        "dashboardName",
        "region",
    ),
    "aws:kms/key:Key": (
        "customKeyStoreId",
        "customerMasterKeySpec",
        "keyUsage",
        "multiRegion",
        "region",
        "xksKeyId",
    ),
    "aws:kms/alias:Alias": (
        "name",
        "namePrefix",
        "region",
    ),
    "aws:sns/topic:Topic": (
        "fifoTopic",
        "name",
        "namePrefix",
        "region",
    ),
    "aws:sns/topicSubscription:TopicSubscription": (
        "endpoint",
        "protocol",
        "region",
        "topic",
    ),
    "aws:s3/bucket:Bucket": (
        "bucket",
        "bucketNamespace",
        "bucketPrefix",
        "objectLockConfiguration",
        "objectLockEnabled",
        "region",
    ),
    "aws:s3/bucketV2:BucketV2": (
        "bucket",
        "bucketNamespace",
        "bucketPrefix",
        "objectLockConfiguration",
        "objectLockEnabled",
        "region",
    ),
    "aws:s3/bucketVersioning:BucketVersioning": (
        "bucket",
        "region",
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "bucket",
        "region",
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        "bucket",
        "region",
    ),
    "aws:s3/bucketPolicy:BucketPolicy": (
        "bucket",
        "region",
    ),
    "aws:ssm/parameter:Parameter": (
        "dataType",
        "name",
        "region",
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        "logGroupClass",
        "name",
        "namePrefix",
        "region",
    ),
}


TEAM_TYPES: dict[str, tuple[str, ...]] = {
    # instanceTenancy is replaced unless it goes from dedicated to default (CustomizeDiff).
    "aws:ec2/vpc:Vpc": ("cidrBlock", "instanceTenancy", "ipv4IpamPoolId", "ipv4NetmaskLength",
                        "region"),
    "aws:ec2/subnet:Subnet": ("availabilityZone", "availabilityZoneId", "cidrBlock",
                              "ipv4IpamPoolId", "ipv4NetmaskLength", "ipv6IpamPoolId", "ipv6Native",
                              "ipv6NetmaskLength", "outpostArn", "region", "vpcId"),
    "aws:ec2/routeTable:RouteTable": ("region", "vpcId"),
    "aws:ec2/route:Route": ("destinationCidrBlock", "destinationIpv6CidrBlock",
                            "destinationPrefixListId", "region", "routeTableId"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("gatewayId", "region", "subnetId"),
    "aws:ec2/internetGateway:InternetGateway": ("region",),
    "aws:ec2/natGateway:NatGateway": ("allocationId", "connectivityType", "privateIp", "region",
                                      "secondaryPrivateIpAddressCount", "subnetId"),
    "aws:ec2/eip:Eip": ("address", "customerOwnedIpv4Pool", "domain", "ipamPoolId",
                        "networkBorderGroup", "publicIpv4Pool", "region"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("region", "resourceConfigurationArn", "serviceName",
                                        "serviceNetworkArn", "serviceRegion", "vpcEndpointType",
                                        "vpcId"),
    "aws:ec2/securityGroupRule:SecurityGroupRule": (
        "cidrBlocks", "fromPort", "ipv6CidrBlocks", "prefixListIds", "protocol", "region",
        "securityGroupId", "self", "sourceSecurityGroupId", "toPort", "type",
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("region", "securityGroupId"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("region", "securityGroupId"),
    "aws:iam/policy:Policy": ("description", "name", "namePrefix", "path"),
    "aws:ebs/volume:Volume": ("availabilityZone", "encrypted", "kmsKeyId", "outpostArn", "region",
                              "snapshotId"),
    "aws:ecr/repository:Repository": ("encryptionConfigurations", "name", "region"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "bucket", "expectedBucketOwner", "region",
    ),
    "aws:secretsmanager/secret:Secret": ("name", "namePrefix", "region"),
    "aws:route53/zone:Zone": ("delegationSetId", "name"),
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": ("availabilityZone", "port", "region",
                                                           "targetGroupArn", "targetId"),
}  # fmt: skip


def replacing_inputs(resource_type: str) -> tuple[str, ...]:
    return REPLACE_ON_CHANGE.get(resource_type) or TEAM_TYPES.get(resource_type, ())


def has_replacement_rule(resource_type: str) -> bool:
    """Whether we know which inputs replace a resource of this type (else it may be replaced by
    any change)."""
    return resource_type in REPLACE_ON_CHANGE or resource_type in TEAM_TYPES
