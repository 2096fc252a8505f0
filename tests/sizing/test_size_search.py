"""The search: feasibility and the reason for each drop, node counts by hand, ranking, cost."""

from __future__ import annotations

import math

import pytest

from graviton_llm.facts import performance as perf
from graviton_llm.pricing import cost
from graviton_llm.sizing import SizingRequest, Targets, Traffic, choose_model, size
from graviton_llm.sizing.evaluate import nodes_for_traffic
from graviton_llm.sizing.search import best_per_degree

LLAMA_70B = choose_model("meta-llama/Llama-3.3-70B-Instruct")
LLAMA_8B = choose_model("meta-llama/Llama-3.1-8B-Instruct")


def request(model=LLAMA_70B, traffic=None, targets=None, **kwargs) -> SizingRequest:
    traffic = traffic or Traffic(512, 256, requests_per_s=2)
    return SizingRequest(model, traffic, targets or Targets(), kwargs.pop("max_model_len", 1024),
                         **kwargs)  # fmt: skip


def at_tp(result, tp: int) -> list:
    return [o for o in result.options if o.tensor_parallel_size == tp]


def codes(result, instance_type, tp=None, seqs=None) -> set[str]:
    return {
        reason.code
        for r in result.rejected
        if r.instance_type == instance_type
        and (tp is None or r.tensor_parallel_size == tp)
        and (seqs is None or r.max_num_seqs == seqs)
        for reason in r.reasons
    }


# ---------------------------------------------------------------------------------------------
# Node count, by hand
# ---------------------------------------------------------------------------------------------


def _engine(model, instance_type, tp, seqs, input_len, output_len):
    return perf.engine(
        model.shape, instance_type, tensor_parallel_size=tp, max_num_seqs=seqs,
        input_len=input_len, output_len=output_len,
    )  # fmt: skip


def test_nodes_hold_every_user_or_keep_up_with_the_arrivals_by_hand():
    engine = perf.Engine(16, 0.0, 0.0, 0.01, 1001, 0.0)  # 10 s a request, 16 slots: 1.6 req/s
    # 2 req/s on 1.6 req/s per node: floor(2 / 1.6) + 1 = 2 nodes (1 would queue forever).
    assert nodes_for_traffic(Traffic(512, 256, requests_per_s=2), engine, 1) == 2
    # 1.6 req/s is one node's capacity exactly: Poisson arrivals queue without bound, so 2.
    assert nodes_for_traffic(Traffic(512, 256, requests_per_s=1.6), engine, 1) == 2
    assert nodes_for_traffic(Traffic(512, 256, requests_per_s=0.1), engine, 1) == 1
    # Three replicas a node triple its capacity.
    assert nodes_for_traffic(Traffic(512, 256, requests_per_s=2), engine, 3) == 1
    # 33 users, 16 slots: ceil(33 / 16) = 3; 32 users: exactly 2.
    assert nodes_for_traffic(Traffic(512, 256, concurrent_users=33), engine, 1) == 3
    assert nodes_for_traffic(Traffic(512, 256, concurrent_users=32), engine, 1) == 2


def test_an_option_carries_its_arithmetic():
    result = size(request(instance_types=("inf2.48xlarge",), max_num_seqs=(16,)))
    (option,) = result.options
    engine = _engine(LLAMA_70B, "inf2.48xlarge", 24, 16, 512, 256)
    assert option.nodes == option.nodes_for_traffic == math.floor(2 / engine.rate(16)) + 1
    load = perf.open_loop(engine, 2 / option.nodes)  # each node's share of the arrivals
    assert option.load == load
    assert option.tpot_ms == pytest.approx(load.inter_token_s * 1e3)
    assert option.ttft_p99_ms == pytest.approx(load.ttft_p99_s * 1e3)
    assert option.coverage.kind == "interpolated"  # 70B TP24 is published at 1-8 slots
    # $/1M = nodes x $/h / (2 req/s x 256 tokens x 3600 s) x 1e6, on-demand and 1yr (35 % off).
    hourly = option.nodes * 12.98127
    on_demand, one_year = option.cost.terms
    assert on_demand.usd_per_hour == pytest.approx(hourly)
    assert on_demand.usd_per_month == pytest.approx(hourly * 730)
    assert on_demand.usd_per_million_tokens == pytest.approx(hourly / (2 * 256 * 3600) * 1e6)
    assert one_year.usd_per_million_tokens == pytest.approx(0.65 * hourly / (2 * 256 * 3600) * 1e6)


