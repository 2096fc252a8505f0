"""The blog's cost table, recomputed from the price snapshot: which figures follow, which do not.

The blog ("AI Model Serving on a Budget: Llama 3.2 on AWS Graviton4 for 70% less") compares a
3-node inf2.24xlarge cluster with a 3-node r8g.48xlarge cluster serving "Llama 3.2 70B". Every
number below is either the blog's (quoted, ``BLOG``) or computed from ``catalog`` with the
pure functions in ``cost``; nothing is typed in twice. ``graviton-llm cost --blog`` prints it;
docs/cost-model.md explains it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..facts import catalog
from ..facts.models import KNOWN_MODELS, weights_gib
from ..facts.units import HOURS_PER_MONTH
from .cost import (
    cost_per_million_tokens,
    model_memory_gib,
    monthly,
    tokens_per_second_for,
)

Verdict = Literal["holds", "does not hold", "unverifiable"]

NODES = 3
INF2 = "inf2.24xlarge"
GRAVITON = "r8g.48xlarge"
MODEL = "meta-llama/Llama-3.3-70B"  # the nearest real model to the blog's "Llama 3.2 70B"

# The blog's figures, as printed in its "Performance Comparison" table and "Cost Breakdown".
BLOG = {
    "intro_quote_usd_month": 14_200,  # "quoted $14,200/month for an EC2 inf2.24xlarge instance"
    "inf2_cluster_usd_month": 42_600,
    "graviton_cluster_usd_month": 12_780,
    "reduction": 0.70,
    "inf2_tokens_per_second": 108,
    "graviton_tokens_per_second": 112,
    "inf2_usd_per_million": 1.24,
    "graviton_usd_per_million": 0.37,
    "runtime_fee_usd_hour": 0.12,
    "runtime_fee_usd_month": 1_235,
    "graviton_price_below_inf2": 0.50,  # "Graviton4 on-demand pricing is 50% lower"
    "ri_1yr_discount": 0.46,
    "ri_3yr_discount": 0.62,
    "savings_plan_discount": 0.20,
    "graviton_before_ri_usd_month": 28_601,
    "graviton_after_ri_usd_month": 15_445,
    "tokens_per_month": 100e6,
    "savings_usd_year": 87_000,
}


@dataclass(frozen=True)
class ClaimCheck:
    claim: str
    blog: str
    computed: str
    verdict: Verdict
    why: str


def figures() -> dict[str, float]:
    """Every number the verdicts rest on, from the snapshot prices."""
    inf2 = catalog.ON_DEMAND_USD_PER_HOUR[INF2]
    grav = catalog.ON_DEMAND_USD_PER_HOUR[GRAVITON]
    inf2_hour, grav_hour = NODES * inf2, NODES * grav
    blog_inf2_hour = BLOG["inf2_cluster_usd_month"] / HOURS_PER_MONTH
    blog_grav_hour = BLOG["graviton_cluster_usd_month"] / HOURS_PER_MONTH
    both_discounts = (1 - BLOG["ri_1yr_discount"]) * (1 - BLOG["savings_plan_discount"])
    return {
        "inf2_usd_hour": inf2,
        "graviton_usd_hour": grav,
        "inf2_node_usd_month": monthly(inf2),
        "inf2_cluster_usd_month": monthly(inf2_hour),
        "graviton_cluster_usd_month": monthly(grav_hour),
        "graviton_over_inf2_price": grav / inf2,
        "graviton_with_blog_discounts_usd_month": monthly(grav_hour) * both_discounts,
        "blog_reduction": 1 - BLOG["graviton_cluster_usd_month"] / BLOG["inf2_cluster_usd_month"],
        "runtime_fee_usd_month": monthly(BLOG["runtime_fee_usd_hour"] * NODES),
        # Per 1M tokens with the blog's throughput taken as the cluster's (its benchmark hits one
        # load balancer) and as one node's (the most generous reading), on-demand, 100 % busy.
        "inf2_usd_per_million_cluster": cost_per_million_tokens(
            inf2_hour, BLOG["inf2_tokens_per_second"]
        ),
        "inf2_usd_per_million_node": cost_per_million_tokens(inf2, BLOG["inf2_tokens_per_second"]),
        "graviton_usd_per_million_cluster": cost_per_million_tokens(
            grav_hour, BLOG["graviton_tokens_per_second"]
        ),
        "graviton_usd_per_million_node": cost_per_million_tokens(
            grav, BLOG["graviton_tokens_per_second"]
        ),
        # ... and with the blog's own monthly totals.
        "inf2_usd_per_million_blog_total": cost_per_million_tokens(
            blog_inf2_hour, BLOG["inf2_tokens_per_second"]
        ),
        "graviton_usd_per_million_blog_total": cost_per_million_tokens(
            blog_grav_hour, BLOG["graviton_tokens_per_second"]
        ),
        # Throughput the blog's per-token prices would need from its clusters, on-demand.
        "inf2_tokens_per_second_needed": tokens_per_second_for(
            BLOG["inf2_usd_per_million"], inf2_hour
        ),
        "graviton_tokens_per_second_needed": tokens_per_second_for(
            BLOG["graviton_usd_per_million"], grav_hour
        ),
        "savings_usd_year_from_blog_rates": (
            (BLOG["inf2_usd_per_million"] - BLOG["graviton_usd_per_million"])
            * BLOG["tokens_per_month"]
            / 1e6
            * 12
        ),
        "model_weights_gib": weights_gib(KNOWN_MODELS[MODEL].params_billion, "bfloat16"),
        "inf2_24xl_model_memory_gib": model_memory_gib(INF2) or 0.0,
    }


def checks() -> list[ClaimCheck]:
    f = figures()

    def usd(x: float) -> str:
        return f"${x:,.0f}" if x >= 100 else f"${x:,.2f}"

    return [
        ClaimCheck(
            "Opening quote: $14,200/month for inf2.24xlarge",
            "$14,200/month",
            f"{usd(f['inf2_cluster_usd_month'])} for 3 nodes on-demand; "
            f"{usd(f['inf2_node_usd_month'])} for one",
            "holds",
            "Within 0.1 % of the 3-node cluster's on-demand price (the blog calls it one "
            "instance's).",
        ),
        ClaimCheck(
            "3 x inf2.24xlarge, total monthly cost",
            "$42,600",
            f"{usd(f['inf2_cluster_usd_month'])} on-demand ({NODES} x ${f['inf2_usd_hour']}/h x "
            f"{HOURS_PER_MONTH} h)",
            "does not hold",
            f"3x too high. The blog's own opening quote, $14,200/month, is the whole 3-node "
            f"cluster on-demand ({usd(f['inf2_cluster_usd_month'])}); $42,600 = 3 x $14,200 "
            f"counts the nodes twice. One node is {usd(f['inf2_node_usd_month'])}/month.",
        ),
        ClaimCheck(
            "3 x r8g.48xlarge, total monthly cost",
            "$12,780",
            f"{usd(f['graviton_cluster_usd_month'])} on-demand; "
            f"{usd(f['graviton_with_blog_discounts_usd_month'])} after the blog's own 46 % RI "
            "and 20 % savings plan",
            "does not hold",
            "Follows from neither on-demand prices nor the blog's stated discounts; the "
            "discounts themselves are unverified (see the reserve advisor for real offerings).",
        ),
        ClaimCheck(
            "70 % reduction",
            "70 %",
            f"{f['blog_reduction']:.0%} between the blog's two totals; on-demand, the Graviton "
            f"cluster costs {f['graviton_over_inf2_price'] - 1:.0%} more than the inf2 one",
            "does not hold",
            "Exact arithmetic between a tripled on-demand total and a discounted one; like for "
            "like the r8g.48xlarge is the more expensive instance.",
        ),
        ClaimCheck(
            "Graviton4 on-demand pricing is 50 % lower than inf2",
            "-50 %",
            f"r8g.48xlarge ${f['graviton_usd_hour']}/h vs inf2.24xlarge "
            f"${f['inf2_usd_hour']}/h: {f['graviton_over_inf2_price']:.2f}x",
            "does not hold",
            f"The Graviton instance is {f['graviton_over_inf2_price'] - 1:.0%} more expensive "
            "per hour.",
        ),
        ClaimCheck(
            "Inferentia runtime fee",
            "$0.12/h per instance = $1,235/month for 3 nodes",
            f"no such fee; and $0.12 x 3 x 730 h = {usd(f['runtime_fee_usd_month'])}, not $1,235",
            "does not hold",
            "EC2 bills the instance hour; the Neuron SDK is free. The arithmetic is wrong too.",
        ),
        ClaimCheck(
            "inf2 cost per 1M tokens at 108 tok/s",
            "$1.24",
            f"{usd(f['inf2_usd_per_million_cluster'])} (108 tok/s for the cluster), "
            f"{usd(f['inf2_usd_per_million_node'])} (108 tok/s per node), "
            f"{usd(f['inf2_usd_per_million_blog_total'])} (the blog's $42,600)",
            "does not hold",
            f"$1.24 needs {f['inf2_tokens_per_second_needed']:,.0f} tok/s from the cluster, "
            "every hour.",
        ),
        ClaimCheck(
            "Graviton4 cost per 1M tokens at 112 tok/s",
            "$0.37",
            f"{usd(f['graviton_usd_per_million_cluster'])} (cluster), "
            f"{usd(f['graviton_usd_per_million_node'])} (per node), "
            f"{usd(f['graviton_usd_per_million_blog_total'])} (the blog's $12,780)",
            "does not hold",
            f"$0.37 needs {f['graviton_tokens_per_second_needed']:,.0f} tok/s from the "
            "cluster on-demand.",
        ),
        ClaimCheck(
            "100M tokens/month: $87,000 a year saved",
            "$87,000/year",
            f"{usd(f['savings_usd_year_from_blog_rates'])}/year from the blog's own $1.24 and "
            "$0.37",
            "does not hold",
            "Off by a factor of ~83 against its own per-token figures.",
        ),
        ClaimCheck(
            "108 tok/s (inf2.24xlarge) vs 112 tok/s (r8g.48xlarge) for a 70B model",
            "108 / 112 tok/s",
            f"70B bf16 weights are {f['model_weights_gib']:.1f} GiB; inf2.24xlarge holds "
            f"{f['inf2_24xl_model_memory_gib']:.0f} GiB at its largest valid TP (8 x 16 GiB)",
            "does not hold",
            "The model does not fit on inf2.24xlarge at all (TP 12 is not a supported degree), "
            "and Llama 3.2 has no 70B. On r8g.48xlarge decode is memory-bound at <= ~7.6 tok/s "
            "per sequence; 112 tok/s has no published precedent.",
        ),
        ClaimCheck(
            "1-year RI 46 % off, 3-year 62 % off",
            "46 % / 62 %",
            "not in any source we hold",
            "unverifiable",
            "Reservation rates differ by type, term, payment option and class: read them from "
            "describe_reserved_instances_offerings (`graviton-llm reserve`).",
        ),
        ClaimCheck(
            "1-year RIs took Graviton compute from $28,601 to $15,445/month",
            "$28,601 -> $15,445",
            f"3 x r8g.48xlarge on-demand is {usd(f['graviton_cluster_usd_month'])}/month",
            "does not hold",
            "The starting figure is not the on-demand price (the 46 % step itself is "
            "arithmetic: 28,601 x 0.54 = 15,445).",
        ),
    ]
