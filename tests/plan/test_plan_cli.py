"""`graviton-llm plan` and `graviton-llm cost` as a user runs them."""

from __future__ import annotations

import base64
import json

import pulumi_aws as aws
import pytest
from typer.testing import CliRunner

from graviton_llm import project
from graviton_llm.cli import app
from graviton_llm.components import serving_security
from graviton_llm.facts import catalog
from graviton_llm.node.agent_archive import agent_archive
from graviton_llm.plan import build_plan, to_json
from support import assert_golden

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.mark.slow
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_json_matches_the_reviewed_golden_document(stack):
    result = invoke("plan", "--stack", stack, "--json")
    assert result.exit_code == 0, result.output
    assert_golden(f"plan_{stack}.json", result.output)


@pytest.mark.slow
def test_plan_json_is_stable_across_runs():
    assert to_json(build_plan("prod").document()) == to_json(build_plan("prod").document())


@pytest.mark.slow
def test_plan_json_full_carries_the_user_data_it_digests():
    document = json.loads(invoke("plan", "--stack", "dev", "--json", "--full").output)
    import hashlib

    text = document["user_data"]["text"]
    assert text.startswith("#!")
    assert hashlib.sha256(text.encode()).hexdigest() == document["user_data"]["sha256"]


@pytest.mark.slow
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_shipped_stacks_user_data_is_plain_and_within_4_kib_and_plan_names_its_agent(stack):
    plan = build_plan(stack)
    user_data = base64.b64decode(
        plan.result.one("aws:ec2/launchTemplate:LaunchTemplate").inputs["userData"]
    )
    assert user_data.startswith(b"#!/bin/bash\n") and len(user_data) <= 4096
    agent = plan.document()["user_data"]["node_agent"]
    assert agent["sha256"] == agent_archive().sha256 and agent["region"] == "us-east-1"
    assert agent["uri"].endswith(f"/.graviton-llm-cache/node-agent/{agent['sha256']}.pyz")
    assert f"readonly AGENT_SHA256={agent['sha256']}" in user_data.decode()
    text = invoke("plan", "--stack", stack).output
    assert f"node agent: {agent['uri']}" in text


@pytest.mark.slow
def test_plan_prints_tree_findings_and_cost():
    result = invoke("plan", "--stack", "prod")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "llm-prod-security-role" in out and "yes" in out  # protected role
    assert "in  tcp 8000 from 10.0.0.0/8" in out
    assert out.count("pass ") == 6
    assert "$28,429/month" in out  # 3 x 12.98127 x 730
    assert "0 idle beyond the 3 nodes" in out  # one reservation per node
    assert "1,500 s" in out  # the compile: 70B, 80 layers x 600 s per 32 layers
    assert catalog.PRICE_SNAPSHOT_DATE in out


@pytest.mark.slow
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_shows_a_cache_hit_cold_start_3x_shorter_than_a_first_compile(stack):
    """Issue 15's done-when, from the plan document: every part sourced or an assumption."""
    cold = json.loads(invoke("plan", "--stack", stack, "--json").output)["cold_start"]
    assert cold["first_compile_s"] / cold["cache_hit_s"] >= 3
    assert sum(p["first_compile_s"] for p in cold["parts"]) == pytest.approx(
        cold["first_compile_s"], abs=0.5
    )
    assert sum(p["cache_hit_s"] for p in cold["parts"]) == pytest.approx(
        cold["cache_hit_s"], abs=0.5
    )
    for part in cold["parts"]:
        assert "assumption" in part["basis"] or "EC2" in part["basis"], part
    compile_part = next(p for p in cold["parts"] if p["part"] == "Neuron compile")
    assert compile_part["first_compile_s"] > 0 and compile_part["cache_hit_s"] == 0
    # A new node hits the cache, so that is what the warm-pool advice weighs.
    assert cold["artifact_cache"] and cold["new_node_s"] == cold["cache_hit_s"]


@pytest.mark.slow
def test_plan_shows_the_cache_prefix_and_the_nodes_grant():
    result = invoke("plan", "--stack", "prod")
    out = result.output
    cache = json.loads(invoke("plan", "--stack", "prod", "--json").output)["artifact_cache"]
    prefix = "s3://example-prod-model-weights/.graviton-llm-cache/" + cache["static_key"] + "/"
    assert cache["prefix"] == prefix and prefix in out
    arn = "arn:aws:s3:::example-prod-model-weights/.graviton-llm-cache/" + cache["static_key"]
    assert cache["write_grant"] == [f"{arn}/*/blobs/*", f"{arn}/*/manifest.json"]
    assert f"nodes write only {arn}/*/blobs/*" in out
    assert "graviton-llm compile --stack prod" in out
    assert "a cache hit is 5.4x shorter" in out


@pytest.mark.slow
def test_plan_prints_the_predicted_performance_of_the_cluster():
    out = invoke("plan", "--stack", "prod").output
    section = out[out.index("performance (predicted") :]
    # 70B on inf2.48xlarge TP 24, 16 running, 512/128 tokens (graviton_llm/sizing/deployment.py).
    assert "every node running 16 requests (max_num_seqs) of 512 in / 128 out tokens" in section
    assert "TTFT 239 ms (no queue), TPOT 39.3 ms a decode step, 61.8 ms under load" in section
    assert "253 per node, 760 for 3 node(s)" in section
    assert "neuron-v2: calibrated on published measurements" in section


