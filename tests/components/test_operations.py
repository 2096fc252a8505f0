"""Rollout, warm pool, capacity modes, scaling, monitoring and access: resources and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graviton_llm.components.parts.auto_scaling import refresh_healthy_percentages
from graviton_llm.node_agent import paths as node_agent_paths
from graviton_llm.node_agent.paths import LIFECYCLE_HOOK_NAME
from support import KMS_KEY, assert_refused, build_cluster, cluster_args

ASG = "aws:autoscaling/group:Group"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def _asg(result):
    return result.one(ASG).inputs


def _alarms(result):
    return {a.inputs["name"].rsplit("-llm-", 1)[-1]: a.inputs for a in result.of_type(ALARM)}


@pytest.mark.parametrize(
    ("nodes", "expected"), [(1, (100, 200)), (2, (50, 100)), (3, (66, 100)), (10, (90, 100))]
)
def test_refresh_replaces_one_node_at_a_time(nodes, expected):
    assert refresh_healthy_percentages(nodes) == expected


def _refresh_request(result):
    (refresh,) = result.of_type("pulumi-python:dynamic:Resource")
    return refresh.inputs["request"], refresh


def test_a_rollout_carries_the_new_version_and_rolls_back_on_the_alarms(inf2_cluster):
    request, refresh = _refresh_request(inf2_cluster)
    # The group keeps the version it runs; the refresh carries the new one (a rollback then
    # restores the old), and the provider's own refresh is not used.
    assert "instanceRefresh" not in _asg(inf2_cluster)
    assert inf2_cluster.one(ASG).ignore_changes == ["desiredCapacity", "launchTemplate.version"]
    assert request["AutoScalingGroupName"] == "llm-asg" and request["Strategy"] == "Rolling"
    assert request["DesiredConfiguration"] == {
        "LaunchTemplate": {"LaunchTemplateId": "llm-lt-id", "Version": "1"}
    }
    prefs = request["Preferences"]
    assert prefs["AutoRollback"] is True and prefs["SkipMatching"] is True
    assert (prefs["MinHealthyPercentage"], prefs["MaxHealthyPercentage"]) == (66, 100)
    # Counted from InService, when the node already serves: the NLB's verdict, not the boot.
    assert prefs["InstanceWarmup"] == 180
    names = {a.inputs["name"] for a in inf2_cluster.of_type(ALARM)}
    assert prefs["AlarmSpecification"]["Alarms"] == [
        "graviton-llm-test-llm-error-rate",
        "graviton-llm-test-llm-unhealthy-hosts",
    ]
    assert set(prefs["AlarmSpecification"]["Alarms"]) <= names
    # The alarms it names exist before it can start.
    assert {a.urn for a in inf2_cluster.of_type(ALARM)} <= set(refresh.dependencies)


def test_alarms_without_auto_rollback_still_bake():
    # Without AutoRollback an alarm still fails the refresh, but only while it is open: the
    # last node needs the same bake time. Before, BakeTime was 0 then.
    result = build_cluster(cluster_args(rollout={"auto_rollback": False}))
    prefs = _refresh_request(result)[0]["Preferences"]
    assert prefs["AutoRollback"] is False and prefs["AlarmSpecification"]["Alarms"]
    assert prefs["BakeTime"] == 300


def test_a_spot_rollout_carries_the_mixed_instances_policy():
    result = build_cluster(
        cluster_args(
            capacity_mode="spot_with_on_demand_base",
            spot={"on_demand_base_capacity": 1, "instance_types": ["inf2.xlarge"]},
        )
    )
    request, _ = _refresh_request(result)
    policy = request["DesiredConfiguration"]["MixedInstancesPolicy"]
    assert policy["LaunchTemplate"]["Overrides"] == [
        {"InstanceType": "inf2.8xlarge"},
        {"InstanceType": "inf2.xlarge"},
    ]
    assert policy["InstancesDistribution"]["OnDemandBaseCapacity"] == 1
    assert result.one(ASG).ignore_changes == [
        "desiredCapacity",
        "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.version",
    ]


@pytest.mark.slow
def test_without_rollouts_pulumi_updates_the_version_itself():
    result = build_cluster(cluster_args(rollout={"enabled": False}))
    assert result.of_type("pulumi-python:dynamic:Resource") == []
    assert result.one(ASG).ignore_changes == ["desiredCapacity"]


def test_error_rate_alarm_is_vllm_5xx_over_all_responses_above_1_percent(inf2_cluster):
    alarm = _alarms(inf2_cluster)["error-rate"]
    assert alarm["threshold"] == 1.0 and alarm["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm["evaluationPeriods"] == 3
    queries = {q["id"]: q for q in alarm["metricQueries"]}
    assert queries["e5xx"]["metric"]["dimensions"] == {
        "AutoScalingGroupName": "llm-asg",
        "status": "5xx",
    }
    assert "100 * FILL(e5xx, 0)" in queries["rate"]["expression"]
    assert queries["rate"]["returnData"] is True


def test_host_health_alarms_watch_the_nlb_target_group(inf2_cluster):
    alarms = _alarms(inf2_cluster)
    unhealthy = alarms["unhealthy-hosts"]["metricQueries"][0]["metric"]
    assert unhealthy["namespace"] == "AWS/NetworkELB"
    assert unhealthy["metricName"] == "UnHealthyHostCount"
    assert unhealthy["dimensions"]["TargetGroup"].startswith("targetgroup/llm-tg/")
    assert alarms["unhealthy-hosts"]["threshold"] == 0
    assert alarms["no-healthy-hosts"]["threshold"] == 1
    assert alarms["no-healthy-hosts"]["treatMissingData"] == "breaching"


def test_device_memory_alarm_at_85_percent_of_the_cores_in_use(inf2_cluster):
    alarm = _alarms(inf2_cluster)["device-memory"]
    assert alarm["threshold"] == 85.0
    (percent,) = [q for q in alarm["metricQueries"] if q.get("expression")]
    # inf2.8xlarge at TP=2: 2 cores x 16 GiB
    assert percent["expression"] == f"100 * used / {32 * 1024**3}"


@pytest.mark.slow
def test_cpu_nodes_have_no_device_memory_alarm():
    result = build_cluster(cluster_args(instance_type="r8g.8xlarge"))
    assert "device-memory" not in _alarms(result)
    assert len(_alarms(result)) == 5


@pytest.mark.slow
def test_alarms_go_to_an_encrypted_sns_topic_with_email_subscriptions():
    result = build_cluster(
        cluster_args(monitoring={"alarm_topic": True, "alarm_emails": ["oncall@example.com"]})
    )
    topic = result.one("aws:sns/topic:Topic")
    key = result.one("aws:kms/key:Key")
    # A customer managed key CloudWatch may use: with aws/sns, alarms are silently dropped.
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    statements = json.loads(key.inputs["policy"])["Statement"]
    (cloudwatch,) = [
        s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    subscription = result.one("aws:sns/topicSubscription:TopicSubscription").inputs
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "oncall@example.com")
    for alarm in _alarms(result).values():
        assert alarm["alarmActions"] == [topic.outputs["arn"]]


def test_dashboard_shows_load_errors_latency_health_and_device_memory(inf2_cluster):
    dashboard = inf2_cluster.one("aws:cloudwatch/dashboard:Dashboard").inputs
    titles = [w["properties"]["title"] for w in json.loads(dashboard["dashboardBody"])["widgets"]]
    assert len(titles) == 5 and any("device memory" in t for t in titles)


def test_warm_pool_keeps_prepared_stopped_instances_and_reuses_on_scale_in():
    result = build_cluster(cluster_args(warm_pool={"min_size": 2}))
    pool = _asg(result)["warmPool"]
    assert pool["poolState"] == "Stopped" and pool["minSize"] == 2
    assert pool["instanceReusePolicy"] == {"reuseOnScaleIn": True}


def _node_config(result) -> dict:
    """The node config in the cluster's user data."""
    line = next(x for x in result.value.user_data.splitlines() if x.startswith("{"))
    return json.loads(line)


