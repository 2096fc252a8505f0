"""`graviton-llm size` and `cost` as a user runs them: table, JSON shape, --predict, --write-stack,
--calibrate, exit codes; `cost` without --tokens-per-second."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.facts import catalog
from graviton_llm.facts import performance as perf
from graviton_llm.project import stack_cluster_args

runner = CliRunner()
LLAMA_70B = "meta-llama/Llama-3.3-70B-Instruct"
ASKED = ("--model", LLAMA_70B, "--requests-per-s", "2", "--input-len", "512",
         "--output-len", "256", "--ttft-p99-ms", "2000", "--tpot-ms", "100")  # fmt: skip


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_size_prints_the_ranked_table_the_formulas_and_what_was_dropped():
    result = invoke("size", *ASKED)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "trn1.32xlarge" in out and "inf2.48xlarge" in out
    assert "$25.96" in out  # two inf2.48xlarge, the cheapest that meets both targets
    assert "lambda / replicas < rate(B)" in out  # the node formula, stated
    assert "extrapolated beyond published data" in out and "does not fit at any" in out
    assert "not offered in us-east-1" in out and "no published measurement" in out
    assert "3yr: no sourced rate" in out
    assert (
        "price inf2.48xlarge in us-east-1: $12.98127/h" in out
        and catalog.PRICE_SNAPSHOT_DATE in out
    )


def test_size_json_has_a_stable_documented_shape():
    result = invoke("size", *ASKED, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) == {
        "schema_version", "model", "traffic", "max_model_len", "min_nodes", "targets", "region",
        "prices", "terms", "formulas", "assumptions", "options", "rejected",
    }  # fmt: skip
    assert document["schema_version"] == 3 and document["max_model_len"] == 1024
    option = document["options"][0]
    assert set(option) == {
        "rank", "instance_type", "tensor_parallel_size", "max_num_seqs", "nodes",
        "nodes_for_traffic", "concurrency", "ttft_p50_ms", "ttft_p99_ms", "ttft_no_queue_ms",
        "slot_wait_mean_ms", "tpot_ms", "decode_step_ms", "e2e_ms", "per_request_tokens_per_s",
        "node_output_tokens_per_s", "fleet_output_tokens_per_s", "served_output_tokens_per_s",
        "generation", "calibrated", "calibrated_by_bench", "replicas_per_node", "deployable",
        "coverage", "coverage_detail", "near_target", "costs",
    }  # fmt: skip
    assert [o["rank"] for o in document["options"]] == list(range(1, len(document["options"]) + 1))
    assert [c["term"] for c in option["costs"]] == ["on-demand", "1yr"]
    assert set(option["costs"][0]) == {
        "term", "usd_per_hour", "usd_per_month", "usd_per_million_output_tokens",
    }  # fmt: skip
    rejected = document["rejected"][0]
    assert set(rejected) == {"instance_type", "tensor_parallel_size", "max_num_seqs", "reasons"}
    allowed = {
        "not-offered-in-region", "no-price", "uncalibrated", "does-not-fit", "misses-ttft-p50",
        "misses-ttft-p99", "misses-tpot", "not-servable", "host-memory", "extrapolated",
    }  # fmt: skip
    assert {r["code"] for x in document["rejected"] for r in x["reasons"]} <= allowed
    assert {p["instance_type"] for p in document["prices"]} == {
        o["instance_type"] for o in document["options"]
    }
    assert {p["purchase_option"] for p in document["prices"]} == {"on-demand"}
    # Same input, same bytes.
    assert invoke("size", *ASKED, "--json").output == result.output


def test_another_region_is_priced_at_its_own_prices():
    result = invoke("size", *ASKED, "--region", "sa-east-1", "--json")
    (inf2,) = [
        p for p in json.loads(result.output)["prices"] if p["instance_type"] == "inf2.48xlarge"
    ]
    assert (inf2["region"], inf2["usd_per_hour"], inf2["date"]) == (
        "sa-east-1",
        22.06815,
        "2026-08-26",
    )
    assert (
        "price inf2.48xlarge in sa-east-1: $22.06815/h"
        in invoke("size", *ASKED, "--region", "sa-east-1").output
    )


def test_predict_json_is_the_models_point_prediction():
    result = invoke(
        "size", "--predict", "--model", LLAMA_70B, "--instance-type", "inf2.48xlarge",
        "--tensor-parallel-size", "24", "--batch", "16", "--input-len", "512",
        "--output-len", "128", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    expected = perf.predict(
        LLAMA_70B, "inf2.48xlarge", tensor_parallel_size=24, batch=16, input_len=512,
        output_len=128,
    )  # fmt: skip
    for key in ("ttft_ms", "tpot_ms", "output_tokens_per_s", "per_request_tokens_per_s"):
        assert document[key] == pytest.approx(getattr(expected, key))
    assert document["calibrated"] is True and "itl_under_load_ms" in document


def test_predict_with_users_gives_ttft_quantiles_of_a_fixed_deployment():
    base = ("size", "--predict", "--model", LLAMA_70B, "--instance-type", "inf2.48xlarge",
            "--tensor-parallel-size", "24", "--max-num-seqs", "8", "--input-len", "1500",
            "--output-len", "250")  # fmt: skip
    few = json.loads(invoke(*base, "--concurrent-users", "4", "--json").output)
    many = json.loads(invoke(*base, "--concurrent-users", "128", "--json").output)
    assert few["slot_wait_mean_ms"] == 0 and many["slot_wait_mean_ms"] > 60_000
    assert many["ttft_p50_ms"] > 60_000 > few["ttft_p99_ms"]  # 120 of 128 users wait
    assert many["running_per_replica"] == pytest.approx(8)
    rate = json.loads(invoke(*base, "--requests-per-s", "0.2", "--json").output)
    assert rate["stable"] and rate["ttft_p99_ms"] >= rate["ttft_p50_ms"]
    too_much = invoke(*base, "--requests-per-s", "50")
    assert too_much.exit_code == 0 and "unstable" in too_much.output
    text = invoke(*base, "--concurrent-users", "128").output
    assert "TTFT p50 / p99" in text and "waiting for a slot" in text


def test_write_stack_refuses_an_option_the_cluster_cannot_deploy(tmp_path):
    path = tmp_path / "Pulumi.dp.yaml"
    result = invoke(
        "size", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--requests-per-s", "4",
        "--input-len", "1500", "--output-len", "250", "--instance-type", "inf2.48xlarge",
        "--max-num-seqs", "32", "--replicas-per-node", "3", "--write-stack", str(path),
    )  # fmt: skip
    assert result.exit_code == 2 and "cannot deploy yet" in result.output
    assert not path.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--requests-per-s", "2", "--concurrent-users", "3"), "exactly one of"),
        (("--requests-per-s", "-1"), "--requests-per-s must be > 0"),
        (("--requests-per-s", "1", "--instance-type", "inf2.9xlarge"), "not in the catalog"),
        (("--requests-per-s", "1", "--input-len", "200000"), "exceeds"),
        (("--predict", "--instance-type", "inf2.48xlarge", "--tensor-parallel-size", "7"),
         "tensor_parallel_size 7 is not supported"),
        (("--predict",), "--instance-type is required"),
        (("--predict", "--instance-type", "inf2.48xlarge", "--max-num-seqs", "8",
          "--concurrent-users", "4", "--think-time-s", "-1"), "Invalid value for '--think-time-s'"),
        (("--predict", "--instance-type", "inf2.48xlarge", "--concurrent-users", "4"),
         "--max-num-seqs (the slots users queue for) is required"),
        (("--predict", "--instance-type", "inf2.48xlarge", "--max-num-seqs", "8",
          "--requests-per-s", "1", "--replicas-per-node", "2"), "needs 48 NeuronCores"),
        (("--requests-per-s", "1", "--replicas-per-node", "0"),
         "Invalid value for '--replicas-per-node'"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_a_readable_error(args, message):
    result = invoke("size", "--model", LLAMA_70B, *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output and message in result.output
    as_json = invoke("size", "--model", LLAMA_70B, *args, "--json")
    assert as_json.exit_code == 2 and message in json.loads(as_json.output)["errors"][0]["fix"]


def test_no_feasible_option_exits_1_and_writes_nothing(tmp_path):
    path = tmp_path / "Pulumi.none.yaml"
    result = invoke("size", *ASKED, "--tpot-ms", "1", "--write-stack", str(path))
    assert result.exit_code == 1
    assert "no feasible configuration" in result.output and "not written" in result.output
    assert not path.exists()


def test_write_stack_writes_a_validated_stack_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "Pulumi.sized.yaml"
    result = invoke(
        "size", *ASKED, "--min-nodes", "3", "--write-stack", str(path),
        "--vpc-id", "vpc-0123456789abcdef0",
        "--subnet-id", "subnet-0aaaaaaaaaaaaaaaa", "--subnet-id", "subnet-0bbbbbbbbbbbbbbbb",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "model.weights_uri" in result.output
    args, config = stack_cluster_args(str(path))
    assert (args.instance_type, args.desired_capacity, args.max_num_seqs) == (
        "inf2.48xlarge",
        3,
        32,
    )  # fmt: skip  (found from the traffic)
    assert args.vpc_id == "vpc-0123456789abcdef0" and config["aws:region"] == "us-east-1"
    before = path.read_text()
    again = invoke("size", *ASKED, "--write-stack", str(path))
    assert again.exit_code == 2 and "pass --force" in again.output
    assert path.read_text() == before
    bad = invoke("size", *ASKED, "--write-stack", str(tmp_path / "Pulumi.bad.yaml"),
                 "--weights-uri", "not-a-uri")  # fmt: skip
    assert bad.exit_code == 2 and "weights_uri" in bad.output
    assert not (tmp_path / "Pulumi.bad.yaml").exists()


def prod_bench(tmp_path, concurrency: int, ttft_factor: float):
    """A bench.json of the prod stack's deployment (70B, inf2.48xlarge TP 24, 16 slots) whose
    TTFT is ``ttft_factor`` x the model's no-queue prediction, the rest as predicted."""
    predicted = perf.predict(
        LLAMA_70B, "inf2.48xlarge", tensor_parallel_size=24, batch=16, input_len=512,
        output_len=128, max_num_seqs=16,
    )  # fmt: skip
    bench = {
        "model_id": LLAMA_70B, "request_rate": "inf", "max_concurrency": concurrency,
        "completed": 100, "total_input_tokens": 51200, "total_output_tokens": 12800,
        "mean_ttft_ms": predicted.ttft_ms * ttft_factor,
        "mean_tpot_ms": predicted.itl_under_load_ms,
        "output_throughput": predicted.output_tokens_per_s,
    }  # fmt: skip
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(bench))
    return path


