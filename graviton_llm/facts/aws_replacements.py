"""Which input of each resource type forces AWS to replace the resource (delete and create)
rather than update it in place, as the AWS provider's schema marks them (ForceNew).

Source: terraform-provider-aws v6.58.0 resource schemas (the provider pulumi-aws bridges), each
`ForceNew: true`, read through the function-by-function mirror
lonegunmanb/terraform-provider-aws-index@2f6e22c4 and mapped to pulumi-aws 7.51 input names
(`region` is added by the provider's forceNewIfRegionChanges). A nested ForceNew property is
listed by its top-level input: any change under it replaces the resource. `plan --against` reads
this table; a type missing here is compared as update-only.
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


def replacing_inputs(resource_type: str) -> tuple[str, ...]:
    return REPLACE_ON_CHANGE.get(resource_type, ())
