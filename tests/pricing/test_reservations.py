"""The RI advisor against fake AWS: moto for the offering lookup it implements, botocore's
Stubber for realistic Neuron offerings and for the purchase call moto does not implement."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws
from typer.testing import CliRunner

from graviton_llm import cli
from graviton_llm.cli import common
from graviton_llm.pricing import reservations

YEAR = 31_536_000
OFFERING_ID = "0b1a2c3d-1111-2222-3333-444455556666"


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)


@pytest.mark.slow
def test_moto_lookup_keeps_only_the_requested_type():
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        found = reservations.find_offerings(ec2, "m5.large")
        assert found and {o["InstanceType"] for o in found} == {"m5.large"}
        assert {o["ProductDescription"] for o in found} == {"Linux/UNIX"}
        # moto fakes offerings for a few small types only; a Neuron type has none.
        assert reservations.find_offerings(ec2, "inf2.48xlarge") == []


def _offering(offering_id, duration, fixed, hourly, payment):
    return {
        "ReservedInstancesOfferingId": offering_id,
        "InstanceType": "inf2.48xlarge",
        "ProductDescription": "Linux/UNIX",
        "Duration": duration,
        "FixedPrice": fixed,
        "UsagePrice": 0.0,
        "RecurringCharges": [{"Amount": hourly, "Frequency": "Hourly"}] if hourly else [],
        "CurrencyCode": "USD",
        "InstanceTenancy": "default",
        "OfferingClass": "standard",
        "OfferingType": payment,
        "Marketplace": False,
        "Scope": "Region",
    }


# Invented test offerings (not AWS prices): $8.00/h effective for 1 year, no upfront; $5.00/h
# effective for 3 years, all upfront.
OFFERINGS = [
    _offering(OFFERING_ID, YEAR, 0.0, 8.0, "No Upfront"),
    _offering("3yr-all-upfront", 3 * YEAR, 131_400.0, 0.0, "All Upfront"),
]
LOOKUP = {
    "Filters": [
        {"Name": "instance-type", "Values": ["inf2.48xlarge"]},
        {"Name": "product-description", "Values": ["Linux/UNIX"]},
    ],
    "InstanceTenancy": "default",
    "IncludeMarketplace": False,
}


def test_advice_break_even_against_on_demand():
    rows = reservations.advise(OFFERINGS, 12.98127, instances=3)
    one, three = rows
    assert (one.term, three.term) == ("1yr", "3yr")
    assert one.effective_usd_per_hour == pytest.approx(8.0)
    assert one.break_even_utilization == pytest.approx(8.0 / 12.98127)  # 61.6 %
    assert three.effective_usd_per_hour == pytest.approx(5.0)  # 131,400 / 26,280 h
    assert three.discount == pytest.approx(1 - 5.0 / 12.98127)
    assert one.usd_per_month == pytest.approx(8.0 * 3 * 730)
    assert one.total_commitment_usd == pytest.approx(8.0 * 8760 * 3)


@pytest.fixture
def stubbed(monkeypatch):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    stubber = Stubber(ec2)
    stubber.add_response(
        "describe_reserved_instances_offerings", {"ReservedInstancesOfferings": OFFERINGS}, LOOKUP
    )
    monkeypatch.setattr(common, "ec2_client", lambda region, *_: ec2)
    with stubber:
        yield stubber


def _dry_run_answer(stubber):
    stubber.add_client_error(
        "purchase_reserved_instances_offering",
        service_error_code="DryRunOperation",
        service_message="Request would have succeeded, but DryRun flag is set.",
        expected_params={
            "DryRun": True,
            "ReservedInstancesOfferingId": OFFERING_ID,
            "InstanceCount": 3,
        },
    )


def invoke(*args):
    return CliRunner().invoke(
        cli.app, ["reserve", "--stack", "prod", *args], env={"COLUMNS": "220"}
    )


def test_reserve_lists_offerings_and_buys_nothing(stubbed):
    result = invoke()
    assert result.exit_code == 0, result.output
    assert OFFERING_ID in result.output and "62%" in result.output  # break-even 61.6 %
    assert "never bought" in result.output
    stubbed.assert_no_pending_responses()  # no purchase call was made


def test_reserve_with_an_offering_only_dry_runs(stubbed):
    _dry_run_answer(stubbed)
    result = invoke("--offering", OFFERING_ID)
    assert result.exit_code == 0, result.output
    assert "dry run passed" in result.output and "nothing bought" in result.output
    stubbed.assert_no_pending_responses()


def _offering_again(stubber, offering):
    stubber.add_response(
        "describe_reserved_instances_offerings",
        {"ReservedInstancesOfferings": [offering]},
        {"ReservedInstancesOfferingIds": [OFFERING_ID], "IncludeMarketplace": False},
    )


def test_reserve_purchase_needs_the_flag_and_dry_runs_first(stubbed):
    _dry_run_answer(stubbed)
    _offering_again(stubbed, OFFERINGS[0])
    stubbed.add_response(
        "purchase_reserved_instances_offering",
        {"ReservedInstancesId": "ri-0123"},
        {"DryRun": False, "ReservedInstancesOfferingId": OFFERING_ID, "InstanceCount": 3},
    )
    result = invoke("--offering", OFFERING_ID, "--purchase", "--yes")
    assert result.exit_code == 0, result.output
    assert "ri-0123" in result.output
    stubbed.assert_no_pending_responses()


def test_a_refused_dry_run_stops_the_purchase(stubbed):
    stubbed.add_client_error(
        "purchase_reserved_instances_offering",
        service_error_code="UnauthorizedOperation",
        service_message="not allowed",
        expected_params={"DryRun": True, **{k: ANY for k in ("ReservedInstancesOfferingId",
                                                             "InstanceCount")}},
    )  # fmt: skip
    result = invoke("--offering", OFFERING_ID, "--purchase", "--yes")
    assert result.exit_code == 1
    assert "dry run refused: UnauthorizedOperation" in result.output
    stubbed.assert_no_pending_responses()  # and no real purchase call followed


def test_purchase_without_an_offering_is_refused_before_any_call(monkeypatch):
    monkeypatch.setattr(common, "ec2_client", lambda *_: pytest.fail("AWS was called"))
    result = invoke("--purchase")
    assert result.exit_code == 2
    assert "--purchase needs --offering" in result.output


def test_unanswered_confirmation_buys_nothing(stubbed):
    result = CliRunner().invoke(
        cli.app,
        ["reserve", "--stack", "prod", "--offering", OFFERING_ID, "--purchase"],
        input="n\n",
    )
    assert result.exit_code == 1  # aborted
    stubbed.assert_no_pending_responses()


def test_a_price_change_after_the_advice_buys_nothing(stubbed):
    """AWS's LimitPrice applies only to Marketplace offerings: the advisor itself reads the
    offering again after the dry run and refuses when its price moved."""
    _dry_run_answer(stubbed)
    _offering_again(stubbed, _offering(OFFERING_ID, YEAR, 0.0, 9.5, "No Upfront"))
    result = invoke("--offering", OFFERING_ID, "--purchase", "--yes")
    assert "not buying: its price changed" in result.output
    stubbed.assert_no_pending_responses()  # no purchase call was queued or made
