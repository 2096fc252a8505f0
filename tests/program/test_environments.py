"""`graviton-llm init-env NAME [PROJECT_DIR]`: a new environment's stack file, checked before a
byte is written, never over an existing one without --force."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from graviton_llm.cli import app

runner = CliRunner()
PLACE = [
    "--vpc-id", "vpc-0a000000000000001",
    "--subnet-id", "subnet-0a00000000000000a", "--subnet-id", "subnet-0a00000000000000b",
]  # fmt: skip


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def _project(tmp_path):
    folder = tmp_path / "team"
    assert invoke("new", str(folder), "--name", "team").exit_code == 0
    return folder


def test_a_new_environment_from_dev_and_flags_is_written_then_planned(tmp_path):
    project = _project(tmp_path)
    result = invoke(
        "init-env", "staging", str(project), "--from", "dev", "--region", "us-west-2", *PLACE,
        "--model", "meta-llama/Llama-3.2-3B-Instruct", "--weights-uri", "s3://team-weights/llama-3b/",
        "--instance-type", "inf2.xlarge", "--min-size", "2", "--max-size", "2",
        "--desired-capacity", "2",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((project / "Pulumi.staging.yaml").read_text())["config"]
    assert config["aws:region"] == "us-west-2"
    cluster = config["team:cluster"]
    assert cluster["model"] == {
        "id": "meta-llama/Llama-3.2-3B-Instruct",
        "weights_uri": "s3://team-weights/llama-3b/",
    }
    assert (cluster["instance_type"], cluster["desired_capacity"]) == ("inf2.xlarge", 2)
    assert cluster["environment"] == "staging" and cluster["max_num_seqs"] == 8  # from dev
    out = result.stdout
    assert "plan of stack staging (us-west-2): 29 resources, security checks passed" in out
    assert "llm-staging: 2 x inf2.xlarge serving meta-llama/Llama-3.2-3B-Instruct" in out


def test_bad_input_lists_each_field_exits_2_and_writes_nothing(tmp_path):
    project = _project(tmp_path)
    result = invoke(
        "init-env", "qa", str(project), "--from", "dev", "--vpc-id", "vpc-1",
        "--instance-type", "inf2.9xlarge", "--region", "mars-1",
    )  # fmt: skip
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "instance_type = 'inf2.9xlarge'" in result.stdout
    assert "vpc_id = " in result.stdout and result.stdout.count("fix: ") >= 2
    assert not (project / "Pulumi.qa.yaml").exists()
    assert [p.name for p in project.iterdir() if p.name.startswith(".Pulumi")] == []
    missing = invoke("init-env", "qa", str(project), *PLACE)
    assert missing.exit_code == 2 and "model = (missing)" in missing.stdout
    assert not (project / "Pulumi.qa.yaml").exists()


def test_an_existing_stack_file_is_kept_without_force(tmp_path):
    project = _project(tmp_path)
    before = (project / "Pulumi.prod.yaml").read_text()
    result = invoke("init-env", "prod", str(project), "--from", "dev", *PLACE)
    assert result.exit_code == 2 and "exists; pass --force" in result.stdout
    assert (project / "Pulumi.prod.yaml").read_text() == before
    forced = invoke("init-env", "prod", str(project), "--from", "prod", "--force", *PLACE)
    assert forced.exit_code == 0, forced.output
    cluster = yaml.safe_load((project / "Pulumi.prod.yaml").read_text())["config"]["team:cluster"]
    assert cluster["subnet_ids"] == PLACE[3::2] and cluster["min_size"] == 3  # prod's, kept
