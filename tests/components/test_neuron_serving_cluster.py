from __future__ import annotations

import base64
import json

import pytest

from graviton_llm import NeuronServingClusterArgs, render_user_data
from graviton_llm.facts.images import AL2023_ARM64_AMI_PARAMETER, NEURON_BASE_AMI_PARAMETER
from graviton_llm.node.agent_location import agent_location
from graviton_llm.testing import MOCK_AMI_ID, MOCK_VPC_CIDR, resolve, run_program
from graviton_llm.testing.answers import mock_id
from support import KMS_KEY, build_cluster, cluster_args

LT = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
NLB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
SUBNET = "aws:ec2/subnet:Subnet"


def test_cluster_exposes_its_parts_and_an_internal_endpoint(inf2_cluster):
    cluster = inf2_cluster.value
    for attribute in (
        "security_group",
        "role",
        "instance_profile",
        "launch_template",
        "auto_scaling_group",
        "load_balancer",
        "target_group",
    ):
        assert getattr(cluster, attribute) is not None, attribute
    assert resolve(cluster.endpoint) == "http://internal-llm-nlb.elb.us-east-1.amazonaws.com:8000"


def test_launch_template_requires_imdsv2_and_encrypts_a_gp3_root_volume(inf2_cluster):
    lt = inf2_cluster.one(LT).inputs
    assert lt["metadataOptions"]["httpTokens"] == "required"
    (root,) = lt["blockDeviceMappings"]
    assert root["ebs"]["encrypted"] == "true"
    assert root["ebs"]["volumeType"] == "gp3"
    # image (2 x 12 GiB) + 15 GiB weights + 15 GiB compiled artifacts + 30 GiB OS, rounded up
    assert root["ebs"]["volumeSize"] == 90
    assert lt["monitoring"] == {"enabled": True}


def test_launch_template_tags_instances_and_volumes(inf2_cluster):
    specs = inf2_cluster.one(LT).inputs["tagSpecifications"]
    assert {s["resourceType"] for s in specs} == {"instance", "volume"}
    assert all(s["tags"]["ManagedBy"] == "graviton-llm" for s in specs)


@pytest.mark.slow
def test_ami_is_resolved_from_ssm_at_deploy_time_never_resolve_ssm():
    seen = []

    def lookup(args):
        seen.append(args["name"])
        return {"name": args["name"], "value": MOCK_AMI_ID, "insecureValue": MOCK_AMI_ID}

    calls = {"aws:ssm/getParameter:getParameter": lookup}
    neuron = build_cluster(cluster_args(), calls=calls)
    cpu = build_cluster(cluster_args(instance_type="r8g.4xlarge"), calls=calls)
    assert seen == [NEURON_BASE_AMI_PARAMETER, AL2023_ARM64_AMI_PARAMETER]
    for result in (neuron, cpu):
        assert result.one(LT).inputs["imageId"] == MOCK_AMI_ID


def test_explicit_ami_id_skips_the_lookup():
    def refuse(args):
        raise AssertionError("no SSM lookup expected")

    result = build_cluster(
        cluster_args(ami_id="ami-0fedcba9876543210"),
        calls={"aws:ssm/getParameter:getParameter": refuse},
    )
    assert result.one(LT).inputs["imageId"] == "ami-0fedcba9876543210"


def test_user_data_is_the_pure_renderer_output(inf2_cluster):
    encoded = inf2_cluster.one(LT).inputs["userData"]
    # The cluster's own metrics log group ("<project>-<stack>-<name>"), which it creates.
    log_group = "/graviton-llm/graviton-llm-test-llm/metrics"
    assert inf2_cluster.one("aws:cloudwatch/logGroup:LogGroup").inputs["name"] == log_group
    args = NeuronServingClusterArgs.model_validate(cluster_args())
    agent = agent_location(args, "us-east-1")  # the deploy region: the weights bucket's too
    assert inf2_cluster.value.node_agent == agent
    expected = render_user_data(args, metrics_log_group=log_group, agent=agent)
    # As it is: no compression, so its bytes depend on nothing but the args and the agent
    assert base64.b64decode(encoded).decode() == expected


@pytest.mark.slow
def test_asg_pins_the_launch_template_version_and_ignores_desired_capacity(inf2_cluster):
    asg = inf2_cluster.one(ASG)
    assert asg.inputs["launchTemplate"] == {"id": "llm-lt-id", "version": "1"}
    # The version changes through the rollout's refresh, never by Pulumi (test_operations.py).
    assert asg.ignore_changes == ["desiredCapacity", "launchTemplate.version"]


