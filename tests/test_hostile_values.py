"""Values that reach files, commands a user pastes, policies and numbers (issue 27, items 7-9):
each is checked where it enters, so nothing hostile is written, printed into a command, granted
or sized."""

from __future__ import annotations

import json
import re
import shlex

import pulumi
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from graviton_llm import WeightsBucketAccess, cli
from graviton_llm.args import identifiers
from graviton_llm.args.operations import MonitoringArgs
from graviton_llm.cli import common
from graviton_llm.plan.findings import run_checks
from graviton_llm.project import STACKS_DIR, ami_pin
from graviton_llm.testing import run_program

runner = CliRunner()
DEV = (STACKS_DIR / "Pulumi.dev.yaml").read_text()


def invoke(*args: str):
    return runner.invoke(cli.app, list(args), env={"COLUMNS": "200"})


def refused(result, *words: str) -> str:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    flowed = " ".join(result.output.split())
    for word in words:
        assert word in flowed, result.output
    return flowed


# ---- item 7: what is written to files and printed into commands ---------------------------


@pytest.mark.parametrize(
    "image_id",
    ["ami-0123456789abcdef0\n    image: registry.example/attacker", "ami-0123", "", "ami-../x"],
)
def test_ami_write_writes_only_an_ami_id(tmp_path, monkeypatch, image_id):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(DEV)
    monkeypatch.setattr(common, "ec2_client", lambda region, *_: object())
    monkeypatch.setattr(common, "client", lambda service, region, *_: object())
    monkeypatch.setattr(
        ami_pin, "latest", lambda ssm, ec2, spec: ("/aws/param", ami_pin.Ami(image_id))
    )
    refused(invoke("ami", "--stack", str(path), "--write"), "is not an AMI id")
    assert path.read_text() == DEV  # untouched


def test_a_written_pin_replaces_the_file_whole_and_keeps_a_link(tmp_path):
    target = tmp_path / "real" / "Pulumi.dev.yaml"
    target.parent.mkdir()
    target.write_text(DEV)
    link = tmp_path / "Pulumi.dev.yaml"
    link.symlink_to(target)
    ami_pin.write_pin(link, "ami-0123456789abcdef0")
    assert link.is_symlink() and "ami_id: ami-0123456789abcdef0" in target.read_text()


@pytest.mark.parametrize("stack", ["dev; curl x|sh", "$(id)", "a b", "dev\nrm -rf /", "a/b/c/d"])
def test_state_backend_refuses_a_stack_name_that_is_not_one(stack):
    result = invoke(
        "state-backend", "--account", "123456789012", "--region", "us-east-1", "--stack", stack
    )
    refused(result, "is printed into commands")
    assert "curl" not in result.output.replace(repr(stack), "")


def test_state_backend_lines_are_shell_quoted():
    result = invoke(
        "state-backend",
        "--account",
        "123456789012",
        "--region",
        "us-east-1",
        "--stack",
        "org/p/dev",
    )
    assert result.exit_code == 0, result.output
    for line in result.output.splitlines():
        words = shlex.split(line, comments=True)  # each line parses as the words it shows
        assert words[0] == "pulumi"
    assert "pulumi stack init org/p/dev --secrets-provider" in result.output


@pytest.mark.parametrize(
    "account", ["١٢٣٤٥٦٧٨٩٠١٢", "12345678901", "1234567890123", "12345678901x"]
)
def test_an_account_id_is_twelve_ascii_digits(account):
    refused(invoke("state-backend", "--account", account, "--region", "us-east-1"), "12 digits")


@pytest.mark.parametrize("where", ["file", "folder"])
def test_new_force_never_writes_through_a_link(tmp_path, where):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "README.md").write_text("not the project's")
    project = tmp_path / "project"
    project.mkdir()
    if where == "file":
        (project / "README.md").symlink_to(outside / "README.md")
    else:
        (project / "tests").symlink_to(outside, target_is_directory=True)
    refused(invoke("new", str(project), "--force"), "is a symbolic link")
    assert (outside / "README.md").read_text() == "not the project's"
    assert sorted(p.name for p in outside.iterdir()) == ["README.md"]
    # Nothing half-written: the refusal came before the first file.
    assert sorted(p.name for p in project.iterdir()) == [
        "README.md" if where == "file" else "tests"
    ]


@pytest.mark.parametrize("output", ["no/such/folder/job.gz", "/proc/version"])
def test_compile_output_that_cannot_be_written_is_a_clear_error(tmp_path, output):
    target = output if output.startswith("/") else str(tmp_path / output)
    refused(invoke("compile", "--stack", "dev", "--output", target), "cannot write")


@pytest.mark.parametrize("region", ["us-east-\u0661", "mars-north-1", "us-east-1\n"])
@pytest.mark.parametrize("command", [["plan"], ["cost"], ["compile", "--script"]])
def test_compile_and_cost_refuse_the_regions_plan_refuses(tmp_path, region, command):
    path = tmp_path / "Pulumi.r.yaml"
    path.write_text(DEV.replace("aws:region: us-east-1", f"aws:region: {json.dumps(region)}"))
    refused(invoke(*command, "--stack", str(path)), "region")


# ---- item 8: validation gaps -------------------------------------------------------------

WILDCARD_KEYS = [
    "arn:aws:kms:*:*:key/*",
    "arn:aws:kms:us-east-1:123456789012:key/*",
    "arn:aws:kms:us-east-1:*:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "*",
]


