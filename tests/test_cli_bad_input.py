"""Bad input to the CLI: one readable paragraph and exit code 2, never a traceback, and nothing
sent to AWS. The corpus covers the shapes a stack file can take, numbers YAML and flags can
carry, and values a user mistypes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graviton_llm import cli
from graviton_llm.cli import common
from graviton_llm.project import STACKS_DIR
from graviton_llm.safeio import files

runner = CliRunner()
DEV = (STACKS_DIR / "Pulumi.dev.yaml").read_text()


def invoke(*args: str):
    return runner.invoke(cli.app, list(args), env={"COLUMNS": "200"})


@pytest.fixture(autouse=True)
def no_aws(monkeypatch):
    """Any call that would reach AWS fails the test."""

    def refuse(region: str, *_: object) -> None:
        raise AssertionError(f"bad input reached AWS ({region})")

    monkeypatch.setattr(common, "ec2_client", refuse)


def assert_refused(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output


def stack_file(tmp_path: Path, text: str, name: str = "Pulumi.bad.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def cluster_yaml(**changes: str) -> str:
    """The dev stack with lines replaced (``old=new``)."""
    text = DEV
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)

STACK_FILES = [
    pytest.param("- just\n- a list\n", ["top level is a list"], id="top-level-list"),
    pytest.param("42\n", ["top level is a int"], id="top-level-scalar"),
    pytest.param("", ["empty"], id="empty-file"),
    pytest.param("config: [1, 2]\n", ["`config:` must be a mapping"], id="config-list"),
    pytest.param("config:\n  aws:region: us-east-1\n", ["is missing"], id="no-cluster"),
    pytest.param("config:\n  graviton-llm:cluster:\n", ["is missing"], id="null-cluster"),
    pytest.param("config:\n  graviton-llm:cluster: big\n", ["is a str"], id="string-cluster"),
    pytest.param("config: {a: [unclosed\n", ["not valid YAML"], id="broken-yaml"),
    pytest.param(ALIAS_BOMB, ["anchors and aliases"], id="alias-bomb"),
    pytest.param(
        cluster_yaml(**{"aws:region: us-east-1": "aws:region: [us-east-1]"}),
        ["aws:region"],
        id="list-region",
    ),
    pytest.param(
        cluster_yaml(**{"      id: meta": "      params_billion: .inf\n      id: meta"}),
        ["model.params_billion", "finite"],
        id="infinite-params",
    ),
    pytest.param(
        cluster_yaml(**{"      id: meta": "      params_billion: .nan\n      id: meta"}),
        ["model.params_billion", "finite"],
        id="nan-params",
    ),
    pytest.param(
        cluster_yaml(**{"    max_num_seqs: 8": "    max_num_seqs: true"}),
        ["max_num_seqs", "must be a whole number"],
        id="yaml-true-as-a-number",
    ),
    pytest.param(
        cluster_yaml(**{"    max_model_len: 4096": "    max_model_len: 9223372036854775808"}),
        ["max_model_len", "must be at most 1048576"],
        id="two-to-the-63",
    ),
    pytest.param(
        cluster_yaml(**{"      id: meta-llama/Llama-3.1-8B-Instruct": '      id: "a/x\\ntouch y"'}),
        ["model.id", "Hugging Face model id"],
        id="newline-in-model-id",
    ),
    pytest.param(
        cluster_yaml(**{"llama-3.1-8b-instruct/": "llama?/"}),
        ["model.weights_uri", "wildcards"],
        id="wildcard-prefix",
    ),
    pytest.param(
        cluster_yaml(**{"    owner: platform-team": "    tags: {'aws:owner': x}"}),
        ["aws:", "reserved"],
        id="aws-tag-prefix",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("text", "words"), STACK_FILES)
@pytest.mark.parametrize("command", ["plan", "cost", "reserve", "compile"])
def test_a_bad_stack_file_exits_2_with_a_readable_error(tmp_path, text, words, command):
    assert_refused(invoke(command, "--stack", stack_file(tmp_path, text)), *words)


def test_plan_json_reports_a_bad_stack_file_as_an_error_document(tmp_path):
    result = invoke("plan", "--stack", stack_file(tmp_path, "- a list\n"), "--json")
    assert result.exit_code == 2
    assert '"errors"' in result.output and "top level is a list" in result.output


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path):
    # 9 levels of 9 aliases each: 9^9 (387 million) leaves if anything walked the tree.
    assert len(ALIAS_BOMB) < 1000
    assert_refused(invoke("plan", "--stack", stack_file(tmp_path, ALIAS_BOMB)), "aliases")


@pytest.mark.slow
def test_unreadable_and_odd_paths_exit_2(tmp_path, monkeypatch):
    directory = tmp_path / "Pulumi.dir.yaml"
    directory.mkdir()
    assert_refused(invoke("plan", "--stack", str(directory)), "is a directory")
    assert_refused(invoke("plan", "--stack", str(tmp_path / "Pulumi.none.yaml")), "no such file")
    assert_refused(invoke("plan", "--stack", "../../etc/passwd"), "neither a stack name")
    big = tmp_path / "Pulumi.big.yaml"
    big.write_text("config: {}\n" + "#" * (1024 * 1024))
    assert_refused(invoke("plan", "--stack", str(big)), "at most 1 MiB")
    binary = tmp_path / "Pulumi.bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00config")
    assert_refused(invoke("plan", "--stack", str(binary)), "not UTF-8")

    def denied(path):
        raise PermissionError(13, "Permission denied")

    readable = stack_file(tmp_path, DEV, "Pulumi.locked.yaml")
    monkeypatch.setattr(files, "_open_for_reading", denied)  # root reads any file
    assert_refused(invoke("plan", "--stack", readable), "permission denied")


FLAGS = [
    pytest.param(["cost", "--tokens-per-second", "inf"], ["not a finite number"], id="tps-inf"),
    pytest.param(["cost", "--tokens-per-second", "nan"], ["not a finite number"], id="tps-nan"),
    pytest.param(["cost", "--tokens-per-second", "0"], ["not a finite number"], id="tps-zero"),
    pytest.param(["cost", "--tokens-per-second", "-5"], ["not a finite number"], id="tps-neg"),
    pytest.param(["cost", "--utilization", "nan"], ["not a finite number"], id="util-nan"),
    pytest.param(["cost", "--discount-1yr", "1.5"], ["not a finite number"], id="discount"),
    pytest.param(["cost", "--alt-tps", "g5.xlarge=nan"], ["finite number > 0"], id="alt-nan"),
    pytest.param(["cost", "--alt-tps", "g5.xlarge=inf"], ["finite number > 0"], id="alt-inf"),
    pytest.param(["cost", "--alt-tps", "nosuch=10"], ["no snapshot price"], id="alt-type"),
    pytest.param(["cost", "--alt-tps", "g5.xlarge"], ["TYPE=TOKENS_PER_SECOND"], id="alt-form"),
    pytest.param(["reserve", "--count", "0"], ["count"], id="count-zero"),
    pytest.param(["reserve", "--count", "-3"], ["count"], id="count-negative"),
    pytest.param(
        ["reserve", "--instance-type", "r9x.huge"], ["not a supported instance type"], id="type"
    ),
    pytest.param(["reserve", "--region", "mars-1; rm"], ["not an AWS region"], id="region"),
    pytest.param(["reserve", "--purchase"], ["--offering"], id="purchase-without-offering"),
    pytest.param(["plan", "--stack", ""], ["neither a stack name"], id="empty-stack"),
]


@pytest.mark.parametrize(("argv", "words"), FLAGS)
def test_bad_flags_exit_2_without_reaching_aws(argv, words):
    assert_refused(invoke(*argv), *words)


def test_the_float_guard_refuses_every_non_finite_value():
    check = common.finite(0, 1)
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(Exception, match="finite"):
            check(value)
    assert check(0.5) == 0.5