def test_a_ttft_target_adds_nodes_until_the_queue_is_short_enough():
    traffic = Traffic(512, 128, requests_per_s=5)
    kwargs = {"instance_types": ("inf2.48xlarge",), "max_num_seqs": (8,)}
    (free,) = at_tp(size(request(LLAMA_8B, traffic, **kwargs)), 24)
    assert free.nodes == free.nodes_for_traffic
    target = 0.6 * free.ttft_p99_ms
    (option,) = at_tp(size(request(LLAMA_8B, traffic, Targets(ttft_p99_ms=target), **kwargs)), 24)
    assert option.nodes > option.nodes_for_traffic
    assert option.ttft_p99_ms <= target
    engine = _engine(LLAMA_8B, "inf2.48xlarge", 24, 8, 512, 128)
    assert perf.open_loop(engine, 5 / (option.nodes - 1)).ttft_p99_s * 1e3 > target  # fewest


def test_users_beyond_the_slots_queue_and_more_users_never_wait_less():
    kwargs = {"instance_types": ("inf2.48xlarge",), "max_num_seqs": (8,), "min_nodes": 1}
    one_node = [
        size(request(LLAMA_70B, Traffic(1500, 250, concurrent_users=users), **kwargs)).best
        for users in (4, 8)
    ]
    assert all(o is not None and o.nodes == 1 for o in one_node)
    assert one_node[0].ttft_p50_ms <= one_node[1].ttft_p50_ms
    prediction = perf.closed_loop(_engine(LLAMA_70B, "inf2.48xlarge", 24, 8, 1500, 250), 128)
    # 128 users on 8 slots: 120 wait; the TTFT is mostly the wait for a slot.
    assert prediction.slot_wait_mean_s > 0.9 * prediction.ttft_mean_s > 10


def test_a_pick_within_five_percent_of_a_target_is_flagged():
    traffic = Traffic(512, 128, requests_per_s=0.5)
    kwargs = {"instance_types": ("inf2.48xlarge",), "max_num_seqs": (8,)}
    (plain,) = at_tp(size(request(LLAMA_8B, traffic, **kwargs)), 24)
    close = Targets(tpot_ms=plain.tpot_ms * 1.02)  # met by 2 %
    (option,) = at_tp(size(request(LLAMA_8B, traffic, close, **kwargs)), 24)
    assert option.near_target == ("TPOT",)
    roomy = Targets(tpot_ms=plain.tpot_ms * 1.5)
    (option,) = at_tp(size(request(LLAMA_8B, traffic, roomy, **kwargs)), 24)
    assert option.near_target == ()


def test_batches_past_the_published_data_are_kept_out_unless_asked():
    kwargs = {"instance_types": ("inf2.48xlarge",), "max_num_seqs": (8, 64)}
    result = size(request(**kwargs))
    assert {o.max_num_seqs for o in result.options} == {8}
    assert codes(result, "inf2.48xlarge", 24, 64) == {"extrapolated"}
    asked = size(request(include_extrapolated=True, **kwargs))
    extra = [o for o in asked.options if o.max_num_seqs == 64]
    assert extra and extra[0].coverage.kind == "extrapolated"


def test_replicas_per_node_use_the_idle_cores_but_are_not_deployable_yet():
    traffic = Traffic(1500, 250, requests_per_s=4)
    kwargs = {"instance_types": ("inf2.48xlarge",), "max_num_seqs": (32,)}
    (one,) = [o for o in size(request(LLAMA_8B, traffic, **kwargs)).options
              if o.tensor_parallel_size == 8]  # fmt: skip
    result = size(request(LLAMA_8B, traffic, replicas_per_node=(1, 3), **kwargs))
    three = next(o for o in result.options if o.replicas_per_node == 3)
    assert three.tensor_parallel_size == 8 and three.nodes < one.nodes
    assert not three.deployable and one.deployable


