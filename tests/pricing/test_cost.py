"""The cost model against hand-computed figures (us-east-1 snapshot prices)."""

from __future__ import annotations

import pytest

from graviton_llm.pricing import cost
from graviton_llm.pricing.cost import (
    HOURS_PER_MONTH,
    Discount,
    break_even_utilization,
    comparable_instance_types,
    compare,
    cost_per_million_tokens,
    discount_from_offering,
    offering_effective_hourly,
    option_cost,
)

YEAR_SECONDS = 31_536_000


def test_cost_per_million_tokens_by_hand():
    # inf2.48xlarge $12.98127/h at 31.3 tok/s: 31.3 x 3600 = 112,680 tokens per hour.
    assert cost_per_million_tokens(12.98127, 31.3) == pytest.approx(12.98127 / 112_680 * 1e6)
    assert cost_per_million_tokens(12.98127, 31.3) == pytest.approx(115.2047, abs=1e-4)
    # Half the hours idle doubles the price of every token.
    assert cost_per_million_tokens(1.0, 100, utilization=0.5) == pytest.approx(
        2 * cost_per_million_tokens(1.0, 100)
    )


@pytest.mark.parametrize(("tps", "utilization"), [(0, 1.0), (-5, 1.0), (10, 0.0), (10, 1.5)])
def test_impossible_throughput_or_utilization_is_refused(tps, utilization):
    with pytest.raises(ValueError):
        cost_per_million_tokens(1.0, tps, utilization)


def test_month_is_730_hours():
    assert HOURS_PER_MONTH == 730
    assert cost.monthly(6.49063 * 3) == pytest.approx(14_214.4797)


def test_option_cost_for_a_three_node_cluster():
    option = option_cost("inf2.48xlarge", 3, tokens_per_second=31.3, utilization=0.5)
    on_demand = option.term("on-demand")
    assert on_demand.usd_per_hour == pytest.approx(38.94381)
    assert on_demand.usd_per_month == pytest.approx(28_428.9813)
    # per-token cost is per node price over per node throughput: node count cancels out.
    assert on_demand.usd_per_million_tokens == pytest.approx(230.4094, abs=1e-4)
    one_year = option.term("1yr")
    assert one_year.discount.assumption is True
    assert "unverified" in one_year.discount.source
    assert one_year.usd_per_hour == pytest.approx(38.94381 * 0.65)


def test_no_three_year_rate_is_invented():
    assert option_cost("inf2.48xlarge").term("3yr") is None
    given = {"3yr": Discount("3yr", 0.5, "given", assumption=True)}
    assert option_cost("inf2.48xlarge", discounts=given).term("3yr").usd_per_hour == (
        pytest.approx(12.98127 * 0.5)
    )


def test_unpriced_instance_has_no_cost_rather_than_a_guess():
    option = option_cost("trn2.48xlarge", 2)
    assert option.on_demand_usd_per_hour is None
    assert option.terms == ()


def test_ri_offering_effective_rate_and_discount():
    offering = {
        "ReservedInstancesOfferingId": "ri-1",
        "Duration": YEAR_SECONDS,
        "FixedPrice": 26_280.0,  # $3/h spread over 8,760 h
        "UsagePrice": 0.0,
        "RecurringCharges": [{"Amount": 5.0, "Frequency": "Hourly"}],
        "OfferingClass": "standard",
        "OfferingType": "Partial Upfront",
    }
    assert offering_effective_hourly(offering) == pytest.approx(8.0)
    discount = discount_from_offering(offering, 12.98127)
    assert discount.term == "1yr"
    assert discount.assumption is False
    assert discount.fraction == pytest.approx(1 - 8.0 / 12.98127)
    assert "ri-1" in discount.source
    three_year = {**offering, "Duration": 3 * YEAR_SECONDS}
    assert discount_from_offering(three_year, 12.98127).term == "3yr"


def test_break_even_utilization():
    # A reservation at $8/h pays off once an instance that costs $12.98/h on demand runs > 61.6 %.
    assert break_even_utilization(8.0, 12.98127) == pytest.approx(0.61627, abs=1e-5)


def test_alternatives_hold_the_model():
    # Llama 70B bf16 (131.5 GiB) does not fit inf2.24xlarge (8 x 16 GiB at its largest valid
    # TP), so the inf2 alternative is the 48xlarge.
    assert comparable_instance_types(131.5) == [
        "inf2.48xlarge", "trn1.32xlarge", "g5.48xlarge", "g6.48xlarge", "r8g.8xlarge",
    ]  # fmt: skip
    assert comparable_instance_types(15.0) == [
        "inf2.xlarge", "trn1.2xlarge", "g5.xlarge", "g6.xlarge", "r8g.xlarge",
    ]  # fmt: skip


def test_comparison_says_what_throughput_an_alternative_needs():
    comparison = compare("inf2.48xlarge", 3, 131.5, tokens_per_second=31.3)
    g6 = next(o for o in comparison.alternatives if o.instance_type == "g6.48xlarge")
    assert g6.term("on-demand").usd_per_million_tokens is None  # no measured throughput
    # Same $/1M as inf2.48xlarge at 31.3 tok/s: 31.3 x 13.3504 / 12.98127.
    assert comparison.tokens_per_second_to_match(g6) == pytest.approx(31.3 * 13.3504 / 12.98127)
    measured = compare(
        "inf2.48xlarge", 3, 131.5, tokens_per_second=31.3,
        alternative_tokens_per_second={"g6.48xlarge": 40.0},
    )  # fmt: skip
    g6 = next(o for o in measured.alternatives if o.instance_type == "g6.48xlarge")
    assert g6.term("on-demand").usd_per_million_tokens == pytest.approx(13.3504 / 144_000 * 1e6)
