"""A team's program is code we did not write: whatever it does, `plan PROJECT_DIR` and `init-env`
end, with exit code 2 and one paragraph when the program is at fault, never a hang, a silent
exit 0 or a traceback (issue 27)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.plan.team_program import innermost_cause

runner = CliRunner()
BUCKET = 'import pulumi_aws as aws\naws.s3.Bucket("logs", bucket="team-logs-0001")\n'


def project(tmp_path: Path, program: str, **pulumi_yaml: str) -> Path:
    root = tmp_path / "team"
    (root / "infra").mkdir(parents=True)
    settings = {"name": "team", "runtime": "python", "main": "infra", **pulumi_yaml}
    (root / "Pulumi.yaml").write_text("".join(f"{k}: {v}\n" for k, v in settings.items()))
    (root / "infra" / "__main__.py").write_text(program)
    (root / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    return root


def plan(root: Path, *extra: str):
    return runner.invoke(app, ["plan", str(root), "--stack", "dev", *extra], env={"COLUMNS": "200"})


def refused(result, *words: str) -> str:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout
    for word in words:
        assert word in result.stdout, result.stdout
    return result.stdout


@pytest.mark.slow
def test_a_program_that_loops_is_stopped_at_its_time_limit(tmp_path):
    root = project(tmp_path, "while True:\n    pass\n")
    refused(plan(root, "--program-timeout", "2"), "did not finish within 2 s", "--program-timeout")


@pytest.mark.slow
def test_a_program_that_ends_the_interpreter_fails_the_plan_instead_of_passing_it(tmp_path):
    """os._exit(0) in the CLI's own process ended `plan` with exit code 0 and no output."""
    root = project(tmp_path, "import os\nos._exit(0)\n")
    refused(plan(root, "--json"), "ended its process (exit status 0")


@pytest.mark.slow
def test_a_thread_the_program_leaves_running_ends_with_its_process(tmp_path):
    program = (
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(3600,), name='team-leftover').start()\n" + BUCKET
    )
    root = project(tmp_path, program)
    result = plan(root, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["resource_count"] >= 1
    # It ran elsewhere: no thread of it lives on in this process (it would keep `plan` from
    # exiting: the interpreter waits for non-daemon threads).
    assert "team-leftover" not in {thread.name for thread in threading.enumerate()}


@pytest.mark.slow
def test_a_base_exception_of_the_program_is_its_failure_not_a_traceback(tmp_path):
    program = "class Stop(BaseException):\n    pass\n\nraise Stop('from the team')\n"
    refused(plan(project(tmp_path, program)), "Stop (a BaseException): from the team")


@pytest.mark.slow
def test_a_program_breaking_an_aws_rule_is_reported_not_looped_on(tmp_path):
    """The harness raises a rule violation that is its own __cause__: the walk used to spin."""
    bad = '\nimport pulumi_aws\npulumi_aws.s3.Bucket("b", bucket="Not_A_Bucket!!")\n'
    root = project(tmp_path, BUCKET + bad)
    text = refused(plan(root), "AwsRuleViolation", "Not_A_Bucket!!")
    assert text.count("Invalid configuration") == 1
    # init-env plans the new environment the same way, from a scaffolded project.
    scaffolded = tmp_path / "scaffolded"
    assert runner.invoke(app, ["new", str(scaffolded), "--name", "team"]).exit_code == 0
    with (scaffolded / "__main__.py").open("a") as program:
        program.write(bad)
    result = runner.invoke(app, ["init-env", "qa", str(scaffolded), "--from", "dev"])
    refused(result, "AwsRuleViolation", "Not_A_Bucket!!")


def test_a_cause_chain_that_loops_is_walked_once():
    first, second = ValueError("outer"), KeyError("inner")
    first.__cause__, second.__cause__ = second, first
    itself = RuntimeError("own cause")
    itself.__cause__ = itself
    found: list[BaseException] = []
    walker = threading.Thread(
        target=lambda: found.extend([innermost_cause(first), innermost_cause(itself)]), daemon=True
    )
    walker.start()
    walker.join(30)
    assert found == [second, itself]


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ({"main": "../outside.py"}, "leaves the project folder"),
        ({"main": "/tmp/outside.py"}, "is not a relative path"),
        ({"main": "infra/../../outside"}, "leaves the project folder"),
        ({"stackConfigDir": "../elsewhere"}, "leaves the project folder"),
        ({"stackConfigDir": "/etc"}, "is not a relative path"),
    ],
)
def test_main_and_stack_config_dir_stay_inside_the_project(tmp_path, setting, words):
    outside = tmp_path / "outside.py"
    outside.write_text("raise SystemExit('ran a program outside the project')\n")
    root = project(tmp_path, BUCKET, **setting)
    text = refused(plan(root), words)
    assert "ran a program outside" not in text


@pytest.mark.slow
def test_program_failures_are_one_error_document_with_json(tmp_path):
    result = plan(project(tmp_path, "import os\nos._exit(3)\n"), "--json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    (error,) = document["errors"]
    assert "exit status 3" in error["fix"] and "\n" not in error["fix"]
