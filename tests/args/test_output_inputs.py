"""Fields that name cloud objects take Pulumi Inputs, including an Output of a whole list, as
team programs pass them (issue 21, item 1): awsx's `vpc.private_subnet_ids`,
`aws.ec2.get_subnets_output(...).ids`, a StackReference output, `Output.all(...)`, an Output tag
value. Known values are judged at construction; an Output is judged when it resolves, with the
same field-naming message, before the Auto Scaling group (the thing that launches nodes) is
registered."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from graviton_llm import ArgsError, NeuronServingCluster
from graviton_llm.testing import Unknown, run_program
from graviton_llm.testing.answers import mock_id
from support import cluster_args

ASG = "aws:autoscaling/group:Group"
SG = "aws:ec2/securityGroup:SecurityGroup"
NLB = "aws:lb/loadBalancer:LoadBalancer"
SUBNET = "aws:ec2/subnet:Subnet"
MOCK_SUBNETS = ["subnet-000000000000000a1", "subnet-000000000000000a2", "subnet-000000000000000a3"]


class PrivateNetwork(pulumi.ComponentResource):
    """What awsx's Vpc hands a team: `private_subnet_ids`, an Output of a list."""

    def __init__(self, name: str) -> None:
        super().__init__("team:index:PrivateNetwork", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        self.vpc = aws.ec2.Vpc(name, cidr_block="10.42.0.0/16", opts=child)
        subnets = [
            aws.ec2.Subnet(
                f"{name}-{zone}", vpc_id=self.vpc.id, cidr_block=f"10.42.{i}.0/24",
                availability_zone=zone, opts=child,
            )
            for i, zone in enumerate(["us-east-1a", "us-east-1b"])
        ]  # fmt: skip
        self.vpc_id = self.vpc.id
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in subnets])


def _cluster(**overrides: object) -> dict[str, object]:
    return cluster_args(**overrides)


@pytest.mark.slow
def test_an_awsx_like_output_of_a_list_of_subnets_is_taken():
    def program() -> None:
        network = PrivateNetwork("team")
        NeuronServingCluster(
            "llm",
            _cluster(vpc_id=network.vpc_id, subnet_ids=network.private_subnet_ids),
        )

    result = run_program(program)
    subnets = [mock_id(f"team-{zone}", SUBNET) for zone in ("us-east-1a", "us-east-1b")]
    assert result.one(ASG).inputs["vpcZoneIdentifiers"] == subnets
    assert result.one(NLB).inputs["subnets"] == subnets


@pytest.mark.slow
def test_get_subnets_output_ids_is_taken():
    def program() -> None:
        ids = aws.ec2.get_subnets_output(
            filters=[{"name": "vpc-id", "values": ["vpc-0123456789abcdef0"]}]
        ).ids
        NeuronServingCluster("llm", _cluster(subnet_ids=ids))

    assert run_program(program).one(ASG).inputs["vpcZoneIdentifiers"] == MOCK_SUBNETS


def test_a_stack_reference_network_is_taken_as_the_other_stack_answers():
    network = {"vpc_id": "vpc-0123456789abcdef0", "private_subnet_ids": MOCK_SUBNETS[:2]}

    def program() -> None:
        ref = pulumi.StackReference("acme/network/prod")
        NeuronServingCluster(
            "llm",
            _cluster(
                vpc_id=ref.get_output("vpc_id"), subnet_ids=ref.get_output("private_subnet_ids")
            ),
        )

    result = run_program(program, stack_references={"acme/network/prod": network})
    assert result.one(ASG).inputs["vpcZoneIdentifiers"] == MOCK_SUBNETS[:2]
    assert result.one(SG).inputs["vpcId"] == "vpc-0123456789abcdef0"


@pytest.mark.slow
def test_output_all_and_a_list_mixing_strings_and_outputs_are_taken():
    def program() -> None:
        second = pulumi.Output.from_input(MOCK_SUBNETS[1])
        NeuronServingCluster("one", _cluster(subnet_ids=[MOCK_SUBNETS[0], second]))
        NeuronServingCluster("two", _cluster(subnet_ids=pulumi.Output.all(MOCK_SUBNETS[0], second)))

    result = run_program(program)
    groups = {g.name: g.inputs["vpcZoneIdentifiers"] for g in result.of_type(ASG)}
    assert groups == {"one-asg": MOCK_SUBNETS[:2], "two-asg": MOCK_SUBNETS[:2]}