def test_asg_uses_elb_health_checks_from_the_moment_a_node_serves(inf2_cluster):
    asg = inf2_cluster.one(ASG).inputs
    assert asg["healthCheckType"] == "ELB"
    # The launch hook holds a node through download and compile, so the grace only covers the
    # NLB's first verdict: 2 x 3 checks x 30 s.
    assert asg["healthCheckGracePeriod"] == 180
    assert asg["targetGroupArns"] == ["arn:aws:lb:us-east-1:123456789012:llm-tg"]


@pytest.mark.parametrize("grace", [0, 60])
def test_a_user_grace_period_is_kept_and_leaves_the_launch_hook_alone(grace):
    asg = build_cluster(cluster_args(health_check_grace_seconds=grace)).one(ASG).inputs
    assert asg["healthCheckGracePeriod"] == grace
    assert asg["initialLifecycleHooks"][0]["heartbeatTimeout"] == 900


def test_asg_spans_the_private_subnets_with_3_3_3_by_default(inf2_cluster):
    asg = inf2_cluster.one(ASG).inputs
    assert asg["vpcZoneIdentifiers"] == ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
    assert (asg["minSize"], asg["maxSize"], asg["desiredCapacity"]) == (3, 3, 3)


@pytest.mark.slow
def test_asg_tags_propagate_to_instances():
    result = build_cluster(cluster_args(tags={"Environment": "dev", "Owner": "ml"}))
    tags = {t["key"]: t for t in result.one(ASG).inputs["tags"]}
    assert tags["Environment"]["value"] == "dev" and tags["Owner"]["value"] == "ml"
    # All but the stack's lookup tags, the group's own (test_stack_tags.py).
    lookup = {"graviton-llm:project", "graviton-llm:stack"}
    assert all(t["propagateAtLaunch"] for key, t in tags.items() if key not in lookup)


def test_nlb_is_internal_and_health_checks_vllm(inf2_cluster):
    nlb = inf2_cluster.one(NLB).inputs
    assert nlb["internal"] is True and nlb["loadBalancerType"] == "network"
    assert nlb["subnets"] == ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
    tg = inf2_cluster.one(TG).inputs
    assert tg["port"] == 8000 and tg["protocol"] == "TCP"
    check = tg["healthCheck"]
    assert (check["protocol"], check["path"], check["interval"], check["unhealthyThreshold"]) == (
        "HTTP",
        "/health",
        30,
        3,
    )
    listener = inf2_cluster.one("aws:lb/listener:Listener").inputs
    assert listener["port"] == 8000
    assert listener["defaultActions"][0]["type"] == "forward"


@pytest.mark.slow
def test_custom_port_flows_to_security_group_target_group_listener_and_vllm():
    result = build_cluster(cluster_args(port=8080))
    assert result.one(TG).inputs["port"] == 8080
    assert result.one("aws:lb/listener:Listener").inputs["port"] == 8080
    ingress = result.one("aws:ec2/securityGroup:SecurityGroup").inputs["ingress"]
    assert {int(r["fromPort"]) for r in ingress} == {8080}  # metrics closed by default
    assert '"--port","8080"' in result.value.user_data


@pytest.mark.slow
def test_security_group_admits_the_vpc_cidr_for_nlb_health_checks(inf2_cluster):
    ingress = inf2_cluster.one("aws:ec2/securityGroup:SecurityGroup").inputs["ingress"]
    assert any(r["cidrBlocks"] == [MOCK_VPC_CIDR] for r in ingress)


def test_every_child_has_the_cluster_as_ancestor_derived_names_and_common_tags(inf2_cluster):
    by_urn = {r.urn: r for r in inf2_cluster.resources}
    root = inf2_cluster.one("graviton-llm:cluster:NeuronServingCluster")
    for resource in inf2_cluster.resources:
        if resource is root:
            continue
        assert resource.name.startswith("llm-"), resource.name
        ancestor = by_urn.get(resource.parent_urn)
        while ancestor is not None and ancestor is not root:
            ancestor = by_urn.get(ancestor.parent_urn)
        assert ancestor is root, f"{resource.name} is not under the cluster"
        tags = resource.inputs.get("tags")
        if isinstance(tags, dict):
            assert tags["ManagedBy"] == "graviton-llm"
            assert tags["graviton-llm:component"] == "llm"


def test_only_the_role_is_protected(inf2_cluster):
    protected = [r.type for r in inf2_cluster.resources if r.protect]
    assert protected == ["aws:iam/role:Role"]


