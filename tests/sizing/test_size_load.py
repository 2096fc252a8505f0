"""A fixed deployment under load (`size --predict` with a traffic): monotone in users, prompt
length and batch, as a user relies on when comparing what-ifs."""

from __future__ import annotations

import itertools

from graviton_llm.sizing import loaded_prediction

MODEL = "meta-llama/Llama-3.3-70B-Instruct"


def predict(**kwargs):
    args = {"tensor_parallel_size": 24, "max_num_seqs": 8, "input_len": 1500, "output_len": 250,
            "concurrent_users": 8} | kwargs  # fmt: skip
    return loaded_prediction(MODEL, "inf2.48xlarge", **args)


def test_more_users_never_wait_less_nor_serve_less():
    runs = [predict(concurrent_users=n) for n in (1, 2, 4, 8, 16, 32, 128)]
    for a, b in itertools.pairwise(runs):
        assert b.load.ttft_p50_s >= a.load.ttft_p50_s and b.load.ttft_p99_s >= a.load.ttft_p99_s
        assert b.load.throughput_rps >= a.load.throughput_rps * (1 - 1e-9)
    assert runs[-1].load.queued > 100  # 128 users on 8 slots


def test_longer_prompts_never_start_sooner():
    runs = [predict(input_len=n, concurrent_users=4) for n in (128, 512, 1500, 3000)]
    for a, b in itertools.pairwise(runs):
        assert b.load.ttft_p50_s >= a.load.ttft_p50_s and b.load.ttft_p99_s >= a.load.ttft_p99_s


def test_a_bigger_batch_serves_more_at_a_slower_token():
    runs = [predict(max_num_seqs=b, concurrent_users=32) for b in (1, 2, 4, 8)]
    for a, b in itertools.pairwise(runs):
        assert b.load.throughput_rps >= a.load.throughput_rps
        assert b.load.inter_token_s >= a.load.inter_token_s
        assert b.load.ttft_p50_s <= a.load.ttft_p50_s  # more slots: shorter queue


def test_more_nodes_and_replicas_share_the_load():
    one = predict(concurrent_users=32)
    two = predict(concurrent_users=32, nodes=2)
    assert two.load.ttft_p50_s < one.load.ttft_p50_s
    assert two.load.throughput_rps > one.load.throughput_rps
