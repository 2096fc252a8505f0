"""The regional price snapshot and its lookup: every row sourced and dated, no region priced from
another, and the AWS Price List offer-file reader."""

from __future__ import annotations

import pytest

from graviton_llm.facts import catalog
from graviton_llm.pricing import prices


def test_every_price_is_sourced_dated_and_for_a_region_that_sells_the_type():
    for price in prices.snapshot():
        spec = catalog.instance_spec(price.instance_type)
        assert price.usd_per_hour > 0 and price.source and len(price.source_date) == 10
        if spec is not None:
            assert price.region in spec.regions, price


def test_a_type_is_priced_where_it_is_sold_and_nowhere_else():
    trn2 = prices.on_demand("trn2.48xlarge", "us-east-2")
    assert trn2 is not None and trn2.usd_per_hour == 35.76 and trn2.source_date == "2025-11-30"
    assert prices.on_demand("trn2.48xlarge", "us-east-1") is None  # not sold there
    assert prices.on_demand("trn2.48xlarge", "ap-south-2") is None  # sold, but no sourced price
    assert prices.priced_regions("trn2.48xlarge") == ("us-east-2",)
    assert prices.on_demand("inf2.48xlarge", "sa-east-1").usd_per_hour == 22.06815
    # The us-east-1 view the rest of the package reads is the same snapshot.
    assert catalog.on_demand_price("inf2.48xlarge") == 12.98127
    assert catalog.on_demand_price("inf2.48xlarge", "eu-west-1") == 16.22658


def offer(products: dict, terms: dict, date: str = "2026-09-01T00:00:00Z") -> dict:
    return {"formatVersion": "v1.0", "offerCode": "AmazonEC2", "publicationDate": date,
            "products": products, "terms": {"OnDemand": terms}}  # fmt: skip


def product(sku: str, instance_type: str, region: str, **overrides: str) -> dict:
    attributes = {
        "instanceType": instance_type, "regionCode": region, "operatingSystem": "Linux",
        "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used",
        "licenseModel": "No License required",
    }  # fmt: skip
    attributes.update(overrides)
    return {"sku": sku, "productFamily": "Compute Instance", "attributes": attributes}


def hourly(sku: str, usd: str) -> dict:
    term = f"{sku}.JRTCKXETXF"
    dimension = {"unit": "Hrs", "pricePerUnit": {"USD": usd}}
    return {term: {"priceDimensions": {f"{term}.6YS6EN2CT7": dimension}}}


def test_prices_are_read_from_an_aws_price_list_offer_file():
    data = offer(
        {
            "A": product("A", "trn2.48xlarge", "us-east-2"),
            "B": product("B", "trn2.48xlarge", "us-east-2", operatingSystem="Windows"),
            "C": product("C", "trn2.48xlarge", "us-east-2", capacitystatus="AllocatedHost"),
            "D": product("D", "m7i.large", "us-east-2"),
        },
        {"A": hourly("A", "35.7608000000"), "B": hourly("B", "40.0"), "C": hourly("C", "1.0"),
         "D": hourly("D", "0.1")},
    )  # fmt: skip
    (price,) = prices.prices_from_offer_file(data, ["trn2.48xlarge"], "AWS Price List, us-east-2")
    assert (price.region, price.usd_per_hour, price.source_date) == (
        "us-east-2",
        35.7608,
        "2026-09-01",
    )


def test_an_offer_file_without_a_date_is_refused():
    with pytest.raises(ValueError, match="publicationDate"):
        prices.prices_from_offer_file({"products": {}, "terms": {}}, ["inf2.xlarge"], "x")