def test_every_node_holds_its_launch_lifecycle_hook_until_it_serves(inf2_cluster):
    (hook,) = _asg(inf2_cluster)["initialLifecycleHooks"]
    assert hook["name"] == LIFECYCLE_HOOK_NAME
    assert hook["lifecycleTransition"] == "autoscaling:EC2_INSTANCE_LAUNCHING"
    assert hook["defaultResult"] == "ABANDON"
    assert hook["heartbeatTimeout"] == 900  # a silent node is replaced after 15 minutes
    # A working node keeps it open: the agent heartbeats every 5 minutes (the boot sandbox
    # shows the calls) and completes this hook once vLLM serves.
    assert _node_config(inf2_cluster)["heartbeat_seconds"] == 300
    assert f'LIFECYCLE_HOOK_NAME = "{LIFECYCLE_HOOK_NAME}"' in (
        Path(node_agent_paths.__file__).read_text()
    )
    lt = inf2_cluster.one("aws:ec2/launchTemplate:LaunchTemplate").inputs
    assert lt["metadataOptions"]["instanceMetadataTags"] == "enabled"


@pytest.mark.slow
def test_spot_mode_uses_a_mixed_policy_with_an_on_demand_floor():
    result = build_cluster(
        cluster_args(
            capacity_mode="spot_with_on_demand_base",
            spot={"on_demand_base_capacity": 1, "instance_types": ["inf2.xlarge"]},
        )
    )
    asg = _asg(result)
    assert "launchTemplate" not in asg
    assert asg["capacityRebalance"] is True
    policy = asg["mixedInstancesPolicy"]
    assert policy["instancesDistribution"] == {
        "onDemandBaseCapacity": 1,
        "onDemandPercentageAboveBaseCapacity": 0,
        "spotAllocationStrategy": "capacity-optimized",
    }
    overrides = [o["instanceType"] for o in policy["launchTemplate"]["overrides"]]
    assert overrides == ["inf2.8xlarge", "inf2.xlarge"]
    assert policy["launchTemplate"]["launchTemplateSpecification"]["version"] == "1"