@pytest.mark.slow
def test_an_output_tag_value_and_output_cidrs_reach_the_resources():
    def program() -> None:
        team = pulumi.Output.from_input("search")
        NeuronServingCluster(
            "llm",
            _cluster(
                tags={"Team": team},
                allowed_cidrs=pulumi.Output.from_input(["10.42.0.0/16"]),
            ),
        )

    result = run_program(program)
    assert result.one(SG).inputs["tags"]["Team"] == "search"
    tags = {t["key"]: t["value"] for t in result.one(ASG).inputs["tags"]}
    assert tags["Team"] == "search"
    api_rule = result.one(SG).inputs["ingress"][0]
    assert api_rule["cidrBlocks"] == ["10.42.0.0/16"]


def _refused(program, preview: bool = True) -> tuple[ArgsError, list[str]]:
    result = run_program(program, catch=True, preview=preview)
    assert isinstance(result.error, ArgsError), result.error
    return result.error, [r.type for r in result.resources]


@pytest.mark.slow
@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_a_bad_subnet_in_an_output_is_refused_when_it_resolves_before_any_node_launches(preview):
    def program() -> None:
        subnets = pulumi.Output.from_input([MOCK_SUBNETS[0], "subnet-nope"])
        NeuronServingCluster("llm", _cluster(subnet_ids=subnets))

    result = run_program(program, catch=True, preview=preview)
    error = result.error
    assert isinstance(error, ArgsError), error
    (problem,) = error.problems
    assert (problem.component, problem.field) == ("llm", "subnet_ids.1")
    assert "is not an EC2 subnet id" in problem.fix
    assert "llm" in str(error) and "subnet_ids" in str(error)
    if preview:
        # A preview goes on to collect every cluster's refusals (it creates nothing): what takes
        # the refused value sees it unknown, never the bad subnet.
        assert isinstance(result.one(ASG).inputs["vpcZoneIdentifiers"], Unknown)
        assert "subnet-nope" not in repr([r.inputs for r in result.resources])
    else:
        assert ASG not in [r.type for r in result.resources]


@pytest.mark.slow
def test_a_public_cidr_in_an_output_is_refused_before_the_security_group_exists():
    def program() -> None:
        cidrs = pulumi.Output.from_input(["0.0.0.0/0"])
        NeuronServingCluster("llm", _cluster(allowed_cidrs=cidrs))

    error, registered = _refused(program, preview=False)
    assert [p.field for p in error.problems] == ["allowed_cidrs.0"]
    assert "reaches beyond the VPC" in error.problems[0].fix
    assert SG not in registered and ASG not in registered
    previewed = run_program(program, catch=True)
    assert [p.field for p in previewed.error.problems] == ["allowed_cidrs.0"]
    # In a preview the group's ingress, built from the refused value, is unknown.
    assert isinstance(previewed.one(SG).inputs["ingress"], Unknown)


@pytest.mark.slow
def test_every_deferred_problem_is_listed_at_once():
    def program() -> None:
        NeuronServingCluster(
            "llm",
            _cluster(
                vpc_id=pulumi.Output.from_input("vpc-x"),
                tags={"Team": pulumi.Output.from_input("a" * 300)},
            ),
        )

    error, _ = _refused(program)
    assert sorted(p.field for p in error.problems) == ["tags.Team", "vpc_id"]


@pytest.mark.parametrize("field", ["instance_type", "max_model_len"])
def test_a_value_the_cluster_needs_at_construction_says_so_naming_the_field(field):
    value = {"instance_type": "inf2.8xlarge", "max_model_len": 4096}[field]

    def program() -> None:
        NeuronServingCluster("llm", _cluster(**{field: pulumi.Output.from_input(value)}))

    error, registered = _refused(program)
    (problem,) = error.problems
    assert problem.field == field
    assert "must be known when the program runs" in problem.fix
    assert "object at 0x" not in str(error)
    assert registered == []


@pytest.mark.slow
def test_the_cluster_says_which_checks_wait_for_deploy_time_values():
    holder: dict[str, NeuronServingCluster] = {}

    def program() -> None:
        holder["c"] = NeuronServingCluster(
            "llm",
            _cluster(
                subnet_ids=pulumi.Output.from_input(MOCK_SUBNETS[:2]),
                tags={"Team": pulumi.Output.from_input("search")},
            ),
        )

    run_program(program)
    assert [c.field for c in holder["c"].checked_at_deploy] == ["subnet_ids", "tags"]


def _awsx_like() -> None:
    network = PrivateNetwork("team")
    NeuronServingCluster(
        "llm", _cluster(vpc_id=network.vpc_id, subnet_ids=network.private_subnet_ids)
    )