def test_calibrate_against_a_bench_result_for_the_prod_stack(tmp_path):
    path = prod_bench(tmp_path, 16, 2.0)
    result = invoke("size", "--calibrate", str(path), "--stack", "prod", "--json")
    assert result.exit_code == 0, result.output
    errors = {r["metric"]: r["error"] for r in json.loads(result.output)["rows"]}
    assert errors == {"TTFT ms": -0.5, "TPOT ms": 0.0, "output tokens/s": 0.0}
    table = invoke("size", "--calibrate", str(path), "--stack", "prod")
    assert table.exit_code == 0 and "-50.0%" in table.output and "calibrated" in table.output
    missing = invoke("size", "--calibrate", str(tmp_path / "none.json"), "--stack", "prod")
    assert missing.exit_code == 2 and "cannot read a bench result" in missing.output


def test_cost_prod_prints_a_predicted_per_token_figure_without_tokens_per_second():
    result = invoke("cost", "--stack", "prod")
    assert result.exit_code == 0, result.output
    tokens = round(
        perf.predict(LLAMA_70B, "inf2.48xlarge", tensor_parallel_size=24, batch=16,
                     input_len=512, output_len=128, max_num_seqs=16).output_tokens_per_s, 1,
    )  # fmt: skip
    per_million = 12.98127 / (tokens * 3600) * 1e6
    assert f"${per_million:,.2f}" in result.output
    assert f"{tokens:g} output tok/s per node (predicted)" in result.output
    assert "calibrated on published measurements" in result.output
    assert "512 in / 128 out tokens" in result.output
    shorter = invoke("cost", "--stack", "prod", "--output-len", "64")
    assert "512 in / 64 out tokens" in shorter.output
    given = invoke("cost", "--stack", "prod", "--tokens-per-second", "31.3")
    assert "predicted" not in given.output and "$115.20" in given.output