@pytest.mark.slow
def test_reserved_mode_runs_only_in_the_reservations():
    result = build_cluster(
        cluster_args(
            capacity_mode="reserved",
            capacity={"availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"]},
        )
    )
    spec = _asg(result)["capacityReservationSpecification"]
    assert spec["capacityReservationPreference"] == "capacity-reservations-only"


@pytest.mark.slow
def test_target_tracking_on_vllm_queue_depth_with_boot_protection():
    result = build_cluster(
        cluster_args(
            min_size=1,
            max_size=4,
            desired_capacity=1,
            scaling={"mode": "target_tracking", "target_value": 2},
        )
    )
    policy = result.one("aws:autoscaling/policy:Policy").inputs
    assert policy["policyType"] == "TargetTrackingScaling"
    metric = policy["targetTrackingConfiguration"]["customizedMetricSpecification"]
    assert metric["metricName"] == "vllm:num_requests_waiting"
    assert metric["namespace"] == "GravitonLLM" and metric["statistic"] == "Average"
    assert metric["metricDimensions"] == [{"name": "AutoScalingGroupName", "value": "llm-asg"}]
    assert policy["targetTrackingConfiguration"]["targetValue"] == 2
    asg = _asg(result)
    assert asg["protectFromScaleIn"] is True
    assert asg["defaultInstanceWarmup"] == 180
    assert _node_config(result)["unprotect_on_release"] is True


def test_fixed_size_has_no_scaling_policy_and_no_protection(inf2_cluster):
    assert inf2_cluster.of_type("aws:autoscaling/policy:Policy") == []
    assert "protectFromScaleIn" not in _asg(inf2_cluster)
    assert _node_config(inf2_cluster)["unprotect_on_release"] is False


@pytest.mark.slow
def test_node_permissions_are_scoped_to_the_group_and_the_api_key():
    key = "arn:aws:kms:us-east-1:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321"
    result = build_cluster(
        cluster_args(api_key_ssm_parameter="/llm/dev/api-key", api_key_kms_key_arn=key)
    )
    statements = json.loads(result.named("llm-node-ops").inputs["policy"])["Statement"]
    release, read_key, decrypt = statements
    assert release["Resource"].endswith("autoScalingGroupName/llm-asg")
    assert "autoscaling:RecordLifecycleActionHeartbeat" in release["Action"]
    assert read_key == {
        "Sid": "ReadApiKey",
        "Effect": "Allow",
        "Action": "ssm:GetParameter",
        "Resource": "arn:aws:ssm:us-east-1:123456789012:parameter/llm/dev/api-key",
    }
    assert decrypt["Action"] == "kms:Decrypt" and decrypt["Resource"] == key
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}
    }