@pytest.mark.parametrize("key", WILDCARD_KEYS)
def test_a_wildcard_kms_key_given_as_an_output_grants_nothing(key):
    """As a string the args refuse it; as an Output it passed and granted decrypt on any key."""

    def program() -> None:
        WeightsBucketAccess(
            "w",
            {
                "role": "r",
                "weights_uri": "s3://team-weights/llama/",
                "kms_key_arn": pulumi.Output.from_input(key),
                "region": "us-east-1",
            },
        )

    result = run_program(program, catch=True)
    assert result.error is not None and "not a single key's ARN" in str(result.error)
    assert not [r for r in result.resources if r.type == "aws:iam/rolePolicy:RolePolicy"]


@pytest.mark.parametrize("key", WILDCARD_KEYS)
def test_the_security_check_finds_a_wildcard_inside_an_arn(key):
    class Policy:
        type = "aws:iam/rolePolicy:RolePolicy"
        name = "team-decrypt"
        inputs = {  # noqa: RUF012
            "policy": json.dumps(
                {"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}]}
            )
        }

    (wildcard,) = [c for c in run_checks([Policy()]) if c.id == "wildcard-iam"]
    assert not wildcard.passed, key


def test_named_resources_and_prefixes_are_not_wildcards():
    class Policy:
        type = "aws:iam/rolePolicy:RolePolicy"
        name = "fine"
        inputs = {  # noqa: RUF012
            "policy": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "logs:PutLogEvents", "ssm:GetParameter"],
                        "Resource": [
                            "arn:aws:s3:::bucket/prefix/*",
                            "arn:aws:logs:us-east-1:123456789012:log-group:/graviton/*",
                            "arn:aws:ssm:us-east-1:123456789012:parameter/llm/*",
                        ],
                    }
                ]
            }
        }

    (wildcard,) = [c for c in run_checks([Policy()]) if c.id == "wildcard-iam"]
    assert wildcard.passed, wildcard.findings


UNICODE_DIGITS = {
    "region": ("us-east-\u0661", identifiers.region_name_problems),
    "zone": ("us-east-\u0661a", identifiers.zone_problems),
    "kms": (
        "arn:aws:kms:us-east-1:\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660"
        "\u0661\u0662:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        identifiers.kms_key_arn_problems,
    ),
    "image-port": ("registry:\u0665\u0660\u0660\u0660/vllm:1", identifiers.image_problems),
}


@pytest.mark.parametrize(("value", "check"), UNICODE_DIGITS.values(), ids=UNICODE_DIGITS.keys())
def test_identifiers_take_ascii_digits_only(value, check):
    assert check("field", value), value


def test_every_identifier_pattern_is_ascii():
    """`\\d`, `\\w` and `\\s` match other scripts in a str pattern unless re.ASCII is set."""
    patterns = [v for v in vars(identifiers).values() if isinstance(v, re.Pattern)]
    assert patterns
    for pattern in patterns:
        if pattern is identifiers._TAG_TEXT:
            continue  # tags are text: AWS allows letters of any script there
        assert pattern.flags & re.ASCII, pattern.pattern


@pytest.mark.parametrize(
    "address",
    ["on\x00call@example.com", "on\x1bcall@example.com", "oncall@exa\x07mple.com", "a b@c.de"],
)
def test_an_alarm_email_with_control_characters_is_refused(address):
    assert identifiers.email_problems("monitoring.alarm_emails", address)
    assert not identifiers.email_problems("e", "on.call+llm@example.co.uk")


def test_log_retention_days_true_is_not_one_day():
    with pytest.raises(ValidationError, match="boolean"):
        MonitoringArgs.model_validate({"log_retention_days": True})
    assert MonitoringArgs.model_validate({"log_retention_days": 1}).log_retention_days == 1


# ---- item 9: numbers a user or a file gives -------------------------------------------------


@pytest.mark.parametrize(
    "flags",
    [
        ["--min-nodes", "1000000000"],
        ["--input-len", "1000000000"],
        ["--max-num-seqs", "0"],
        ["--ttft-p99-ms", "nan"],
        ["--discount-1yr", "inf"],
        ["--requests-per-s", "nan"],
        ["--requests-per-s", "inf"],
    ],
)
def test_size_refuses_numbers_that_would_exhaust_it(flags):
    argv = ["size", "--model", "meta-llama/Llama-3.1-8B-Instruct", *flags]
    if "--requests-per-s" not in flags:
        argv += ["--requests-per-s", "1"]
    result = invoke(*argv)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"hidden_size": -4096}, "hidden_size"),
        ({"num_attention_heads": 0}, "num_attention_heads"),
        ({"num_hidden_layers": 10**9}, "num_hidden_layers"),
        ({"num_key_value_heads": 3}, "not a multiple"),
        ({"head_dim": "128"}, "head_dim"),
        ({"vocab_size": True}, "vocab_size"),
    ],
)
def test_a_model_config_with_impossible_numbers_is_refused(tmp_path, change, words):
    config = {
        "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
        "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
    } | change  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    refused(
        invoke("size", "--model", "x/y", "--model-config", str(path), "--requests-per-s", "1"),
        words,
    )


@pytest.mark.parametrize(
    "change",
    [{"total_input_tokens": -5000}, {"total_output_tokens": -1}, {"completed": -3},
     {"mean_ttft_ms": -10.0}, {"max_concurrency": 1e300}],
)  # fmt: skip
def test_a_bench_result_with_negative_counts_is_refused(tmp_path, change):
    result = {
        "completed": 10, "total_input_tokens": 5120, "total_output_tokens": 1280,
        "mean_ttft_ms": 200.0, "median_ttft_ms": 190.0, "mean_tpot_ms": 40.0,
        "median_tpot_ms": 39.0, "output_throughput": 150.0, "max_concurrency": 8,
        "request_rate": "inf",
    } | change  # fmt: skip
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(result))
    refused(invoke("size", "--calibrate", str(path), "--stack", "dev"), "bench result")
