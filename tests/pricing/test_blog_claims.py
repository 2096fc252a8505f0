"""The blog's cost table, recomputed: which figures follow from real prices and which do not."""

from __future__ import annotations

import pytest

from graviton_llm.pricing.blog_claims import BLOG, checks, figures


@pytest.fixture(scope="module")
def f():
    return figures()


def test_three_inf2_24xlarge_cost_14214_a_month_not_42600(f):
    assert f["inf2_cluster_usd_month"] == pytest.approx(3 * 6.49063 * 730)  # 14,214.48
    assert f["inf2_cluster_usd_month"] == pytest.approx(14_214.48, abs=0.01)
    # The blog's opening "$14,200/month" is this 3-node figure; its table triples it again.
    assert abs(f["inf2_cluster_usd_month"] - BLOG["intro_quote_usd_month"]) < 20
    assert BLOG["inf2_cluster_usd_month"] == 3 * BLOG["intro_quote_usd_month"]


def test_graviton_cluster_is_24770_on_demand_and_the_blog_discounts_do_not_give_12780(f):
    assert f["graviton_cluster_usd_month"] == pytest.approx(24_770.48, abs=0.01)
    assert f["graviton_with_blog_discounts_usd_month"] == pytest.approx(
        24_770.4768 * 0.54 * 0.80
    )  # 10,700.85
    assert f["graviton_with_blog_discounts_usd_month"] != pytest.approx(12_780, rel=0.05)


def test_graviton_costs_more_per_hour_not_half(f):
    assert f["graviton_over_inf2_price"] == pytest.approx(11.31072 / 6.49063)  # 1.74x
    assert f["graviton_over_inf2_price"] > 1


def test_runtime_fee_does_not_exist_and_its_arithmetic_is_wrong(f):
    assert f["runtime_fee_usd_month"] == pytest.approx(262.8)


def test_per_token_costs_implied_by_the_blog_throughput(f):
    # 3 x $6.49063/h over 108 tok/s x 3600 s, per 1M tokens.
    assert f["inf2_usd_per_million_cluster"] == pytest.approx(50.08, abs=0.01)
    assert f["inf2_usd_per_million_node"] == pytest.approx(16.69, abs=0.01)
    assert f["graviton_usd_per_million_cluster"] == pytest.approx(84.16, abs=0.01)
    assert f["graviton_usd_per_million_node"] == pytest.approx(28.05, abs=0.01)
    # What $1.24 and $0.37 would need.
    assert f["inf2_tokens_per_second_needed"] == pytest.approx(4_362, abs=1)
    assert f["graviton_tokens_per_second_needed"] == pytest.approx(25_475, abs=1)
    assert f["savings_usd_year_from_blog_rates"] == pytest.approx(1_044)


def test_a_70b_model_does_not_fit_inf2_24xlarge(f):
    assert f["model_weights_gib"] == pytest.approx(131.5, abs=0.1)
    assert f["inf2_24xl_model_memory_gib"] == 128


def test_verdicts():
    verdicts = {c.claim: c.verdict for c in checks()}
    assert verdicts["Opening quote: $14,200/month for inf2.24xlarge"] == "holds"
    assert verdicts["1-year RI 46 % off, 3-year 62 % off"] == "unverifiable"
    holding = [claim for claim, v in verdicts.items() if v == "holds"]
    assert holding == ["Opening quote: $14,200/month for inf2.24xlarge"]
    assert sum(v == "does not hold" for v in verdicts.values()) == 10