def test_min_nodes_is_a_floor():
    result = size(request(instance_types=("inf2.48xlarge",), max_num_seqs=(16,), min_nodes=3))
    (option,) = result.options
    assert option.nodes == 3 and option.nodes_for_traffic == 2


# ---------------------------------------------------------------------------------------------
# Feasibility and reasons
# ---------------------------------------------------------------------------------------------


def test_every_infeasible_option_is_dropped_with_its_reason():
    result = size(request(targets=Targets(ttft_p99_ms=2000, tpot_ms=100)))
    # 70B in bf16 (131 GiB) cannot even be staged in inf2.xlarge's 16 GiB of host RAM, nor fit
    # inf2.24xlarge's TP 8 (128 GiB of NeuronCore memory) at any batch.
    assert codes(result, "inf2.xlarge") == {"host-memory"}
    assert codes(result, "inf2.24xlarge") == {"does-not-fit"}
    whole = [
        r for r in result.rejected if r.instance_type == "inf2.48xlarge" and not r.max_num_seqs
    ]
    assert [r.tensor_parallel_size for r in whole] == [1, 2, 4, 8]
    assert codes(result, "inf2.48xlarge", 24, 64) == {"extrapolated"}  # data stops at 32
    assert codes(result, "inf2.48xlarge", 24, 256) == {"does-not-fit"}
    # Not sold in us-east-1: that is the reason; its price elsewhere does not matter here.
    assert codes(result, "trn2.48xlarge") == {"not-offered-in-region"}
    assert codes(result, "r8g.48xlarge") == {"uncalibrated"}
    # Each configuration appears once: as an option or as a rejection.
    seen = [(o.instance_type, o.tensor_parallel_size, o.max_num_seqs) for o in result.options]
    seen += [(r.instance_type, r.tensor_parallel_size, r.max_num_seqs) for r in result.rejected]
    assert len(seen) == len(set(seen))
    for option in result.options:
        assert option.tpot_ms <= 100 and option.ttft_p99_ms <= 2000


def test_a_ttft_target_below_the_floor_says_no_queue_would_help():
    result = size(request(targets=Targets(ttft_p50_ms=100), instance_types=("inf2.48xlarge",)))
    assert not result.options
    details = [x.detail for r in result.rejected for x in r.reasons if x.code == "misses-ttft-p50"]
    assert details and all("even without queueing" in d for d in details)


def test_region_decides_what_is_offered():
    # Sold in ap-south-2, but the snapshot has no price there: said, not guessed.
    result = size(request(region="ap-south-2", instance_types=("trn2.48xlarge",)))
    assert codes(result, "trn2.48xlarge") == {"no-price"}
    result = size(request(region="eu-west-1", instance_types=("trn1.32xlarge",)))
    assert codes(result, "trn1.32xlarge") == {"not-offered-in-region"}


def test_uncalibrated_graviton_is_ranked_only_when_asked_and_flagged():
    kwargs = {"instance_types": ("r8g.48xlarge",), "max_num_seqs": (8,)}
    assert not size(request(LLAMA_8B, **kwargs)).options
    (option,) = size(request(LLAMA_8B, include_uncalibrated=True, **kwargs)).options
    assert option.prediction.calibrated is False


def test_bad_search_inputs_are_refused():
    with pytest.raises(ValueError, match=r"inf2\.9xlarge"):
        size(request(instance_types=("inf2.9xlarge",)))
    with pytest.raises(ValueError, match="--max-num-seqs"):
        size(request(max_num_seqs=(0,)))
    with pytest.raises(ValueError, match="--min-nodes"):
        size(request(min_nodes=0))


