"""The resource types a stack of ours registers, one row each: the one place to add a type.

A row says what `plan` shows a reviewer (``review_keys``), which inputs make AWS replace the
resource rather than update it (``replacing_inputs``, read by `plan --against`), the name AWS
accepts (``name_rule``) and which other strict rules judge it (``rules``, ids of
facts/aws_rules.py), and what the mock harness answers when it is created (``mock_answer``,
``mock_id_prefix``). plan/resource_rows.py, plan/diff.py, facts/aws_rules.py and
graviton_llm.testing read it, for ours and for the types teams commonly declare beside them.

Replacing inputs: terraform-provider-aws v6.58.0 resource schemas (the provider pulumi-aws
bridges), each `ForceNew: true`, read through the function-by-function mirror
lonegunmanb/terraform-provider-aws-index@2f6e22c4 and mapped to pulumi-aws 7.51 input names
(`region` is added by the provider's forceNewIfRegionChanges). A nested ForceNew property is
listed by its top-level input: any change under it replaces the resource. ``None``: we do not
know the type's rule, so `plan --against` says "may replace" on any change; ``()``: every change
is an update. Name rules: docs/sources.md, "Rules the strict harness enforces".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# Tokens other modules name (checks, costs, reports, the harness); public contracts of the
# provider and of the engine, never renamed.
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
AUTO_SCALING_GROUP = "aws:autoscaling/group:Group"
AUTO_SCALING_POLICY = "aws:autoscaling/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
CAPACITY_RESERVATION = "aws:ec2/capacityReservation:CapacityReservation"
KMS_KEY = "aws:kms/key:Key"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SECURITY_GROUP_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
IAM_POLICY = "aws:iam/policy:Policy"
EBS_VOLUME = "aws:ebs/volume:Volume"
INSTANCE = "aws:ec2/instance:Instance"
DYNAMIC_RESOURCE = "pulumi-python:dynamic:Resource"  # the rollout (components/instance_refresh)
AWS_PROVIDER = "pulumi:providers:aws"
# Ours: deployed stacks hold resources under it (tests/plan/test_shipped_urns.py).
NEURON_SERVING_CLUSTER = "graviton-llm:cluster:NeuronServingCluster"


@dataclass(frozen=True)
class NameRule:
    """The name input of a type: its longest value, characters, and the auto-name's limit."""

    field: str | None  # None: the type takes no name input
    max_length: int
    pattern: re.Pattern[str] | None = None
    autoname_max: int | None = None  # longest auto-name (None: not auto-named)
    forbidden_prefixes: tuple[str, ...] = ()
    note: str = ""


# (logical name, inputs, region, account) -> the attributes the provider computes on create,
# beside an ARN the harness derives from the service and name.
MockAnswer = Callable[[str, Mapping[str, Any], str, str], dict[str, Any]]


@dataclass(frozen=True)
class ResourceType:
    token: str
    review_keys: tuple[str, ...] = ()  # inputs `plan` shows (camelCase); tags and user data never
    replacing_inputs: tuple[str, ...] | None = None  # None: rule unknown, any change may replace
    name_rule: NameRule | None = None
    rules: tuple[str, ...] = ()  # ids of the strict rules that judge only this type
    mock_answer: MockAnswer | None = None
    mock_id_prefix: str | None = None  # the mocks give ids of AWS's format (vpc-0...)


def _iam_answer(kind: str) -> MockAnswer:
    def answer(name: str, inputs: Mapping[str, Any], region: str, account: str) -> dict[str, Any]:
        return {"name": inputs.get("name", name), "arn": f"arn:aws:iam::{account}:{kind}/{name}"}

    return answer


def _kms_key(name: str, inputs: Mapping[str, Any], region: str, account: str) -> dict[str, Any]:
    """A key ARN names the key by its id, a UUID (KMS developer guide, "Key identifiers"), so a
    cluster's KMS key check passes it. The id itself (keyId) stays unanswered: a plan shows it
    as unknown rather than a guess."""
    digits = hex_digest(name, 32)
    key_id = "-".join(digits[a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))
    return {"arn": f"arn:aws:kms:{region}:{account}:key/{key_id}"}


def _group(name: str, inputs: Mapping[str, Any], region: str, account: str) -> dict[str, Any]:
    group = inputs.get("name", name)
    return {"name": group, "arn": f"arn:aws:autoscaling:{region}:{account}:autoScalingGroup:0000:"
            f"autoScalingGroupName/{group}"}  # fmt: skip


