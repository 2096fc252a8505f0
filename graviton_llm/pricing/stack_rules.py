"""One pricing rule per resource type (``RULES``): what a resource bills, as priced lines, usage
lines and unpriced entries (pricing/stack_items.py). Quantities are per month of
HOURS_PER_MONTH hours; inputs are read as the engine sends them (camelCase). Where a figure is
estimated rather than read from the inputs, the line's ``basis`` says how.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..facts.cold_start import GP3_DEFAULT_IOPS, GP3_DEFAULT_MIBPS
from ..facts.resource_types import (
    AUTO_SCALING_GROUP,
    CAPACITY_RESERVATION,
    EBS_VOLUME,
    INSTANCE,
    KMS_KEY,
    LAUNCH_TEMPLATE,
    LOAD_BALANCER,
    NEURON_SERVING_CLUSTER,
    SSM_PARAMETER,
    VPC_ENDPOINT,
)
from ..facts.service_prices import (
    ANOMALY_DETECTION_METRICS,
    DETAILED_MONITORING_METRICS_PER_INSTANCE,
)
from ..facts.units import HOURS_PER_MONTH
from .stack_items import (
    GB_PER_GIB,
    UNKNOWN_INPUT,
    Context,
    Line,
    PlannedResource,
    UnknownQuantity,
    Unpriced,
    UsageLine,
)

Entry = Line | UsageLine | Unpriced
Rule = Callable[[PlannedResource, Context], Iterator[Entry]]
H = HOURS_PER_MONTH

# Types that bill nothing by being there (VPC pricing: a VPC, its subnets, route tables and
# gateways to the internet are free; IAM is free; a launch template or an Auto Scaling group bills
# only the instances it launches, priced with them; an alias, a listener or a target group is
# part of what it names).
FREE_TYPES = frozenset({
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/routeTable:RouteTable",
    "aws:ec2/route:Route", "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/internetGateway:InternetGateway", "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation",
    "aws:ec2/defaultRouteTable:DefaultRouteTable",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/instanceProfile:InstanceProfile",
    "aws:autoscaling/policy:Policy", "aws:autoscaling/lifecycleHook:LifecycleHook",
    "aws:lb/targetGroup:TargetGroup", "aws:lb/listener:Listener",
    "aws:lb/targetGroupAttachment:TargetGroupAttachment", "aws:kms/alias:Alias",
    "aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:sns/topicSubscription:TopicSubscription", "aws:sns/topicPolicy:TopicPolicy",
    "pulumi-python:dynamic:Resource", "pulumi:providers:aws",
})  # fmt: skip


def _line(resource: PlannedResource, context: Context, item: str, quantity: float, what: str,
          basis: str | None = None) -> Entry:  # fmt: skip
    price = context.service_price(item)
    if price is None:
        return Unpriced(resource.name, resource.type,
                        f"{what}: no sourced price in {context.region} ({item})")  # fmt: skip
    return Line(resource.name, resource.type, what, quantity, price.unit, price.usd, price.source,
                price.source_date, basis)  # fmt: skip


def _usage(resource: PlannedResource, context: Context, item: str, what: str) -> Entry:
    price = context.service_price(item)
    return UsageLine(resource.name, resource.type, what, price.unit if price else "",
                     price.usd if price else None, price.source if price else None,
                     price.source_date if price else None)  # fmt: skip


def _instances(resource: PlannedResource, context: Context, instance_type: Any, count: float,
               what: str, basis: str | None = None) -> Iterator[Entry]:  # fmt: skip
    if not isinstance(_known(instance_type, "instance type"), str):
        yield Unpriced(resource.name, resource.type, f"{what}: instance type unknown offline")
        return
    price = context.instance_price(instance_type)
    if price is None or price.purchase_option != "on-demand":
        why = "no sourced On-Demand price" if price is None else f"priced only as a {price.label}"
        yield Unpriced(resource.name, resource.type,
                       f"{what}: {instance_type} {why} in {context.region}")  # fmt: skip
        return
    yield Line(resource.name, resource.type, f"{what} ({instance_type}, On-Demand)",
               count * H, "instance-hour", price.usd_per_hour, price.source, price.source_date,
               basis)  # fmt: skip


def cluster(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    bill = context.clusters.get(resource.name)
    if bill is None:
        return
    if bill.capacity_block is not None:
        why = f"instances run in Capacity Block {bill.capacity_block}: prepaid at purchase"
        yield Unpriced(resource.name, resource.type, why)
        return
    billed = max(bill.nodes, bill.reserved)
    basis = None
    if bill.reserved > bill.nodes:
        basis = (f"{bill.reserved} reserved (On-Demand Capacity Reservations bill whether used or "
                 f"not), {bill.nodes} nodes run in them")  # fmt: skip
    yield from _instances(resource, context, bill.instance_type, billed, "instances", basis)
    if bill.custom_metrics:
        yield _line(resource, context, "custom-metric-month", bill.custom_metrics,
                    "custom metrics (the CloudWatch agent's, per cluster)")  # fmt: skip


def _launched_by(template: PlannedResource, context: Context) -> tuple[float, str | None]:
    """How many instances run from a launch template: its cluster's nodes, else the desired
    capacity of the groups that name it."""
    if template.cluster is not None and template.cluster in context.clusters:
        return context.clusters[template.cluster].nodes, None
    count = 0.0
    for group in context.of_type(AUTO_SCALING_GROUP):
        if _template_id(group.inputs) == f"{template.name}-id":
            count += _number(group.inputs.get("desiredCapacity", group.inputs.get("minSize")),
                             "desiredCapacity")
    return count, "the desired capacity of the groups that launch from it"


def _template_id(inputs: Any) -> Any:
    template = inputs.get("launchTemplate") or {}
    return template.get("id") if isinstance(template, dict) else None


def _known(value: Any, what: str) -> Any:
    if value is UNKNOWN_INPUT:
        raise UnknownQuantity(what)
    return value


def _number(value: Any, what: str = "a quantity") -> float:
    value = _known(value, what)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _count(value: Any, what: str) -> int:
    """How many items a list input holds (0 when absent)."""
    return len(_known(value, what) or [])


def _volume(resource: PlannedResource, context: Context, volume: dict[str, Any], count: float,
            where: str, default_type: str = "gp2") -> Iterator[Entry]:  # fmt: skip
    kind = volume.get("volumeType") or volume.get("type") or default_type
    size = _number(volume.get("volumeSize", volume.get("size")), "volume size")
    if not size:
        yield Unpriced(resource.name, resource.type, f"{where}: its size comes from the AMI")
        return
    yield _line(resource, context, f"ebs-{kind}-storage", size * count,
                f"{where} ({kind}, {size:g} GB x {count:g})")  # fmt: skip
    if kind == "gp3":  # the baseline IOPS and MiB/s (facts/cold_start.py) are in the storage price
        extra_iops = max(_number(volume.get("iops")) - GP3_DEFAULT_IOPS, 0)
        extra_mbps = max(_number(volume.get("throughput")) - GP3_DEFAULT_MIBPS, 0)
        if extra_iops:
            yield _line(resource, context, "ebs-gp3-iops", extra_iops * count, f"{where} IOPS")
        if extra_mbps:
            yield _line(resource, context, "ebs-gp3-throughput", extra_mbps * count,
                        f"{where} throughput")  # fmt: skip
    elif kind in ("io1", "io2") and volume.get("iops"):
        yield _line(resource, context, f"ebs-{kind}-iops", _number(volume["iops"]) * count,
                    f"{where} IOPS")  # fmt: skip


def _detailed_monitoring(resource: PlannedResource, context: Context, count: float) -> Entry:
    return _line(resource, context, "custom-metric-month",
                 DETAILED_MONITORING_METRICS_PER_INSTANCE * count,
                 f"EC2 detailed monitoring ({DETAILED_MONITORING_METRICS_PER_INSTANCE} metrics x "
                 f"{count:g} instances)")  # fmt: skip


def launch_template(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    count, basis = _launched_by(resource, context)
    if not count:
        return
    for mapping in resource.inputs.get("blockDeviceMappings") or []:
        if isinstance(mapping, dict) and isinstance(mapping.get("ebs"), dict):
            yield from _volume(resource, context, mapping["ebs"], count,
                               f"EBS {mapping.get('deviceName', 'volume')}")  # fmt: skip
    monitoring = resource.inputs.get("monitoring") or {}
    if isinstance(monitoring, dict) and monitoring.get("enabled") in (True, "true"):
        yield _detailed_monitoring(resource, context, count)
    if basis is not None:
        yield UsageLine(resource.name, resource.type, f"instances counted: {basis}", "", None,
                        None, None)  # fmt: skip


def auto_scaling_group(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    if resource.cluster is not None:  # the cluster's line bills its nodes
        return
    if resource.inputs.get("mixedInstancesPolicy"):
        yield Unpriced(resource.name, resource.type,
                       "mixed instances policy: the types launched are chosen at run time")
        return
    count = _number(resource.inputs.get("desiredCapacity", resource.inputs.get("minSize")),
                    "desiredCapacity")
    templates = [t for t in context.of_type(LAUNCH_TEMPLATE)
                 if f"{t.name}-id" == _template_id(resource.inputs)]  # fmt: skip
    instance_type = templates[0].inputs.get("instanceType") if templates else None
    yield from _instances(resource, context, instance_type, count, "instances")


def instance(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    yield from _instances(resource, context, resource.inputs.get("instanceType"), 1, "instance")
    root = resource.inputs.get("rootBlockDevice")
    yield from _volume(resource, context, root if isinstance(root, dict) else {}, 1, "root volume")
    for volume in resource.inputs.get("ebsBlockDevices") or []:
        yield from _volume(resource, context, volume, 1, "EBS volume")
    if resource.inputs.get("monitoring") in (True, "true"):
        yield _detailed_monitoring(resource, context, 1)


def ebs_volume(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    yield from _volume(resource, context, dict(resource.inputs), 1, "volume")


def capacity_reservation(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    if resource.cluster is not None:  # billed with the cluster's nodes
        return
    count = _number(resource.inputs.get("instanceCount"), "instanceCount")
    yield from _instances(resource, context, resource.inputs.get("instanceType"), count,
                          "reserved instances (billed whether used or not)")  # fmt: skip


LCU_BASIS = ("assumption: 1 capacity unit every hour (one LCU: 800 new TCP connections/s, 100,000 "
             "active connections or 1 GB/h processed); the traffic is unknown offline")  # fmt: skip


def load_balancer(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    kind = resource.inputs.get("loadBalancerType") or "application"
    prefix = {"network": "nlb", "application": "alb"}.get(kind)
    if prefix is None:
        yield Unpriced(resource.name, resource.type, f"{kind} load balancer: no price rule")
        return
    yield _line(resource, context, f"{prefix}-hour", H, f"{kind} load balancer")
    yield _line(resource, context, f"{prefix}-lcu-hour", H, "capacity units (estimate)", LCU_BASIS)
    if resource.inputs.get("internal") not in (True, "true"):
        zones = _count(resource.inputs.get("subnets") or resource.inputs.get("subnetMappings"),
                       "subnets")
        yield _line(resource, context, "public-ipv4-hour", H * max(zones, 1),
                    "public IPv4 addresses (one per zone)")  # fmt: skip


def nat_gateway(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    yield _line(resource, context, "nat-gateway-hour", H, "NAT gateway")
    gateways = len(context.of_type(resource.type))
    weights_gb = sum(c.weights_gib * c.nodes for c in context.clusters.values()) * GB_PER_GIB
    if weights_gb and not _s3_gateway_endpoint(context):
        yield _line(resource, context, "nat-gateway-gb", weights_gb / gateways,
                    "data processed: the weights' download (known traffic)",
                    f"each node downloads its model's weights from S3 once a month (a launch per "
                    f"node: rollouts and scale-outs add more), split over {gateways} NAT "
                    "gateway(s); no S3 gateway endpoint in the plan")  # fmt: skip
    yield _usage(resource, context, "nat-gateway-gb", "data processed: other traffic")


def _s3_gateway_endpoint(context: Context) -> bool:
    return any(
        str(e.inputs.get("serviceName", "")).endswith(".s3")
        and (e.inputs.get("vpcEndpointType") or "Gateway") == "Gateway"
        for e in context.of_type(VPC_ENDPOINT)
    )


def vpc_endpoint(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    kind = resource.inputs.get("vpcEndpointType") or "Gateway"
    if kind == "Gateway":
        return  # S3 and DynamoDB gateway endpoints bill nothing
    if kind == "Interface":
        zones = _count(resource.inputs.get("subnetIds"), "subnetIds") or 1
        yield _line(resource, context, "vpc-endpoint-interface-hour", H * zones,
                    f"interface endpoint ({zones} zone(s))")  # fmt: skip
    else:
        yield _line(resource, context, "vpc-endpoint-gwlb-hour", H, f"{kind} endpoint")


def elastic_ip(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    yield _line(resource, context, "public-ipv4-hour", H, "public IPv4 address")


def kms_key(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    yield _line(resource, context, "kms-key-month", 1, "customer managed key")
    yield _usage(resource, context, "kms-requests-10k", "requests")


def metric_alarm(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    queries = [q["metric"] for q in resource.inputs.get("metricQueries") or []
               if isinstance(q, dict) and isinstance(q.get("metric"), dict)]  # fmt: skip
    metrics = len(queries) or 1  # an expression bills nothing; each metric it reads does
    periods = [q.get("period") for q in queries] + [resource.inputs.get("period")]
    high = any(isinstance(p, int | float) and p < 60 for p in periods)
    if resource.inputs.get("thresholdMetricId"):
        metrics = ANOMALY_DETECTION_METRICS
    resolution = "high-resolution" if high else "standard"
    yield _line(resource, context, f"alarm-metric-{resolution}-month", metrics,
                f"alarm ({metrics} metric(s), {resolution.replace('-', ' ')})")  # fmt: skip


def dashboard(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    yield _line(resource, context, "dashboard-month", 1, "dashboard (3 free per account)")


def log_group(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    for bill in context.clusters.values():
        if bill.log_group and bill.log_group == resource.inputs.get("name"):
            gb = bill.log_gb_per_node_month * bill.nodes
            yield _line(resource, context, "logs-ingestion-gb", gb,
                        "ingestion: the CloudWatch agent's metric events",
                        f"{bill.log_gb_per_node_month * 1e3:.1f} MB per node a month: the events "
                        "of the series the agent turns into metrics, every scrape "
                        "(documents/cloudwatch_agent.py); the other gauges and counters vLLM "
                        "serves travel too, not counted")  # fmt: skip
            break
    else:
        yield _usage(resource, context, "logs-ingestion-gb", "ingestion")
    yield _usage(resource, context, "logs-storage-gb-month", "storage")


def per_month(item: str, what: str) -> Rule:
    def rule(resource: PlannedResource, context: Context) -> Iterator[Entry]:
        yield _line(resource, context, item, 1, what)

    return rule


def ssm_parameter(resource: PlannedResource, context: Context) -> Iterator[Entry]:
    if resource.inputs.get("tier") in ("Advanced", "Intelligent-Tiering"):
        yield _line(resource, context, "ssm-advanced-parameter-month", 1, "advanced parameter")


def usage_only(what: str) -> Rule:
    def rule(resource: PlannedResource, context: Context) -> Iterator[Entry]:
        yield UsageLine(resource.name, resource.type, what, "", None, None, None)

    return rule


RULES: dict[str, Rule] = {
    NEURON_SERVING_CLUSTER: cluster,
    LAUNCH_TEMPLATE: launch_template,
    AUTO_SCALING_GROUP: auto_scaling_group,
    INSTANCE: instance,
    EBS_VOLUME: ebs_volume,
    CAPACITY_RESERVATION: capacity_reservation,
    LOAD_BALANCER: load_balancer,
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    VPC_ENDPOINT: vpc_endpoint,
    "aws:ec2/eip:Eip": elastic_ip,
    KMS_KEY: kms_key,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:secretsmanager/secret:Secret": per_month("secretsmanager-secret-month", "secret"),
    "aws:route53/zone:Zone": per_month("route53-zone-month", "hosted zone"),
    SSM_PARAMETER: ssm_parameter,
    "aws:s3/bucket:Bucket": usage_only("storage and requests"),
    "aws:s3/bucketV2:BucketV2": usage_only("storage and requests"),
    # The node agent's archive (~100 KB) bills as storage of the bucket it is in, and its reads.
    "aws:s3/bucketObjectv2:BucketObjectv2": usage_only("storage in its bucket and requests"),
    "aws:ecr/repository:Repository": usage_only("storage of its images and data transfer"),
    "aws:sns/topic:Topic": usage_only("requests and notifications"),
}
