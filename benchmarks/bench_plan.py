"""Benchmark (not a test): `plan` of the prod stack vs the same resources in raw pulumi_aws.

Both run in this one process under the same in-process mocks (graviton_llm.testing.run_program).
"ours" is what `graviton-llm plan --stack prod --json` does: read the stack file, validate the
args, render user data, declare the components and their resources, run the security checks and
build the JSON document. "raw" declares the same 23 AWS resources with direct pulumi_aws calls and
hard-coded inputs (user data and policy texts prepared outside the timed region, as a raw stack
would keep them in files), and nothing else.

    .venv/bin/python benchmarks/bench_plan.py [--repeat N]

Prints resource count and wall time of each (median of N after one warm-up each) and the ratio.
Target: ours <= 1.5 x raw.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import time

import pulumi
import pulumi_aws as aws

from graviton_llm.plan import build_plan, to_json
from graviton_llm.policies import weights_read_policy
from graviton_llm.testing import run_program

NAME = "llm-prod"
VPC = "vpc-0f000000000000001"
SUBNETS = ["subnet-0f00000000000000a", "subnet-0f00000000000000b"]
TAGS = {"Environment": "prod", "Owner": "platform-team", "ManagedBy": "graviton-llm"}


def raw_program(user_data_b64: str, policy: str) -> None:
    vpc = aws.ec2.get_vpc_output(id=VPC)
    sg = aws.ec2.SecurityGroup(
        f"{NAME}-security-sg",
        description="VPC-internal vLLM serving",
        vpc_id=VPC,
        ingress=[
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=8000, to_port=8000, cidr_blocks=["10.0.0.0/8"]
            ),
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=9100, to_port=9100, cidr_blocks=["10.0.0.0/8"]
            ),
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=8000, to_port=8000, cidr_blocks=[vpc.cidr_block]
            ),
        ],
        egress=[
            aws.ec2.SecurityGroupEgressArgs(
                protocol="tcp", from_port=443, to_port=443, cidr_blocks=["0.0.0.0/0"]
            )
        ],
        tags=TAGS,
    )
    role = aws.iam.Role(
        f"{NAME}-security-role",
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
        tags=TAGS,
        opts=pulumi.ResourceOptions(protect=True),
    )
    for short, arn in (
        ("ssm", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
        ("cloudwatch", "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"),
    ):
        aws.iam.RolePolicyAttachment(f"{NAME}-security-{short}", role=role.name, policy_arn=arn)
    profile = aws.iam.InstanceProfile(f"{NAME}-security-profile", role=role.name, tags=TAGS)
    aws.iam.RolePolicy(f"{NAME}-weights-read", role=role.name, policy=policy)
    reservations = [
        aws.ec2.CapacityReservation(
            f"{NAME}-capacity-{zone}",
            instance_type="inf2.48xlarge",
            instance_platform="Linux/UNIX",
            availability_zone=zone,
            instance_count=1,
            instance_match_criteria="targeted",
            end_date_type="unlimited",
            tags=TAGS,
        )
        for zone in ("us-east-1a", "us-east-1b", "us-east-1c")
    ]
    ami = aws.ssm.get_parameter_output(
        name="/aws/service/neuron/dlami/base/ubuntu-24.04/latest/image_id"
    )
    lt = aws.ec2.LaunchTemplate(
        f"{NAME}-lt",
        image_id=ami.insecure_value,
        instance_type="inf2.48xlarge",
        iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
        vpc_security_group_ids=[sg.id],
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
        ),
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda",
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=320, volume_type="gp3", encrypted="true"
                ),
            )
        ],
        monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
        user_data=user_data_b64,
        update_default_version=True,
        tags=TAGS,
    )
    nlb = aws.lb.LoadBalancer(
        f"{NAME}-nlb", internal=True, load_balancer_type="network", subnets=SUBNETS, tags=TAGS
    )
    tg = aws.lb.TargetGroup(
        f"{NAME}-tg",
        port=8000,
        protocol="TCP",
        vpc_id=VPC,
        health_check=aws.lb.TargetGroupHealthCheckArgs(protocol="HTTP", path="/health"),
        tags=TAGS,
    )
    aws.lb.Listener(
        f"{NAME}-listener",
        load_balancer_arn=nlb.arn,
        port=8000,
        protocol="TCP",
        default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=tg.arn)],
    )
    aws.autoscaling.Group(
        f"{NAME}-asg",
        vpc_zone_identifiers=SUBNETS,
        min_size=3,
        max_size=3,
        desired_capacity=3,
        launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
            id=lt.id, version=lt.latest_version.apply(str)
        ),
        health_check_type="ELB",
        health_check_grace_period=2880,
        target_group_arns=[tg.arn],
        capacity_reservation_specification=aws.autoscaling.GroupCapacityReservationSpecificationArgs(
            capacity_reservation_preference="capacity-reservations-first",
            capacity_reservation_target=aws.autoscaling.GroupCapacityReservationSpecificationCapacityReservationTargetArgs(
                capacity_reservation_ids=[r.id for r in reservations]
            ),
        ),
        initial_lifecycle_hooks=[
            aws.autoscaling.GroupInitialLifecycleHookArgs(
                name="graviton-llm-boot",
                lifecycle_transition="autoscaling:EC2_INSTANCE_LAUNCHING",
                heartbeat_timeout=900,
                default_result="ABANDON",
            )
        ],
        instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(
            strategy="Rolling",
            preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
                min_healthy_percentage=66,
                max_healthy_percentage=100,
                instance_warmup="180",
                auto_rollback=True,
                alarm_specification=aws.autoscaling.GroupInstanceRefreshPreferencesAlarmSpecificationArgs(
                    alarms=[f"{NAME}-error-rate", f"{NAME}-unhealthy-hosts"]
                ),
            ),
        ),
        opts=pulumi.ResourceOptions(ignore_changes=["desired_capacity"]),
    )
    asg_name = f"{NAME}-asg"
    aws.iam.RolePolicy(
        f"{NAME}-node-ops",
        role=role.name,
        policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["autoscaling:CompleteLifecycleAction"],
                        "Resource": f"arn:aws:autoscaling:us-east-1:1:{asg_name}",
                    }
                ],
            }
        ),
    )
    key = aws.kms.Key(f"{NAME}-alarms-key", enable_key_rotation=True, tags=TAGS)
    topic = aws.sns.Topic(f"{NAME}-alarms", kms_master_key_id=key.arn, tags=TAGS)
    for alarm in ("error-rate", "unhealthy-hosts", "no-healthy-hosts", "latency", "device-memory"):
        aws.cloudwatch.MetricAlarm(
            f"{NAME}-{alarm}",
            name=f"{NAME}-{alarm}",
            comparison_operator="GreaterThanThreshold",
            threshold=1,
            evaluation_periods=3,
            metric_queries=[
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="m",
                    return_data=True,
                    metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                        metric_name=alarm,
                        namespace="GravitonLLM",
                        dimensions={"AutoScalingGroupName": asg_name},
                        stat="Maximum",
                        period=60,
                    ),
                )
            ],
            alarm_actions=[topic.arn],
            tags=TAGS,
        )
    aws.cloudwatch.Dashboard(
        f"{NAME}-dashboard", dashboard_name=NAME, dashboard_body=json.dumps({"widgets": []})
    )
    pulumi.export("endpoint", pulumi.Output.concat("http://", nlb.dns_name, ":8000"))


def ours() -> int:
    plan = build_plan("prod")
    to_json(plan.document())
    return len(plan.result.resources)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    reference = build_plan("prod")  # also warms imports and caches for both sides
    user_data_b64 = base64.b64encode(reference.user_data.encode()).decode()
    policy = json.dumps(
        weights_read_policy("s3://example-prod-model-weights/llama-3.3-70b-instruct/")
    )

    def raw() -> int:
        return len(run_program(lambda: raw_program(user_data_b64, policy)).resources)

    raw()
    times: dict[str, list[float]] = {"ours": [], "raw": []}
    counts = {}
    for _ in range(options.repeat):  # interleaved, so drift hits both sides alike
        for label, run in (("ours", ours), ("raw", raw)):
            start = time.perf_counter()
            counts[label] = run()
            times[label].append(time.perf_counter() - start)

    medians = {label: statistics.median(values) for label, values in times.items()}
    custom = len([r for r in reference.result.resources if r.custom])
    print(f"repeats: {options.repeat} each, interleaved, after one warm-up run each")
    print(
        f"ours (graviton-llm plan, prod): {counts['ours']} resources "
        f"({custom} AWS + {counts['ours'] - custom} components), "
        f"median {medians['ours'] * 1000:.1f} ms (min {min(times['ours']) * 1000:.1f})"
    )
    print(
        f"raw  (pulumi_aws calls):        {counts['raw']} resources, "
        f"median {medians['raw'] * 1000:.1f} ms (min {min(times['raw']) * 1000:.1f})"
    )
    ratio = medians["ours"] / medians["raw"]
    verdict = "within" if ratio <= 1.5 else "OVER"
    print(f"ratio ours/raw: {ratio:.2f}x ({verdict} the 1.5x target)")


if __name__ == "__main__":
    main()