def hex_digest(name: str, digits: int) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:digits]


_ELB = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_IAM = re.compile(r"[\w+=,.@-]+", re.ASCII)
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_BUCKET_REPLACING = ("bucket", "bucketNamespace", "bucketPrefix", "objectLockConfiguration",
                     "objectLockEnabled", "region")  # fmt: skip

# The types our components declare. Each row: token, review keys, replacing inputs, name rule,
# then by keyword the type's own strict rules and what the mocks answer.
OURS: tuple[ResourceType, ...] = (
    ResourceType(
        SECURITY_GROUP, ("vpcId", "ingress", "egress"),
        ("description", "name", "namePrefix", "region", "vpcId"),
        NameRule("name", 255, None, 255, ("sg-",), "EC2 CreateSecurityGroup"),
        rules=("aws-security-group-rules",),
    ),
    ResourceType(
        ROLE, ("assumeRolePolicy",), ("name", "namePrefix", "path"),
        NameRule("name", 64, _IAM, 64, (), "IAM CreateRole"), mock_answer=_iam_answer("role"),
    ),
    ResourceType(
        ROLE_POLICY, ("role", "policy"), ("name", "namePrefix", "role"),
        NameRule("name", 128, _IAM, 128, (), "IAM PutRolePolicy"),
        rules=("aws-role-policy-size", "aws-role-inline-policy-size"),
    ),
    ResourceType(ROLE_POLICY_ATTACHMENT, ("role", "policyArn"), ("policyArn", "role")),
    ResourceType(
        INSTANCE_PROFILE, ("role",), ("name", "namePrefix", "path"),
        NameRule("name", 128, _IAM, 128, (), "IAM CreateInstanceProfile"),
        mock_answer=_iam_answer("instanceprofile"),
    ),
    ResourceType(
        LAUNCH_TEMPLATE,
        ("instanceType", "imageId", "metadataOptions", "blockDeviceMappings",
         "vpcSecurityGroupIds", "iamInstanceProfile"),
        ("name", "namePrefix", "region"),
        # 3-128 in the API; the provider refuses over 125.
        NameRule("name", 125, re.compile(r"[A-Za-z0-9()./_-]{3,}"), 125, (),
                 "EC2 CreateLaunchTemplate"),
        rules=("aws-user-data-size",),
        mock_answer=lambda name, inputs, region, account: {"latestVersion": 1},
    ),
    ResourceType(
        AUTO_SCALING_GROUP,
        ("minSize", "maxSize", "desiredCapacity", "healthCheckType", "healthCheckGracePeriod",
         "launchTemplate", "vpcZoneIdentifiers", "capacityReservationSpecification",
         "instanceRefresh", "warmPool", "mixedInstancesPolicy", "protectFromScaleIn"),
        ("initialLifecycleHooks", "name", "namePrefix", "region"),
        # Printable ASCII 33-126 without ':' (CreateAutoScalingGroup, AutoScalingGroupName).
        NameRule("name", 255, re.compile(r"[!-9;-~]+"), 255, (),
                 "EC2 Auto Scaling CreateAutoScalingGroup"),
        rules=("aws-auto-scaling-group",), mock_answer=_group,
    ),
    ResourceType(AUTO_SCALING_POLICY, ("policyType", "targetTrackingConfiguration"),
                 ("autoscalingGroupName", "name", "region")),
    ResourceType("aws:autoscaling/lifecycleHook:LifecycleHook", (), ("name", "region")),
    # ELBv2 CreateLoadBalancer / CreateTargetGroup: 32 of A-Z a-z 0-9 '-', no '-' at either end;
    # the provider checks at preview. pulumi-aws caps target-group auto-names at 32 but not load
    # balancers', so a logical name over 24 fails the provider's check there.
    ResourceType(
        LOAD_BALANCER, ("internal", "loadBalancerType", "subnets"),
        ("customerOwnedIpv4Pool", "internal", "loadBalancerType", "name", "namePrefix", "region"),
        NameRule("name", 32, _ELB, 32, ("internal-",), "ELBv2 CreateLoadBalancer"),
        mock_answer=lambda name, inputs, region, account: {
            "dnsName": f"internal-{name}.elb.{region}.amazonaws.com",
            "arnSuffix": f"net/{name}/0123456789abcdef",
        },
    ),
    ResourceType(
        TARGET_GROUP, ("port", "protocol", "healthCheck"),
        ("ipAddressType", "name", "namePrefix", "port", "protocol", "protocolVersion", "region",
         "targetControlPort", "targetType", "vpcId"),
        NameRule("name", 32, _ELB, 32, (), "ELBv2 CreateTargetGroup"),
        mock_answer=lambda name, inputs, region, account: {
            "arnSuffix": f"targetgroup/{name}/0123456789abcdef"
        },
    ),
    ResourceType("aws:lb/listener:Listener", ("port", "protocol"), ("loadBalancerArn", "region")),
    ResourceType(
        CAPACITY_RESERVATION,
        ("instanceType", "availabilityZone", "instanceCount", "instanceMatchCriteria",
         "endDateType", "endDate"),
        ("availabilityZone", "ebsOptimized", "ephemeralStorage", "instanceMatchCriteria",
         "instancePlatform", "instanceType", "region", "tenancy"),
    ),
    ResourceType(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        ("name", "comparisonOperator", "threshold", "evaluationPeriods", "alarmActions"),
        ("name", "region"),
        NameRule("name", 255, re.compile(r"[ -~]+"), 255, (), "CloudWatch PutMetricAlarm"),
    ),
    ResourceType(
        "aws:cloudwatch/dashboard:Dashboard", (), ("dashboardName", "region"),
        NameRule("dashboardName", 255, re.compile(r"[A-Za-z0-9_-]+"), None, (),
                 "CloudWatch PutDashboard"),
    ),
    ResourceType(
        "aws:cloudwatch/logGroup:LogGroup", (), ("logGroupClass", "name", "namePrefix", "region"),
        NameRule("name", 512, re.compile(r"[A-Za-z0-9_./#-]+"), 255, ("aws/",), "CloudWatch Logs"),
    ),
    ResourceType(
        KMS_KEY, (),
        ("customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion", "region",
         "xksKeyId"),
        mock_answer=_kms_key,
    ),
    ResourceType(
        "aws:kms/alias:Alias", ("name", "targetKeyId"), ("name", "namePrefix", "region"),
        NameRule("name", 256, re.compile(r"alias/[A-Za-z0-9/_-]+"), 256, ("alias/aws/",),
                 "KMS CreateAlias"),
    ),
    ResourceType(
        "aws:sns/topic:Topic", ("kmsMasterKeyId",), ("fifoTopic", "name", "namePrefix", "region"),
        # pulumi-aws caps SNS topic auto-names at 80.
        NameRule("name", 256, re.compile(r"[A-Za-z0-9_-]+(?:\.fifo)?"), 80, (), "SNS CreateTopic"),
    ),
    ResourceType("aws:sns/topicSubscription:TopicSubscription", (),
                 ("endpoint", "protocol", "region", "topic")),
    ResourceType(
        "aws:s3/bucket:Bucket", ("bucket", "forceDestroy", "objectLockEnabled"), _BUCKET_REPLACING,
        NameRule("bucket", 63, _BUCKET, 63, (), "S3 bucket naming"),
    ),
    ResourceType(
        "aws:s3/bucketV2:BucketV2", (), _BUCKET_REPLACING,
        NameRule("bucket", 63, _BUCKET, 63, (), "S3 bucket naming"),
    ),
    ResourceType("aws:s3/bucketVersioning:BucketVersioning", ("versioningConfiguration",),
                 ("bucket", "region")),
    ResourceType(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        ("rules",), ("bucket", "region"),
    ),
    ResourceType(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"),
        ("bucket", "region"),
    ),
    ResourceType(BUCKET_POLICY, ("policy",), ("bucket", "region")),
    # The node agent's archive (components/agent_object.py). Its ForceNew inputs are not listed
    # yet: `plan --against` says "may replace" on any change.
    ResourceType(BUCKET_OBJECT),
    ResourceType(SSM_PARAMETER, ("name", "type", "value"), ("dataType", "name", "region")),
    # The rollout (components/instance_refresh.py): the refresh it starts when this changes.
    ResourceType(DYNAMIC_RESOURCE, ("request",)),
    # An explicit provider (a team's aws.Provider): the engine's own type, no AWS resource.
    ResourceType(AWS_PROVIDER),
)  # fmt: skip


