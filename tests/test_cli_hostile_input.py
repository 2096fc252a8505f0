"""The CLI against input written to break it (issue 27): user text printed as text (never Rich
markup, emoji codes or terminal escapes), files read only when regular and within caps, every
input error exit code 2 with one paragraph, every other failure its own documented code."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graviton_llm import cli
from graviton_llm.cli import common
from graviton_llm.project import STACKS_DIR
from graviton_llm.safeio.exits import ExitCode
from graviton_llm.safeio.terminal import printable, terminal_size

runner = CliRunner()
DEV = (STACKS_DIR / "Pulumi.dev.yaml").read_text()


def invoke(*args: str, columns: str = "200"):
    return runner.invoke(cli.app, list(args), env={"COLUMNS": columns})


@pytest.fixture(autouse=True)
def no_aws(monkeypatch):
    def refuse(*args):
        raise AssertionError("bad input reached AWS")

    monkeypatch.setattr(common, "ec2_client", refuse)
    monkeypatch.setattr(common, "client", refuse)


def refused(result, *words: str) -> str:
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    flowed = " ".join(result.output.split())  # rich folds long lines
    for word in words:
        assert word in flowed, result.output
    return flowed


def stack(tmp_path: Path, text: str, name: str = "Pulumi.bad.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# ---- item 4: one output path: markup, emoji codes and escapes are shown, not interpreted -----

MARKUP = [
    ("owner: platform-team", "owner: '[/]'", "[/]"),
    ("owner: platform-team", "owner: '[bold red]ok[/bold red]'", "[bold red]ok[/bold red]"),
    ("id: meta-llama/Llama-3.1-8B-Instruct", "id: '[link=http://x]m[/link]'", "[link=http://x]"),
    ("owner: platform-team", "owner: ':key: :smile: !'", ":key: :smile: !"),
]


@pytest.mark.parametrize(("old", "new", "shown"), MARKUP, ids=[m[2] for m in MARKUP])
@pytest.mark.parametrize("command", ["plan", "cost"])
def test_markup_in_a_stack_value_is_printed_as_written(tmp_path, old, new, shown, command):
    """`[/]` raised a MarkupError (a traceback, exit code 1: "a security check failed")."""
    text = refused(invoke(command, "--stack", stack(tmp_path, DEV.replace(old, new))))
    assert shown in text and "\U0001f511" not in text


@pytest.mark.slow
def test_the_tools_own_words_print_without_emoji(tmp_path):
    text = refused(invoke("plan", "--stack", stack(tmp_path, "config: [1]\n")))
    assert "`namespace:key: value`" in text and "\U0001f511" not in text


ESCAPES = {
    "esc-clear": "\x1b[2J\x1b[H",
    "osc-title": "\x1b]0;pwned\x07",
    "c1-csi": "\x9b31m",
    "bidi": "\u202eevil\u202c",
    "backspace": "ok\x08\x08no",
}


@pytest.mark.parametrize("payload", ESCAPES.values(), ids=ESCAPES.keys())
@pytest.mark.parametrize("command", ["plan", "cost", "compile"])
def test_terminal_escapes_from_a_file_are_shown_as_escapes(tmp_path, payload, command):
    value = json.dumps(payload)  # a YAML double-quoted string carries the control characters
    path = stack(tmp_path, DEV.replace("platform-team", value))
    result = invoke(command, "--stack", path)
    refused(result, "owner")
    assert not any(c in result.output for c in "\x1b\x07\x08\x9b\u202e\u202c")


def test_printable_shows_every_control_character_and_keeps_text():
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable("\x00\x1b\x7f\x9b\u2066") == "\\x00\\x1b\\x7f\\x9b\\u2066"
    assert printable("naïve Ĳ 日本") == "naïve Ĳ 日本"


@pytest.mark.slow
@pytest.mark.parametrize("columns", ["0", "-5", "abc", "\u0663"])
def test_a_columns_value_that_is_no_width_still_prints(tmp_path, columns):
    """COLUMNS=0 printed nothing and exited 0."""
    result = invoke("plan", "--stack", "dev", columns=columns)
    assert result.exit_code == 0, result.output
    assert "resources" in result.output and "security" in result.output
    width, height = terminal_size({"COLUMNS": columns, "LINES": "0"}, tty=False)
    assert width >= 40 and height >= 10


def test_an_unexpected_error_is_one_paragraph_and_exit_code_70(monkeypatch):
    from graviton_llm import plan

    def broken(stack):
        raise TypeError("a bug of ours\nwith a second line")

    monkeypatch.setattr(plan, "build_plan", broken)
    result = invoke("plan", "--stack", "dev")
    assert result.exit_code == ExitCode.INTERNAL_ERROR
    assert "Traceback" not in result.output
    assert "internal error" in result.output and "a bug of ours with a second line" in result.output


def test_an_aws_failure_is_exit_code_3_not_bad_input(monkeypatch):
    from botocore.exceptions import NoCredentialsError

    def no_credentials(*args):
        raise NoCredentialsError()

    monkeypatch.setattr(common, "ec2_client", no_credentials)
    monkeypatch.setattr(common, "client", no_credentials)
    result = invoke("ami", "--stack", "dev")
    assert result.exit_code == ExitCode.AWS_FAILED, result.output
    assert "AWS lookup failed" in result.output


# ---- item 6: every file the CLI reads: regular, capped, depth-capped, shape-checked ---------


def _special_files(tmp_path: Path) -> dict[str, str]:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")  # a link is followed: to a device, refused all the same
    return {"fifo": str(fifo), "dev-zero": str(zero), "directory": str(tmp_path)}


COMMANDS = {
    "stack": lambda path: ["plan", "--stack", path],
    "against": lambda path: ["plan", "--stack", "dev", "--against", path],
    "calibrate": lambda path: ["size", "--calibrate", path, "--stack", "dev"],
    "model-config": lambda path: ["size", "--model", "m/x", "--model-config", path,
                                  "--requests-per-s", "1"],
    "compare": lambda path: ["bench", "--compare", path, path],
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_fifos_devices_and_folders_are_refused_without_reading(tmp_path, command):
    """A FIFO or /dev/zero reports a size of 0: the size check passed and the read hung or
    filled the memory."""
    for kind, path in _special_files(tmp_path).items():
        if kind == "directory" and command == "stack":
            path = str(tmp_path / "Pulumi.dir.yaml")
            Path(path).mkdir(exist_ok=True)
        outcome: list = []
        worker = threading.Thread(
            target=lambda p=path, o=outcome: o.append(invoke(*COMMANDS[command](p))), daemon=True
        )
        worker.start()
        worker.join(60)
        assert outcome, f"{command} hung on a {kind}"
        refused(outcome[0])
        assert "not a" in outcome[0].output or "is a directory" in outcome[0].output


NESTED_JSON = "[" * 100_000 + "]" * 100_000
NESTED_YAML = "config: " + "[" * 5000 + "]" * 5000 + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_deeply_nested_documents_are_refused_not_a_recursion_error(tmp_path, command):
    nested = NESTED_YAML if command == "stack" else NESTED_JSON
    path = stack(tmp_path, nested, "Pulumi.nested.yaml" if command == "stack" else "nested.json")
    refused(invoke(*COMMANDS[command](path)), "nested")


WRONG_SHAPES = [
    ({"resources": [{"type": [], "name": "x"}]}, "resources[0].type is a list"),
    ({"resources": [{"type": "t", "name": "x", "replace_on_change": ["a"]}]}, "replace_on_change"),
    ({"resources": [{"type": "t", "name": {"a": 1}}]}, "resources[0].name is an object"),
    ({"resources": [7]}, "resources[0] is not an object"),
    ({"resources": [{"type": "t", "name": "n", "inputs_sha256": 5}]}, "inputs_sha256"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("document", "words"), WRONG_SHAPES)
def test_a_wrong_shaped_against_document_is_refused_naming_the_field(tmp_path, document, words):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(document))
    refused(invoke("plan", "--stack", "dev", "--against", str(path)), words)


def test_duplicate_yaml_keys_are_refused_not_last_one_wins(tmp_path):
    doubled = DEV.replace("    owner: platform-team", "    owner: platform-team\n    owner: x")
    refused(invoke("plan", "--stack", stack(tmp_path, doubled)), "found the key 'owner' twice")


def test_bench_compare_refuses_a_result_whose_metrics_are_not_numbers(tmp_path):
    bad = tmp_path / "a.json"
    bad.write_text(json.dumps({"format": "graviton-llm-bench/2", "meta": {}, "records": "x"}))
    refused(invoke("bench", "--compare", str(bad), str(bad)), "`records` is a string")