@pytest.mark.slow
def test_calibrate_save_labels_its_two_tables_and_prints_the_fits_caveats(tmp_path, monkeypatch):
    from graviton_llm.sizing import calibration_store as store

    monkeypatch.setenv(store.DIRECTORY_ENV, str(tmp_path))
    path = prod_bench(tmp_path, 32, 5.0)
    result = invoke("size", "--calibrate", str(path), "--stack", "prod", "--save")
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "1. published constants, no queue" in out and "2. load model" in out
    assert "its TTFT is the one later `size` uses" in out
    assert "fit: this bench run does not settle" in out
    (saved,) = tmp_path.glob("*--inf2.48xlarge--tp24--seqs16.json")
    assert json.loads(saved.read_text())["fit"]["unsettled"]  # recorded in the file too


@pytest.mark.slow
def test_write_stack_into_a_team_project_uses_its_namespace_and_plans(tmp_path):
    """Issue 22, item 4: written into a team project, the cluster is `<project>:cluster`, which
    its program reads (with `graviton-llm:cluster` the plan failed: missing configuration)."""
    project = tmp_path / "search-llm"
    assert invoke("new", str(project)).exit_code == 0
    path = project / "Pulumi.sized.yaml"
    result = invoke(
        "size", *ASKED, "--write-stack", str(path), "--vpc-id", "vpc-0123456789abcdef0",
        "--subnet-id", "subnet-0aaaaaaaaaaaaaaaa", "--subnet-id", "subnet-0bbbbbbbbbbbbbbbb",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "search-llm:cluster" in yaml.safe_load(path.read_text())["config"]
    plan = invoke("plan", str(project), "--stack", "sized", "--json")
    assert plan.exit_code == 0, plan.output
    assert json.loads(plan.stdout)["project"] == "search-llm"


def test_write_stack_into_a_project_that_reads_no_project_cluster_is_refused(tmp_path):
    """The file would hold `<project>:cluster`, which such a project's program never reads."""
    project = tmp_path / "hand"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: hand\nruntime: python\n")
    (project / "__main__.py").write_text("import pulumi\n")
    (project / "Pulumi.dev.yaml").write_text("config:\n  hand:clusters: []\n")
    path = project / "Pulumi.sized.yaml"
    result = invoke("size", *ASKED, "--write-stack", str(path))
    assert result.exit_code == 2, result.output
    said = " ".join(result.stdout.split())
    assert "`hand:cluster`" in said and "copy Pulumi.dev.yaml and edit it by hand" in said
    assert not path.exists()
