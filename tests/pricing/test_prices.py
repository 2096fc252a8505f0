"""The regional price snapshot and its lookup: every row sourced and dated, no region priced from
another, no purchase option standing in for another; the AWS Price List offer-file reader and
the maintainer script that refreshes the snapshot with it."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from graviton_llm.facts import catalog
from graviton_llm.facts import prices as facts_prices
from graviton_llm.pricing import cost, prices

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).parent / "fixtures" / "ec2_offer_us-east-2_sample.json"


def test_every_price_is_sourced_dated_and_for_a_region_that_sells_the_type():
    for price in prices.snapshot():
        spec = catalog.instance_spec(price.instance_type)
        assert price.usd_per_hour > 0 and price.source and len(price.source_date) == 10
        if spec is not None:
            assert price.region in spec.regions, price


def test_a_type_is_priced_where_it_is_sold_and_nowhere_else():
    assert prices.on_demand("inf2.48xlarge", "sa-east-1").usd_per_hour == 22.06815
    # The us-east-1 view the rest of the package reads is the same snapshot.
    assert catalog.on_demand_price("inf2.48xlarge") == 12.98127
    assert catalog.on_demand_price("inf2.48xlarge", "eu-west-1") == 16.22658
    assert prices.on_demand("trn2.48xlarge", "us-east-1") is None  # not sold there
    assert prices.hourly("trn2.48xlarge", "ap-south-2") is None  # sold, but no sourced price


def test_trn2_has_a_capacity_block_rate_and_no_on_demand_price():
    # AWS's price list has no On-Demand price for trn2.48xlarge; the sourced figure is its
    # Capacity Block rate, kept as such, never as On-Demand.
    assert all(prices.on_demand("trn2.48xlarge", r) is None for r in ("us-east-2", "ap-south-2"))
    block = prices.capacity_block("trn2.48xlarge", "us-east-2")
    assert block is not None and block.purchase_option == "capacity-block"
    assert block.usd_per_hour == 35.7608 and "capacityblocks/pricing" in block.source
    assert prices.hourly("trn2.48xlarge", "us-east-2") == block
    assert prices.priced_regions("trn2.48xlarge") == ("us-east-2 (Capacity Block rate)",)
    assert "trn2.48xlarge" not in catalog.ON_DEMAND_USD_PER_HOUR
    # Costed as one undiscounted term: no 1-year Reserved Instance rate is derived from it.
    option = cost.option_cost("trn2.48xlarge", 2, tokens_per_second=100.0, region="us-east-2")
    assert [t.term for t in option.terms] == ["capacity-block"]
    assert option.on_demand_usd_per_hour is None and option.basis == block
    assert option.terms[0].usd_per_hour == pytest.approx(2 * 35.7608)


def test_the_snapshot_file_is_the_canonical_text_of_its_rows():
    """What scripts/refresh_prices.py writes back: no refresh diff beyond the prices changed."""
    text = resources.files("graviton_llm.facts").joinpath("data", facts_prices.DATA_FILE)
    assert prices.snapshot_text(prices.refreshed(prices.snapshot(), [])) == text.read_text()
    with pytest.raises(ValueError, match="purchase_option"):
        prices.read_snapshot_text(
            "instance_type,region,purchase_option,usd_per_hour,source,source_date\n"
            "trn2.48xlarge,us-east-2,spot,23.06,x,2026-01-01\n"
        )


def test_an_offer_file_yields_plain_on_demand_linux_prices_only():
    offer = json.loads(SAMPLE.read_text())
    found = prices.prices_from_offer_file(
        offer, ["trn1.32xlarge", "trn2.48xlarge", "inf2.48xlarge"], "AWS Price List sample"
    )
    # Windows, an unused reservation and both Capacity Block SKUs (one at $0.00, one not) are
    # skipped: trn2.48xlarge gets no price at all from the file.
    assert [(p.instance_type, p.region, p.usd_per_hour) for p in found] == [
        ("inf2.48xlarge", "us-east-2", 12.98127),
        ("trn1.32xlarge", "us-east-2", 21.5),
    ]
    assert {(p.purchase_option, p.source_date) for p in found} == {("on-demand", "2026-09-01")}


def test_two_plain_prices_for_one_type_and_region_are_refused_not_overwritten():
    offer = json.loads(SAMPLE.read_text())
    twin = json.loads(json.dumps(offer["products"]["A1TRN1ONDEMAND0"]))
    twin["sku"] = "Z9TRN1TWIN00000"
    offer["products"]["Z9TRN1TWIN00000"] = twin
    terms = json.loads(json.dumps(offer["terms"]["OnDemand"]["A1TRN1ONDEMAND0"]))
    (term,) = terms.values()
    (dimension,) = term["priceDimensions"].values()
    dimension["pricePerUnit"]["USD"] = "22.0000000000"
    offer["terms"]["OnDemand"]["Z9TRN1TWIN00000"] = terms
    with pytest.raises(ValueError, match=r"two plain On-Demand Linux prices"):
        prices.prices_from_offer_file(offer, ["trn1.32xlarge"], "x")


def test_an_offer_file_without_a_date_is_refused():
    with pytest.raises(ValueError, match="publicationDate"):
        prices.prices_from_offer_file({"products": {}, "terms": {}}, ["inf2.xlarge"], "x")


@pytest.mark.slow
def test_the_maintainer_script_refreshes_on_demand_rows_and_keeps_the_rest(tmp_path):
    snapshot = tmp_path / "instance_prices.csv"
    shipped = resources.files("graviton_llm.facts").joinpath("data", facts_prices.DATA_FILE)
    snapshot.write_text(shipped.read_text())
    script = [sys.executable, str(ROOT / "scripts" / "refresh_prices.py"), str(SAMPLE),
              "--snapshot", str(snapshot)]  # fmt: skip
    dry = subprocess.run(script, capture_output=True, text=True, check=True, timeout=120)
    assert "trn1.32xlarge" in dry.stdout and snapshot.read_text() == shipped.read_text()
    subprocess.run([*script, "--write"], capture_output=True, text=True, check=True, timeout=120)
    after = {(p.instance_type, p.region, p.purchase_option): p
             for p in prices.read_snapshot_text(snapshot.read_text())}  # fmt: skip
    trn1 = after[("trn1.32xlarge", "us-east-2", "on-demand")]
    assert (trn1.usd_per_hour, trn1.source_date) == (21.5, "2026-09-01")
    assert "AWS Price List" in trn1.source
    assert after[("trn2.48xlarge", "us-east-2", "capacity-block")].usd_per_hour == 35.7608
    assert ("trn2.48xlarge", "us-east-2", "on-demand") not in after
    assert len(after) == len(prices.snapshot())  # replaced in place, nothing added or lost
