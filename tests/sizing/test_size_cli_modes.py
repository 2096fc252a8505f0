"""`graviton-llm size` as a user runs it: flags refused outside the mode that reads them, the
deploy region checked as `plan` checks it, a saved calibration applied (and said) by --predict,
the table readable at 80 columns, trn2 ranked at its
Capacity Block rate."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.facts import performance as perf
from graviton_llm.sizing import calibration_store as store

runner = CliRunner()
LLAMA_70B = "meta-llama/Llama-3.3-70B-Instruct"
LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"
SEARCH = ("size", "--model", LLAMA_70B, "--requests-per-s", "2", "--input-len", "512",
          "--output-len", "256")  # fmt: skip


def invoke(*args: str, columns: int = 200):
    return runner.invoke(app, list(args), env={"COLUMNS": str(columns)})


@pytest.mark.slow
def test_flags_of_another_mode_are_refused_together_naming_each():
    result = invoke(*SEARCH, "--save", "--bench-nodes", "3", "--stack", "dev", "--batch", "7")
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    for flag in ("--save", "--bench-nodes", "--stack", "--batch"):
        assert f"{flag} applies to" in out
    assert "not the search" in out
    nodes = invoke(*SEARCH, "--nodes", "3", "--instance-type", "inf2.48xlarge")
    assert nodes.exit_code == 2 and "--nodes applies to --predict with a traffic" in nodes.output
    assert "--min-nodes" in nodes.output  # what the user probably meant
    point = invoke("size", "--predict", "--model", LLAMA_70B, "--instance-type",
                   "inf2.48xlarge", "--region", "us-east-2", "--ttft-p99-ms", "500")  # fmt: skip
    assert point.exit_code == 2
    assert "--region applies to the search" in point.output
    assert "--ttft-p99-ms applies to the search" in point.output
    stack = invoke("size", "--calibrate", "bench.json", "--stack", "prod", "--model", LLAMA_8B)
    assert stack.exit_code == 2 and "--model comes from the stack" in stack.output


def test_predict_reports_every_missing_flag_at_once():
    result = invoke("size", "--predict", "--concurrent-users", "8")
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "--model is required" in out and "--instance-type is required" in out
    assert "--max-num-seqs (the slots users queue for) is required" in out


@pytest.mark.parametrize("region", ["us-east-3", "US-EAST-2", "us-east-2 ", ""])
def test_a_region_that_is_not_one_exits_2_naming_region(region):
    result = invoke(*SEARCH, "--region", region)
    assert result.exit_code == 2, result.output
    assert "--region" in result.output and "no feasible configuration" not in result.output
    as_json = invoke(*SEARCH, "--region", region, "--json")
    assert as_json.exit_code == 2 and "--region" in as_json.output


def save_calibration(tmp_path, monkeypatch, tp: int = 24, seqs: int = 8) -> perf.Scales:
    monkeypatch.setenv(store.DIRECTORY_ENV, str(tmp_path))
    scales = perf.Scales(step=2.0, prefill=1.0, serving_ms=49.19)
    deployment = store.Deployment(LLAMA_70B, "inf2.48xlarge", tp, seqs)
    document = {"format": store.FORMAT, "scales": {"step": 2.0, "prefill": 1.0,
                                                     "serving_ms": 49.19}}  # fmt: skip
    store.save(document, deployment)
    return scales


@pytest.mark.slow
def test_predict_applies_a_saved_calibration_when_the_tp_is_left_to_its_default(
    tmp_path, monkeypatch
):
    save_calibration(tmp_path, monkeypatch)  # TP 24 is inf2.48xlarge's default
    base = ("size", "--predict", "--model", LLAMA_70B, "--instance-type", "inf2.48xlarge",
            "--max-num-seqs", "8", "--input-len", "1500", "--output-len", "250",
            "--concurrent-users", "4")  # fmt: skip
    calibrated = json.loads(invoke(*base, "--json").output)
    assert calibrated["calibration"]["applied"] is True
    assert calibrated["calibration"]["scales"]["step"] == 2.0
    assert calibrated["model"] == LLAMA_70B and calibrated["tensor_parallel_size"] == 24
    text = invoke(*base).output
    assert "calibration: applied" in text and LLAMA_70B in text
    monkeypatch.setenv(store.DIRECTORY_ENV, str(tmp_path / "none"))
    plain = json.loads(invoke(*base, "--json").output)
    assert plain["calibration"] == {"applied": False, "path": None, "scales": None}
    assert calibrated["no_queue"]["decode_step_ms"] == pytest.approx(
        2 * plain["no_queue"]["decode_step_ms"], rel=1e-3
    )
    assert "calibration: none saved" in invoke(*base).output


def test_a_point_prediction_applies_the_saved_calibration_too(tmp_path, monkeypatch):
    save_calibration(tmp_path, monkeypatch, seqs=16)
    base = ("size", "--predict", "--model", LLAMA_70B, "--instance-type", "inf2.48xlarge",
            "--batch", "16", "--json")  # fmt: skip
    calibrated = json.loads(invoke(*base).output)
    monkeypatch.setenv(store.DIRECTORY_ENV, str(tmp_path / "none"))
    plain = json.loads(invoke(*base).output)
    assert calibrated["calibration"]["applied"] and not plain["calibration"]["applied"]
    assert calibrated["tpot_ms"] == pytest.approx(2 * plain["tpot_ms"])


def test_the_table_numbers_the_rows_it_shows_and_keeps_names_whole_at_80_columns():
    wide = invoke(*SEARCH)
    ranks = [line.split("│")[1].strip() for line in wide.output.splitlines()
             if line.startswith("│") and line.split("│")[1].strip()]  # fmt: skip
    assert ranks == [str(i) for i in range(1, len(ranks) + 1)]
    assert "* nodes: node counts assume the NLB" in " ".join(wide.output.split())
    narrow = invoke(*SEARCH, columns=80)
    assert narrow.exit_code == 0
    assert re.search(r"^\d+\. inf2\.48xlarge \(", narrow.output, re.MULTILINE)
    assert "inf2.48xlarg\n" not in narrow.output
    assert all(len(line) <= 80 for line in narrow.output.splitlines())


def test_trn2_in_us_east_2_is_ranked_at_its_capacity_block_rate_and_says_so():
    args = ("size", "--model", LLAMA_70B, "--requests-per-s", "1", "--region", "us-east-2",
            "--instance-type", "trn2.48xlarge")  # fmt: skip
    text = " ".join(invoke(*args).output.split())
    assert "(Capacity Block rate)" in text and "capacity-block" in text
    assert "$35.7608/h Capacity Block rate" in text and "describe-capacity-block-offerings" in text
    document = json.loads(invoke(*args, "--json").output)
    assert {p["purchase_option"] for p in document["prices"]} == {"capacity-block"}
    assert [c["term"] for c in document["options"][0]["costs"]] == ["capacity-block"]
    assert "capacity-block" in [t["term"] for t in document["terms"]]
    given = json.loads(
        invoke(*args[:-4], "--region", "ap-south-2", "--instance-type", "trn2.48xlarge",
               "--price-per-hour", "trn2.48xlarge=40", "--json").output
    )  # fmt: skip
    assert given["options"][0]["costs"][0]["term"] == "your-rate"
    bad = invoke(*args, "--price-per-hour", "trn2.48xlarge")
    assert bad.exit_code == 2 and "TYPE=USD" in bad.output