# The types teams commonly declare beside ours (their network, endpoints, rules, policies,
# volumes). Replacing inputs read the same way from terraform-provider-aws internal/service/...
# (vpc_.go, vpc_subnet.go, vpc_nat_gateway.go read at the commits docs/sources.md names; the
# others from their schemas' ForceNew and RequiresReplace marks).
# Each row: token, review keys, replacing inputs (as OURS).
TEAM: tuple[ResourceType, ...] = (
    ResourceType(
        VPC, ("cidrBlock", "enableDnsHostnames", "enableDnsSupport"),
        # instanceTenancy is replaced unless it goes from dedicated to default (CustomizeDiff).
        ("cidrBlock", "instanceTenancy", "ipv4IpamPoolId", "ipv4NetmaskLength", "region"),
        mock_id_prefix="vpc",
    ),
    ResourceType(
        SUBNET, ("vpcId", "cidrBlock", "availabilityZone", "mapPublicIpOnLaunch"),
        ("availabilityZone", "availabilityZoneId", "cidrBlock", "ipv4IpamPoolId",
         "ipv4NetmaskLength", "ipv6IpamPoolId", "ipv6Native", "ipv6NetmaskLength", "outpostArn",
         "region", "vpcId"),
        mock_id_prefix="subnet",
    ),
    ResourceType("aws:ec2/routeTable:RouteTable", ("vpcId", "routes"), ("region", "vpcId")),
    ResourceType("aws:ec2/route:Route", (), ("destinationCidrBlock", "destinationIpv6CidrBlock",
                 "destinationPrefixListId", "region", "routeTableId")),
    ResourceType("aws:ec2/routeTableAssociation:RouteTableAssociation", (),
                 ("gatewayId", "region", "subnetId")),
    ResourceType("aws:ec2/internetGateway:InternetGateway", (), ("region",)),
    ResourceType(
        "aws:ec2/natGateway:NatGateway", ("subnetId", "connectivityType"),
        ("allocationId", "connectivityType", "privateIp", "region",
         "secondaryPrivateIpAddressCount", "subnetId"),
    ),
    ResourceType("aws:ec2/eip:Eip", (), ("address", "customerOwnedIpv4Pool", "domain",
                 "ipamPoolId", "networkBorderGroup", "publicIpv4Pool", "region")),
    ResourceType(
        VPC_ENDPOINT, ("serviceName", "vpcEndpointType", "routeTableIds"),
        ("region", "resourceConfigurationArn", "serviceName", "serviceNetworkArn",
         "serviceRegion", "vpcEndpointType", "vpcId"),
    ),
    ResourceType(SECURITY_GROUP_RULE, (), (
        "cidrBlocks", "fromPort", "ipv6CidrBlocks", "prefixListIds", "protocol", "region",
        "securityGroupId", "self", "sourceSecurityGroupId", "toPort", "type",
    )),
    ResourceType(SECURITY_GROUP_INGRESS_RULE, (),
                 ("region", "securityGroupId")),
    ResourceType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", (),
                 ("region", "securityGroupId")),
    ResourceType(IAM_POLICY, (), ("description", "name", "namePrefix", "path")),
    ResourceType(EBS_VOLUME, (), ("availabilityZone", "encrypted", "kmsKeyId",
                 "outpostArn", "region", "snapshotId")),
    ResourceType("aws:ecr/repository:Repository", (),
                 ("encryptionConfigurations", "name", "region")),
    ResourceType("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", (),
                 ("bucket", "expectedBucketOwner", "region")),
    ResourceType("aws:secretsmanager/secret:Secret", (), ("name", "namePrefix", "region")),
    ResourceType("aws:route53/zone:Zone", (), ("delegationSetId", "name")),
    # EC2 instances a team launches itself: the security checks judge them; ForceNew not listed.
    ResourceType(INSTANCE),
    ResourceType("aws:lb/targetGroupAttachment:TargetGroupAttachment", (),
                 ("availabilityZone", "port", "region", "targetGroupArn", "targetId")),
)  # fmt: skip


def _table() -> dict[str, ResourceType]:
    table: dict[str, ResourceType] = {}
    for row in (*OURS, *TEAM):
        if row.token in table:
            raise ValueError(f"facts/resource_types.py: {row.token} has two rows; keep one")
        table[row.token] = row
    return table


RESOURCE_TYPES: dict[str, ResourceType] = _table()


def resource_type(token: str) -> ResourceType:
    """The type's row; a row that knows nothing (no review keys, replacement rule unknown, no
    name rule, the mocks' generic answer) for a type we have none for."""
    return RESOURCE_TYPES.get(token) or ResourceType(token)


def judged_by(rule_id: str, token: str) -> bool:
    """Whether the type-specific strict rule ``rule_id`` judges resources of this type."""
    return rule_id in resource_type(token).rules
