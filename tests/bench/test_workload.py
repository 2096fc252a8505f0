"""What gets sent: lengths, prompts and arrival times, reproducible from the seed."""

from __future__ import annotations

import json
import random

import pytest

from graviton_llm.bench.workload import LengthSpec, PromptSource, load_dataset


def test_length_spec_parses_fixed_and_uniform_ranges():
    assert LengthSpec.parse("128") == LengthSpec(128, 128)
    spec = LengthSpec.parse("64:256")
    rng = random.Random(1)
    draws = [spec.draw(rng) for _ in range(2000)]
    assert min(draws) == 64 and max(draws) == 256
    assert str(spec) == "64:256"


@pytest.mark.parametrize("bad", ["0", "abc", "9:3", "-1:5", ""])
def test_length_spec_rejects_nonsense_and_says_what_is_valid(bad):
    with pytest.raises(ValueError, match="LOW"):
        LengthSpec.parse(bad)


def test_prompts_are_reproducible_and_have_the_asked_word_count():
    source = PromptSource(LengthSpec(50, 50), LengthSpec(10, 20), seed=7)
    again = PromptSource(LengthSpec(50, 50), LengthSpec(10, 20), seed=7)
    other = PromptSource(LengthSpec(50, 50), LengthSpec(10, 20), seed=8)
    assert [source.prompt(i) for i in range(5)] == [again.prompt(i) for i in range(5)]
    assert source.prompt(3) != other.prompt(3)
    assert all(len(source.prompt(i).text.split()) == 50 for i in range(20))
    assert all(10 <= source.prompt(i).max_tokens <= 20 for i in range(20))


def test_dataset_prompts_cycle_and_keep_their_max_tokens(tmp_path):
    path = tmp_path / "prompts.jsonl"
    path.write_text(
        json.dumps({"prompt": "one two three", "max_tokens": 7}) + "\n\n"
        + json.dumps({"prompt": "four"}) + "\n"
    )  # fmt: skip
    source = PromptSource(LengthSpec(1, 1), LengthSpec(5, 5), seed=0, dataset=load_dataset(path))
    assert [(source.prompt(i).text, source.prompt(i).max_tokens) for i in range(3)] == [
        ("one two three", 7),
        ("four", 5),
        ("one two three", 7),
    ]


def test_dataset_errors_name_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prompt": "ok"}\n{"text": "no prompt"}\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:2"):
        load_dataset(path)