def _subnets_lookup() -> None:
    filters = [{"name": "vpc-id", "values": ["vpc-0123456789abcdef0"]}]
    NeuronServingCluster(
        "llm", _cluster(subnet_ids=aws.ec2.get_subnets_output(filters=filters).ids)
    )


def _stack_reference() -> None:
    ref = pulumi.StackReference("acme/network/prod")
    NeuronServingCluster(
        "llm",
        _cluster(vpc_id=ref.get_output("vpc_id"), subnet_ids=ref.get_output("private_subnet_ids")),
    )


def _output_tags() -> None:
    NeuronServingCluster("llm", _cluster(tags={"Team": pulumi.Output.from_input("search")}))


def _secret_key() -> None:
    secret = pulumi.Output.secret("/search/prod/api-key")
    NeuronServingCluster("llm", _cluster(api_key_ssm_parameter=secret))


@pytest.mark.slow
@pytest.mark.parametrize("first_preview", [False, True], ids=["mock-values", "first-preview"])
@pytest.mark.parametrize(
    "program", [_awsx_like, _subnets_lookup, _stack_reference, _output_tags, _secret_key]
)
def test_each_kind_of_team_program_plans_in_both_modes(program, first_preview):
    network = {"vpc_id": "vpc-0123456789abcdef0", "private_subnet_ids": MOCK_SUBNETS[:2]}
    result = run_program(
        program, first_preview=first_preview, stack_references={"acme/network/prod": network}
    )
    assert result.one(ASG).inputs["minSize"] == 3


SHARED = "acme/network/prod"
SUBNET_TWICE = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa1"]
TWICE = {SHARED: {"vpc_id": "vpc-0aaaaaaaaaaaaaaaa", "private_subnet_ids": SUBNET_TWICE}}


@pytest.mark.slow
@pytest.mark.parametrize("first_preview", [False, True], ids=["mock-values", "first-preview"])
def test_a_field_still_unknown_does_not_hold_back_the_check_of_a_known_one(first_preview):
    # The subnets come from the network stack (known: they list one subnet twice); a tag is the
    # id of a VPC this stack creates, unknown on a first preview. The subnets are judged anyway.
    def program() -> None:
        own = aws.ec2.Vpc("own", cidr_block="10.42.0.0/16")
        network = pulumi.StackReference(SHARED)
        NeuronServingCluster(
            "small",
            _cluster(
                vpc_id=network.get_output("vpc_id"),
                subnet_ids=network.get_output("private_subnet_ids"),
                tags={"vpc": own.id},
            ),
        )

    result = run_program(program, catch=True, stack_references=TWICE, first_preview=first_preview)
    assert isinstance(result.error, ArgsError), result.error
    assert [(p.component, p.field) for p in result.error.problems] == [("small", "subnet_ids")]


def _three_clusters() -> None:
    network = pulumi.StackReference(SHARED)
    own = aws.ec2.Vpc("own", cidr_block="10.42.0.0/16")
    NeuronServingCluster(  # refused when its tag resolves
        "chat", _cluster(vpc_id=own.id, tags={"bad": own.id.apply(lambda v: v + "!")})
    )
    NeuronServingCluster("ok", _cluster())
    NeuronServingCluster(  # refused when the shared network's subnets resolve
        "small",
        _cluster(vpc_id=network.get_output("vpc_id"),
                 subnet_ids=network.get_output("private_subnet_ids")),
    )  # fmt: skip
    NeuronServingCluster("batch", _cluster(max_num_seqs="16"))  # refused at construction


@pytest.mark.slow
def test_every_clusters_refusals_given_as_outputs_come_together_in_a_preview():
    result = run_program(_three_clusters, catch=True, stack_references=TWICE)
    assert isinstance(result.error, ArgsError), result.error
    assert [(p.component, p.field) for p in result.error.problems] == [
        ("chat", "tags.bad"), ("small", "subnet_ids"), ("batch", "max_num_seqs")]  # fmt: skip
    text = str(result.error)
    assert "cluster 'chat', cluster 'small', cluster 'batch'" in text


@pytest.mark.slow
def test_outside_a_preview_the_first_output_refusal_stops_the_program():
    result = run_program(_three_clusters, catch=True, stack_references=TWICE, preview=False)
    assert isinstance(result.error, ArgsError), result.error
    assert len({p.component for p in result.error.problems}) == 1
    # Nothing launches nodes for the refused cluster.
    refused = result.error.problems[0].component
    assert f"{refused}-asg" not in [r.name for r in result.resources]
