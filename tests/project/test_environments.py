"""`graviton-llm init-env NAME [PROJECT_DIR]`: a new environment's stack file, checked before a
byte is written, never over an existing one without --force."""

from __future__ import annotations

import pytest
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


@pytest.mark.slow
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


@pytest.mark.slow
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


SECURE_PROD = """\
secretsprovider: awskms://alias/pulumi-state-secrets?region=us-east-1
encryptedkey: AQICAHhPZm9yIHRlc3Rz
{prod}  team:apiKeyParameter:
    secure: v1:3mVlbnUq0qDq5mUu:Zm9yIHRlc3RzIG9ubHk=
  team:owner: search-team
# our own note at the end
"""


@pytest.mark.slow
def test_force_rewrites_only_the_cluster_keeping_secrets_and_the_secrets_provider(tmp_path):
    """Issue 22, item 3: the scaffold README's step 3 on a prod file with an API key: the
    secure key, the secrets provider's key, other config and comments survive, and the plan
    still requires the key."""
    project = _project(tmp_path)
    stack = project / "Pulumi.prod.yaml"
    stack.write_text(SECURE_PROD.format(prod=stack.read_text()))
    before = stack.read_text()
    result = invoke("init-env", "prod", str(project), "--force", "--from", "prod", *PLACE,
                    "--weights-uri", "s3://team-weights/llama-3.1-8b-instruct/")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "every other key, secret and the secrets provider kept" in result.stdout
    after = stack.read_text()
    document = yaml.safe_load(after)
    assert document["secretsprovider"].startswith("awskms://") and document["encryptedkey"]
    assert document["config"]["team:apiKeyParameter"] == {
        "secure": "v1:3mVlbnUq0qDq5mUu:Zm9yIHRlc3RzIG9ubHk="
    }
    assert document["config"]["team:owner"] == "search-team"
    cluster = document["config"]["team:cluster"]
    assert cluster["vpc_id"] == PLACE[1] and cluster["min_size"] == 3
    # Every line outside the cluster's block is as it was.
    outside = [line for line in before.splitlines() if not line.startswith("    ")]
    assert [line for line in after.splitlines() if not line.startswith("    ")] == outside
    plan = invoke("plan", str(project), "--stack", "prod", "--json")
    assert "team:apiKeyParameter" in yaml.safe_load(plan.stdout)["secret_config"]


@pytest.mark.slow
def test_the_dev_files_own_comment_command_works_and_placeholders_are_warned(tmp_path):
    project = _project(tmp_path)
    comment = (project / "Pulumi.dev.yaml").read_text().splitlines()
    command = next(line for line in comment if "graviton-llm init-env" in line)
    words = command.split("`")[1].split()[1:]  # the command in backquotes, without the program
    result = invoke(*words, str(project))
    assert result.exit_code == 0, result.output
    cluster = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())["config"]["team:cluster"]
    assert cluster["vpc_id"] == words[words.index("--vpc-id") + 1]
    assert cluster["instance_type"] == "inf2.8xlarge"  # the file's own cluster, flags on top
    copied = invoke("init-env", "staging", str(project), "--from", "prod", *PLACE)
    assert copied.exit_code == 0, copied.output
    said = " ".join(copied.stdout.split())
    assert ("warning: model.weights_uri is a placeholder "
            "(s3://replace-me-model-weights/llama-3.1-8b-instruct/) copied from prod") in said
    assert "--weights-uri" in said


@pytest.mark.slow
def test_a_secret_in_the_base_cluster_is_not_copied(tmp_path):
    project = _project(tmp_path)
    dev = project / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text() + "    api_key_ssm_parameter:\n      secure: v1:abc\n")
    result = invoke("init-env", "qa", str(project), "--from", "dev", *PLACE)
    assert result.exit_code == 0, result.output
    cluster = yaml.safe_load((project / "Pulumi.qa.yaml").read_text())["config"]["team:cluster"]
    assert "api_key_ssm_parameter" not in cluster
    assert "api_key_ssm_parameter is secret in Pulumi.dev.yaml: not copied" in " ".join(
        result.stdout.split())


@pytest.mark.slow  # plans the project twice in child processes
def test_a_plan_that_exits_2_leaves_no_new_file_and_an_existing_one_as_it_was(tmp_path):
    """Exit code 2 means nothing written: the new stack's plan is part of init-env's check."""
    project = _project(tmp_path)
    declared = project / "Pulumi.yaml"
    declared.write_text(declared.read_text() + "config:\n  costCenter:\n    type: string\n")
    dev = project / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text() + "  team:costCenter: ml-42\n")
    result = invoke("init-env", "qa", str(project), "--from", "dev", *PLACE)
    assert result.exit_code == 2 and "costCenter" in result.stdout, result.output
    assert "wrote" not in result.stdout
    assert not (project / "Pulumi.qa.yaml").exists()
    main = project / "__main__.py"
    main.write_text(main.read_text() + "\nraise RuntimeError('this team plans no stack today')\n")
    before = dev.read_text()
    forced = invoke("init-env", "dev", str(project), "--force", *PLACE)
    assert forced.exit_code == 2 and "plans no stack today" in forced.stdout, forced.output
    assert dev.read_text() == before
    assert [p.name for p in project.iterdir() if p.name.startswith(".Pulumi")] == []


def _hand_written(tmp_path):
    folder = tmp_path / "hand"
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text("name: hand\nruntime: python\n")
    (folder / "__main__.py").write_text("import pulumi\n")
    (folder / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  hand:clusters:\n    - instance_type: inf2.xlarge\n"
    )
    return folder


def test_a_project_that_sets_no_project_cluster_key_is_refused_and_not_offered(tmp_path):
    """init-env writes `<project>:cluster`; a hand-written project reading other keys would get
    a file its program ignores."""
    folder = _hand_written(tmp_path)
    result = invoke(
        "init-env", "staging", str(folder), *PLACE, "--instance-type", "inf2.xlarge",
        "--model", "meta-llama/Llama-3.2-3B-Instruct", "--weights-uri", "s3://team-weights/x/",
    )  # fmt: skip
    said = " ".join(result.stdout.split())
    assert result.exit_code == 2, result.output
    assert "`hand:cluster`" in said and "Pulumi.dev.yaml" in said and "by hand" in said
    assert not (folder / "Pulumi.staging.yaml").exists()
    plan = invoke("plan", str(folder), "--stack", "staging")
    said = " ".join(plan.stdout.split())
    assert plan.exit_code == 2 and "copy Pulumi.dev.yaml and edit it by hand" in said
    assert "with `graviton-llm init-env" not in said
    scaffold = _project(tmp_path)
    offered = invoke("plan", str(scaffold), "--stack", "staging")
    assert "graviton-llm init-env staging" in " ".join(offered.stdout.split())