def test_without_an_api_key_the_node_reads_no_parameter(inf2_cluster):
    statements = json.loads(inf2_cluster.named("llm-node-ops").inputs["policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["ReleaseOwnNode"]


def test_environment_and_owner_tag_every_taggable_resource():
    result = build_cluster(cluster_args(environment="prod", owner="search-team"))
    tagged = [r for r in result.resources if isinstance(r.inputs.get("tags"), dict)]
    assert len(tagged) >= 10
    for resource in tagged:
        assert resource.inputs["tags"]["Environment"] == "prod", resource.name
        assert resource.inputs["tags"]["Owner"] == "search-team", resource.name
    asg_tags = {t["key"]: t["value"] for t in _asg(result)["tags"]}
    assert asg_tags["Environment"] == "prod"


def test_monitoring_off_removes_alarms_and_needs_rollback_off():
    result = build_cluster(
        cluster_args(monitoring={"enabled": False}, rollout={"auto_rollback": False})
    )
    assert result.of_type(ALARM) == []
    request, _ = _refresh_request(result)
    assert "AlarmSpecification" not in request["Preferences"]


REFUSED = [
    pytest.param(
        {"capacity_mode": "spot_with_on_demand_base", "warm_pool": {"min_size": 1}},
        "warm_pool",
        "cannot hold Spot",
        id="warm-pool-with-spot",
    ),
    pytest.param(
        {
            "capacity_mode": "spot_with_on_demand_base",
            "capacity": {"availability_zones": ["us-east-1a"]},
        },
        "capacity",
        "Spot cannot use them",
        id="spot-with-reservations",
    ),
    pytest.param(
        {"capacity_mode": "reserved"},
        "capacity_mode",
        "set capacity",
        id="reserved-without-reservations",
    ),
    pytest.param(
        {"capacity_mode": "spot_with_on_demand_base", "spot": {"instance_types": ["r8g.8xlarge"]}},
        "spot.instance_types.0",
        "cannot mix",
        id="mixed-accelerators",
    ),
    pytest.param(
        {
            "capacity_mode": "spot_with_on_demand_base",
            "spot": {"instance_types": ["inf2.24xlarge"]},
        },
        "spot.instance_types.0",
        "12 NeuronCores",
        id="mixed-core-counts",
    ),
    pytest.param(
        {
            "capacity_mode": "spot_with_on_demand_base",
            "instance_type": "trn1.32xlarge",
            "spot": {"instance_types": ["trn2.48xlarge"]},
        },
        "spot.instance_types.0",
        "another vLLM image",
        id="mixed-serving-stacks",
    ),
    pytest.param(
        {"spot": {"instance_types": ["inf2.xlarge"]}},
        "spot.instance_types",
        "only used with",
        id="spot-types-without-spot",
    ),
    pytest.param(
        {"scaling": {"mode": "target_tracking"}},
        "scaling.mode",
        "room to scale",
        id="target-tracking-fixed-size",
    ),
    pytest.param(
        {"warm_pool": {"max_group_prepared_capacity": 1}},
        "warm_pool.max_group_prepared_capacity",
        ">= max_size",
        id="pool-cap-below-max",
    ),
    pytest.param(
        {"monitoring": {"alarm_emails": ["a@example.com"]}},
        "monitoring.alarm_emails",
        "alarm_topic",
        id="emails-without-topic",
    ),
    pytest.param(
        {"monitoring": {"enabled": False}},
        "rollout.auto_rollback",
        "enable monitoring",
        id="rollback-without-alarms",
    ),
    pytest.param(
        {"rollout": {"error_rate_percent": 0}},
        "rollout.error_rate_percent",
        "greater than 0",
        id="zero-error-rate",
    ),
    pytest.param(
        {"api_key_ssm_parameter": "api-key"},
        "api_key_ssm_parameter",
        "starting with '/'",
        id="api-key-not-a-parameter-name",
    ),
    pytest.param(
        {"capacity_mode": "reserved", "capacity": {"availability_zones": ["us-east-1a"]}},
        "capacity.instances_per_zone",
        "1 reserved, 3 needed",
        id="reserved-mode-with-too-few-reservations",
    ),
    pytest.param(
        {
            "capacity_mode": "reserved",
            "capacity": {"availability_zones": ["us-east-1a"]},
            "min_size": 1,
            "max_size": 1,
            "desired_capacity": 1,
        },
        "capacity.instances_per_zone",
        "plus one for a one-node rollout",
        id="reserved-single-node-rollout-needs-a-spare",
    ),
    pytest.param(
        {"api_key_kms_key_arn": KMS_KEY},
        "api_key_kms_key_arn",
        "only used with",
        id="api-key-kms-without-parameter",
    ),
    pytest.param(
        # Before: accepted, and every rolling `pulumi up` failed on its timeout.
        {
            "desired_capacity": 8,
            "max_size": 8,
            "rollout": {"wait": True, "wait_timeout_minutes": 20},
        },
        "rollout.wait_timeout_minutes",
        "a rollout of 8 node(s) takes about",
        id="wait-shorter-than-a-rollout",
    ),
]


def test_a_wait_that_outlasts_the_rollout_is_accepted():
    rollout = {"wait": True, "wait_timeout_minutes": 180}
    build_cluster(cluster_args(min_size=2, desired_capacity=2, max_size=2, rollout=rollout))


@pytest.mark.parametrize(("overrides", "field", "words"), REFUSED)
def test_impossible_operations_combinations_are_refused_and_create_nothing(overrides, field, words):
    assert_refused(overrides, field, words)


@pytest.mark.slow
def test_the_launch_hook_does_not_depend_on_the_model():
    """Created once with the group (pulumi-aws applies initial_lifecycle_hooks only then), so it
    must fit any later model: heartbeats, not a cold-start-sized timeout, keep it open."""
    small = _asg(build_cluster(cluster_args()))["initialLifecycleHooks"]
    big = _asg(
        build_cluster(
            cluster_args(
                instance_type="inf2.48xlarge",
                model={"id": "meta-llama/Llama-3.3-70B-Instruct"},
                max_num_batched_tokens=4096,
            )
        )
    )["initialLifecycleHooks"]
    assert small == big