@pytest.mark.slow
def test_plan_performance_section_is_the_sizing_prediction():
    from graviton_llm.sizing import stack_performance

    plan = build_plan("dev")
    section = plan.document()["performance"]
    assert section == stack_performance(plan.cluster.args).document()
    assert (section["batch"], section["input_len"], section["output_len"]) == (8, 512, 128)
    assert section["calibrated"] is True and section["note"] is None


@pytest.mark.slow
def test_a_public_ingress_makes_plan_fail_with_the_finding(monkeypatch):
    original = serving_security._ingress_rules

    def with_public_rule(name, args, values):
        return [
            *original(name, args, values),
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=22, to_port=22, cidr_blocks=["0.0.0.0/0"]
            ),
        ]

    monkeypatch.setattr(serving_security, "_ingress_rules", with_public_rule)
    result = invoke("plan", "--stack", "dev")
    assert result.exit_code == 1
    assert "FAIL" in result.output
    assert "llm-dev-security-sg" in result.output and "tcp 22 from 0.0.0.0/0" in result.output
    document = json.loads(invoke("plan", "--stack", "dev", "--json").output)
    assert document["security"]["passed"] is False


def _bad_stack(tmp_path):
    text = (project.STACKS_DIR / "Pulumi.dev.yaml").read_text()
    text = text.replace("inf2.8xlarge", "inf2.9xlarge").replace("10.0.0.0/8", "0.0.0.0/0")
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("command", ["plan", "cost"])
def test_bad_config_lists_each_field_and_exits_2_without_traceback(tmp_path, command):
    result = invoke(command, "--stack", str(_bad_stack(tmp_path)))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "instance_type = 'inf2.9xlarge'" in result.output
    assert "allowed_cidrs.0 = '0.0.0.0/0'" in result.output
    assert result.output.count("fix: ") >= 2


def test_bad_config_with_json_is_a_json_error_document(tmp_path):
    result = invoke("plan", "--stack", str(_bad_stack(tmp_path)), "--json")
    assert result.exit_code == 2
    errors = json.loads(result.output)["errors"]
    by_field = {e["field"]: e for e in errors}
    assert by_field["instance_type"]["value"] == "inf2.9xlarge"
    assert "not a supported instance type" in by_field["instance_type"]["fix"]
    assert by_field["allowed_cidrs.0"]["value"] == "0.0.0.0/0"


def test_a_value_is_plain_in_json_and_quoted_once_in_text(tmp_path):
    # A rule's own refusal (a tag value, a KMS ARN) and pydantic's (the instance type) alike.
    text = (project.STACKS_DIR / "Pulumi.dev.yaml").read_text()
    path = tmp_path / "Pulumi.tagged.yaml"
    path.write_text(text.replace("owner: platform-team", "owner: cc#dev"))
    errors = json.loads(invoke("plan", "--stack", str(path), "--json").output)["errors"]
    assert [(e["field"], e["value"]) for e in errors] == [("owner", "cc#dev")]
    shown = invoke("plan", "--stack", str(path)).output
    assert "owner = 'cc#dev'" in shown and "''cc#dev''" not in shown


def test_missing_stack_exits_2():
    result = invoke("plan", "--stack", "nosuch")
    assert result.exit_code == 2
    assert "no stack 'nosuch'" in result.output and "dev, prod" in result.output


def test_cost_compares_terms_and_alternatives_with_the_snapshot_named():
    result = invoke("cost", "--stack", "prod", "--tokens-per-second", "31.3")
    assert result.exit_code == 0, result.output
    out = result.output
    for name in ("inf2.48xlarge", "trn1.32xlarge", "g5.48xlarge", "g6.48xlarge", "r8g.8xlarge"):
        assert name in out
    assert "inf2.24xlarge" not in out  # cannot hold a 70B model
    assert "$28,429" in out and "$115.20" in out  # on-demand month, $/1M at 31.3 tok/s
    assert "1yr assumed 35% off" in out and "unverified" in out
    assert "no sourced rate" in out  # 3-year: nothing invented
    assert catalog.PRICE_SNAPSHOT_DATE in out and "karpenter-provider-aws" in out
    # Both cold-start paths, and what a compile the cache saves costs: 1,489 s at $12.98/h.
    assert "1,824 s when it compiles, 335 s on a cache hit" in out
    assert "each compile the cache saves is $5.37 of inf2.48xlarge time" in out


def test_cost_says_a_cpu_node_compiles_nothing(tmp_path):
    stack = tmp_path / "Pulumi.cpu.yaml"
    dev = (project.STACKS_DIR / "Pulumi.dev.yaml").read_text()
    stack.write_text(dev.replace("inf2.8xlarge", "r8g.16xlarge"))
    result = invoke("cost", "--stack", str(stack), "--tokens-per-second", "10")
    assert result.exit_code == 0, result.output
    assert "Cold start of a new node" in result.output and "nothing compiled" in result.output


def test_cost_with_utilization_and_measured_alternatives():
    result = invoke(
        "cost", "--stack", "dev", "--tokens-per-second", "50", "--utilization", "0.5",
        "--alt-tps", "g5.xlarge=40", "--discount-3yr", "0.5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # g5.xlarge $1.006/h at 40 tok/s, half busy: 1.006 / 144,000 x 1e6 / 0.5 = $13.97.
    assert "$13.97" in result.output
    assert "3yr assumed 50% off" in result.output


def test_cost_blog_prints_the_verdicts():
    result = invoke("cost", "--blog")
    assert result.exit_code == 0, result.output
    assert "$14,214" in result.output and "does not hold" in result.output