def test_cluster_accepts_outputs_from_the_teams_own_vpc():
    import pulumi_aws as aws

    from graviton_llm import NeuronServingCluster

    def program():
        vpc = aws.ec2.Vpc("team-vpc", cidr_block="10.42.0.0/16")
        subnet = aws.ec2.Subnet("team-a", vpc_id=vpc.id, cidr_block="10.42.1.0/24")
        return NeuronServingCluster("llm", cluster_args(vpc_id=vpc.id, subnet_ids=[subnet.id]))

    result = run_program(program)
    # The mocks give a VPC and a subnet ids of AWS's format (the cluster checks them).
    assert result.one(ASG).inputs["vpcZoneIdentifiers"] == [mock_id("team-a", SUBNET)]
    assert result.one(TG).inputs["vpcId"] == mock_id("team-vpc", "aws:ec2/vpc:Vpc")


@pytest.mark.slow
def test_kms_key_reaches_the_weights_policy():
    result = build_cluster(cluster_args(weights_kms_key_arn=KMS_KEY))
    policy = result.named("llm-weights-read").inputs["policy"]
    assert KMS_KEY in policy
    assert "s3.us-east-1.amazonaws.com" in policy


def test_the_volume_is_provisioned_to_match_the_s3_download(inf2_cluster):
    """S3 through the CRT client (12.5 Gb/s on an inf2.8xlarge) outruns gp3's default
    125 MiB/s: the root volume gets 1000 MiB/s, for the download and for warm starts."""
    ebs = inf2_cluster.one(LT).inputs["blockDeviceMappings"][0]["ebs"]
    assert (ebs["throughput"], ebs["iops"]) == (1000, 4000)


def test_the_launch_template_waits_for_the_nodes_grants(inf2_cluster):
    lt = inf2_cluster.one(LT)
    waits_for = {urn.rsplit("::", 1)[-1] for urn in lt.dependencies}
    assert {"llm-weights-read", "llm-security-ssm", "llm-security-cloudwatch"} <= waits_for


@pytest.mark.slow
def test_every_cidr_of_the_vpc_may_health_check_the_nodes():
    """Subnets (and so the NLB's addresses) may sit in a secondary CIDR of the VPC."""

    def vpc(args):
        associations = [
            {"cidrBlock": cidr, "associationId": f"a-{i}", "state": "associated"}
            for i, cidr in enumerate(["10.20.0.0/16", "100.64.0.0/16"])
        ]
        return {"id": args["id"], "cidrBlock": "10.20.0.0/16",
                "cidrBlockAssociations": associations}  # fmt: skip

    result = build_cluster(
        cluster_args(allowed_cidrs=["10.1.0.0/16"]), calls={"aws:ec2/getVpc:getVpc": vpc}
    )
    ingress = result.one("aws:ec2/securityGroup:SecurityGroup").inputs["ingress"]
    health = next(r for r in ingress if r["description"].startswith("NLB health checks"))
    assert health["cidrBlocks"] == ["10.20.0.0/16", "100.64.0.0/16"]


@pytest.mark.slow
def test_a_custom_ami_gets_its_own_root_device_sized_and_encrypted():
    """An Ubuntu-based AMI boots from /dev/sda1: a mapping on /dev/xvda would be a second disk
    and leave the root at the AMI's small default."""

    def ubuntu(args):
        return {"id": args["filters"][0]["values"][0], "rootDeviceName": "/dev/sda1"}

    result = build_cluster(
        cluster_args(ami_id="ami-0fedcba9876543210"), calls={"aws:ec2/getAmi:getAmi": ubuntu}
    )
    (mapping,) = result.one(LT).inputs["blockDeviceMappings"]
    assert mapping["deviceName"] == "/dev/sda1"
    assert mapping["ebs"]["encrypted"] == "true"


@pytest.mark.slow
def test_the_weights_key_is_used_through_s3_in_the_buckets_region():
    result = build_cluster(
        cluster_args(
            region="us-east-1",
            weights_kms_key_arn=KMS_KEY,
            model={"weights_region": "eu-west-1"},
        )
    )
    policy = next(
        json.loads(r.inputs["policy"])
        for r in result.of_type("aws:iam/rolePolicy:RolePolicy")
        if "DecryptWeightsViaS3" in r.inputs["policy"]
    )
    decrypt = next(s for s in policy["Statement"] if s["Sid"] == "DecryptWeightsViaS3")
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    }


def test_a_minimal_70b_config_gets_the_largest_batch_that_fits():
    args = NeuronServingClusterArgs.model_validate(
        cluster_args(
            instance_type="inf2.48xlarge",
            model={"id": "meta-llama/Llama-3.3-70B-Instruct"},
            max_num_seqs=None,
            max_num_batched_tokens=8192,
        )
    )
    assert 1 <= args.max_num_seqs < 256
    assert args.memory_fit.fits
    bigger = args.model_copy(update={"max_num_seqs": args.max_num_seqs + 1})
    assert not bigger.memory_fit.fits