def test_the_args_memory_rule_is_checked_too(monkeypatch):
    # The args size a known model by its card's parameter count (70.6B) where the performance
    # model counts its layers (70.55B): an option must pass both, or its stack would not validate.
    from graviton_llm.facts.memory import MemoryFit
    from graviton_llm.sizing import search

    monkeypatch.setattr(search, "memory_fit", lambda **_: MemoryFit(131.5, 300.0, 38.4, 384))
    result = size(request(instance_types=("inf2.48xlarge",), max_num_seqs=(16,)))
    assert not result.options
    (rejection,) = [r for r in result.rejected if r.tensor_parallel_size == 24]
    assert rejection.reasons[0].code == "does-not-fit"
    assert "facts/memory.py" in rejection.reasons[0].detail


# ---------------------------------------------------------------------------------------------
# Ranking
# ---------------------------------------------------------------------------------------------


def test_options_are_ranked_by_the_fleets_price_then_latency():
    result = size(request(targets=Targets(ttft_p99_ms=2000, tpot_ms=100)))
    keys = [(o.on_demand_usd_per_hour, o.ttft_p99_ms) for o in result.options]
    assert keys == sorted(keys)
    best = result.best
    assert best is not None
    assert best.on_demand_usd_per_hour == min(o.on_demand_usd_per_hour for o in result.options)
    assert (best.instance_type, best.tensor_parallel_size, best.nodes) == ("inf2.48xlarge", 24, 2)
    # two inf2.48xlarge ($25.96/h) against two trn1.32xlarge ($43/h) at 2 req/s
    per_degree = best_per_degree(result.options)
    pairs = [(o.instance_type, o.tensor_parallel_size) for o in per_degree]
    assert len(pairs) == len(set(pairs)) and per_degree[0] is best


def test_a_3yr_rate_is_priced_only_when_given():
    given = cost.discounts_with({"3yr": 0.5}, "test")
    result = size(request(discounts=given, instance_types=("inf2.48xlarge",)))
    terms = [t.term for t in result.options[0].cost.terms]
    assert terms == ["on-demand", "1yr", "3yr"]
    result = size(request(instance_types=("inf2.48xlarge",)))
    assert [t.term for t in result.options[0].cost.terms] == ["on-demand", "1yr"]


def test_trn2_is_recommended_in_a_region_that_sells_it():
    # us-east-2 sells and prices trn2.48xlarge: it is ranked at its us-east-2 price.
    result = size(request(region="us-east-2", instance_types=("trn2.48xlarge",)))
    best = result.best
    assert best is not None and best.instance_type == "trn2.48xlarge"
    assert best.on_demand_usd_per_hour == pytest.approx(35.76 * best.nodes)
    # In us-east-1 (not sold there) it is dropped for that reason alone.
    east1 = size(request(instance_types=("trn2.48xlarge",)))
    assert not east1.options and codes(east1, "trn2.48xlarge") == {"not-offered-in-region"}


def test_prices_are_the_regions_own():
    result = size(request(region="sa-east-1", instance_types=("inf2.48xlarge",), max_num_seqs=(8,)))
    (option,) = result.options
    assert option.on_demand_usd_per_hour == pytest.approx(22.06815 * option.nodes)


def test_an_instance_whose_host_ram_cannot_stage_the_checkpoint_is_refused():
    # Llama-3.1-8B in bf16 is a 15 GiB checkpoint; inf2.xlarge has 32 GiB of device memory but
    # 16 GiB of host RAM, which must hold the checkpoint while vLLM shards it.
    traffic = Traffic(512, 128, requests_per_s=0.2)
    result = size(request(LLAMA_8B, traffic, instance_types=("inf2.xlarge", "inf2.8xlarge")))
    assert codes(result, "inf2.xlarge") == {"host-memory"}
    (detail,) = [x.detail for r in result.rejected for x in r.reasons if x.code == "host-memory"]
    assert "16 GiB" in detail and "15.0 GiB" in detail
    assert {o.instance_type for o in result.options} == {"inf2.8xlarge"}  # 128 GiB host RAM
