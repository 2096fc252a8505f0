"""The CLI corpus: stack files, flags, documents and team programs written to break a command.
Each case says which exit codes are right (2 for bad input, unless noted) and, where a user's
text must come back as written, that text. Runs against any checkout: only the CLI is used."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runner import Case, judge_cli

ROOT = Path(__file__).resolve().parents[2]
DEV = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
TEAM = ROOT / "tests" / "fixtures" / "team_project"


def _invoke(argv: list[str], columns: str = "200") -> Any:
    from typer.testing import CliRunner

    from graviton_llm.cli import app

    # A looping team program is stopped after 5 s where the version has a time limit.
    env = {"COLUMNS": columns, "GRAVITON_LLM_PROGRAM_TIMEOUT": "5"}
    return CliRunner().invoke(app, argv, env=env)


def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="corpus-"))


def _stack_file(text: str | None, special: str | None = None) -> str:
    path = _scratch() / "Pulumi.case.yaml"
    if special == "fifo":
        os.mkfifo(path)
    elif special == "dev-zero":
        path.symlink_to("/dev/zero")
    elif special == "directory":
        path.mkdir()
    else:
        path.write_text(text or "")
    return str(path)


def _dev(**changes: str) -> str:
    text = DEV
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


OWNER = "owner: platform-team"
STACKS: dict[str, tuple[str | None, str | None, str | None]] = {
    # name: (text, special file, literal that must print as written)
    "top-level-list": ("- a\n", None, None),
    "top-level-scalar": ("42\n", None, None),
    "empty": ("", None, None),
    "config-list": ("config: [1, 2]\n", None, None),
    "broken-yaml": ("config: {a: [unclosed\n", None, None),
    "alias-bomb": ("a: &a [x, x]\nb: &b [*a, *a]\n", None, None),
    "nested-5000": ("config: " + "[" * 5000 + "]" * 5000 + "\n", None, None),
    "duplicate-keys": (_dev(**{OWNER: f"{OWNER}\n    owner: other"}), None, None),
    "markup-close": (_dev(**{OWNER: "owner: '[/]'"}), None, "[/]"),
    "markup-bold": (_dev(**{OWNER: "owner: '[bold red]ok[/bold red]'"}), None, "[bold red]ok"),
    "emoji-code": (_dev(**{OWNER: "owner: ':key: !'"}), None, ":key:"),
    "esc-clear": (_dev(**{OWNER: 'owner: "\\e[2J\\e[H"'}), None, None),
    "osc-title": (_dev(**{OWNER: 'owner: "\\e]0;pwned\\a"'}), None, None),
    "c1-csi": (_dev(**{OWNER: 'owner: "\\x9b31m"'}), None, None),
    "bidi": (_dev(**{OWNER: 'owner: "\\u202eevil"'}), None, None),
    "region-arabic-digit": (_dev(**{"aws:region: us-east-1": 'aws:region: "us-east-\\u0661"'}),
                            None, None),
    "region-unknown": (_dev(**{"aws:region: us-east-1": "aws:region: mars-north-1"}), None, None),
    "retention-true": (_dev(**{OWNER: f"{OWNER}\n    monitoring: {{log_retention_days: true}}"}),
                       None, None),
    "email-nul": (_dev(**{OWNER: f'{OWNER}\n    monitoring: {{alarm_emails: ["a\\0b@x.com"]}}'}),
                  None, None),
    "kms-wildcard": (_dev(**{OWNER: f"{OWNER}\n    weights_kms_key_arn: 'arn:aws:kms:*:*:key/*'"}),
                     None, None),
    "params-inf": (_dev(**{"      id: meta": "      params_billion: .inf\n      id: meta"}),
                   None, None),
    "true-as-number": (_dev(**{"    max_num_seqs: 8": "    max_num_seqs: true"}), None, None),
    "two-to-the-63": (_dev(**{"    max_model_len: 4096": "    max_model_len: 9223372036854775808"}),
                      None, None),
    "newline-in-id": (_dev(**{"id: meta-llama/Llama-3.1-8B-Instruct": 'id: "a/x\\ntouch y"'}),
                      None, None),
    "fifo": (None, "fifo", None),
    "dev-zero": (None, "dev-zero", None),
    "directory": (None, "directory", None),
    "big": ("config: {}\n" + "#" * (2 * 2**20), None, None),
    "binary": ("\udcff", None, None),
}  # fmt: skip
STACK_COMMANDS = {"plan": ["plan"], "cost": ["cost"], "compile": ["compile", "--script"],
                  "reserve": ["reserve"]}  # fmt: skip


def _stack_case(command: list[str], text: str | None, special: str | None, literal: str | None):
    def run() -> str:
        if text == "\udcff":
            path = _scratch() / "Pulumi.bin.yaml"
            path.write_bytes(b"\xff\xfe\x00config")
            return judge_cli(_invoke([*command, "--stack", str(path)]), {2})
        path = _stack_file(text, special)
        return judge_cli(_invoke([*command, "--stack", path]), {2}, literal)

    return run


def _flags(argv: list[str], codes: set[int] = frozenset({2}), columns: str = "200"):  # type: ignore[assignment]
    return lambda: judge_cli(_invoke(argv, columns), set(codes))


def _document_case(argv: Callable[[str], list[str]], content: str | None, special: str | None):
    def run() -> str:
        path = _scratch() / "doc.json"
        if special == "fifo":
            os.mkfifo(path)
        elif special == "dev-zero":
            path.symlink_to("/dev/zero")
        else:
            path.write_text(content or "")
        return judge_cli(_invoke(argv(str(path))), {2})

    return run


DOCUMENTS = {
    "nested": ("[" * 100_000 + "]" * 100_000, None),
    "fifo": (None, "fifo"),
    "dev-zero": (None, "dev-zero"),
    "top-level-list": ("[1, 2]", None),
    "not-json": ("{", None),
    "type-a-list": (json.dumps({"resources": [{"type": [], "name": "x"}]}), None),
    "replace-on-change-list": (
        json.dumps({"resources": [{"type": "t", "name": "x", "replace_on_change": ["a"]}]}),
        None,
    ),
    "numbers-not-numbers": (json.dumps({"completed": "ten", "total_input_tokens": [1]}), None),
}
DOCUMENT_COMMANDS = {
    "against": lambda p: ["plan", "--stack", "dev", "--against", p],
    "calibrate": lambda p: ["size", "--calibrate", p, "--stack", "dev"],
    "model-config": lambda p: ["size", "--model", "x/y", "--model-config", p,
                               "--requests-per-s", "1"],
    "compare": lambda p: ["bench", "--compare", p, p],
}  # fmt: skip

FLAGS: dict[str, tuple[list[str], set[int]]] = {
    "plan-empty-stack": (["plan", "--stack", ""], {2}),
    "plan-traversal": (["plan", "--stack", "../../etc/passwd"], {2}),
    "cost-tps-nan": (["cost", "--tokens-per-second", "nan"], {2}),
    "cost-util-inf": (["cost", "--utilization", "inf"], {2}),
    "cost-alt-nan": (["cost", "--alt-tps", "g5.xlarge=nan"], {2}),
    "cost-input-len-huge": (["cost", "--input-len", "1000000000"], {2}),
    "reserve-count-zero": (["reserve", "--count", "0"], {2}),
    "reserve-region-injection": (["reserve", "--region", "mars-1; rm"], {2}),
    "reserve-region-arabic": (["reserve", "--region", "us-east-\u0661"], {2}),
    "size-min-nodes-1e9": (["size", "--model", "meta-llama/Llama-3.1-8B-Instruct",
                            "--requests-per-s", "1", "--min-nodes", "1000000000"], {2}),
    "size-rps-nan": (["size", "--model", "meta-llama/Llama-3.1-8B-Instruct",
                      "--requests-per-s", "nan"], {2}),
    "size-rps-inf": (["size", "--model", "meta-llama/Llama-3.1-8B-Instruct",
                      "--requests-per-s", "inf"], {2}),
    "size-ttft-nan": (["size", "--model", "meta-llama/Llama-3.1-8B-Instruct",
                       "--requests-per-s", "1", "--ttft-p99-ms", "nan"], {2}),
    "size-discount-inf": (["size", "--model", "meta-llama/Llama-3.1-8B-Instruct",
                           "--requests-per-s", "1", "--discount-1yr", "inf"], {2}),
    "size-markup-model": (["size", "--model", "[/]", "--requests-per-s", "1"], {2}),
    "state-backend-injection": (["state-backend", "--account", "123456789012", "--region",
                                 "us-east-1", "--stack", "dev; curl x|sh"], {2}),
    "state-backend-arabic-account": (["state-backend", "--account", "\u0661" * 12,
                                      "--region", "us-east-1"], {2}),
    "new-markup-name": (["new", "/tmp/corpus-never", "--name", "[/]"], {2}),
    "columns-zero": (["plan", "--stack", "dev"], {0}),
}  # fmt: skip


def _columns_zero() -> str:
    result = _invoke(["plan", "--stack", "dev"], columns="0")
    outcome = judge_cli(result, {0})
    return "wrong" if outcome == "clear" and "resources" not in result.output else outcome


def _new_force_through_link() -> str:
    base = _scratch()
    (base / "outside").mkdir()
    (base / "project").mkdir()
    (base / "project" / "tests").symlink_to(base / "outside", target_is_directory=True)
    outcome = judge_cli(_invoke(["new", str(base / "project"), "--force"]), {2})
    return "escape" if any((base / "outside").iterdir()) else outcome


def _against_markup_name() -> str:
    path = _scratch() / "old.json"
    row = {"type": "aws:s3/bucket:Bucket", "name": "[/] and [bold]b[/bold]", "inputs_sha256": "x"}
    path.write_text(json.dumps({"resources": [row]}))
    result = _invoke(["plan", "--stack", "dev", "--against", str(path)])
    return judge_cli(result, {0}, "[/] and [bold]b[/bold]")


def _markup_stack_path() -> str:
    path = _scratch() / "[/]Pulumi.[bold]x[/bold].yaml"
    return judge_cli(_invoke(["plan", "--stack", str(path)]), {2}, "[/]Pulumi.[bold]x[/bold]")


def _compile_output_missing() -> str:
    return judge_cli(_invoke(["compile", "--stack", "dev", "--output", "/no/such/dir/x.gz"]), {2})


def _ami_write_newline() -> str:
    from graviton_llm.cli import common
    from graviton_llm.project import ami_pin

    path = Path(_stack_file(DEV))
    common.ec2_client = lambda *_args, **_kwargs: object()  # type: ignore[assignment]
    common.client = lambda *_args, **_kwargs: object()  # type: ignore[assignment]
    hostile = "ami-0123456789abcdef0\n    image: registry.example/attacker"
    ami_pin.latest = lambda ssm, ec2, spec: ("/p", ami_pin.Ami(hostile))  # type: ignore[assignment]
    outcome = judge_cli(_invoke(["ami", "--stack", str(path), "--write"]), {2})
    return "escape" if "attacker" in path.read_text() else outcome


PROGRAMS = {
    "loops": ("while True:\n    pass\n", {}, []),
    "os-exit-0": ("import os\nos._exit(0)\n", {}, []),
    "thread-left-running": (
        "import threading, time\nthreading.Thread(target=time.sleep, args=(3600,)).start()\n"
        "import pulumi_aws as aws\naws.s3.Bucket('b', bucket='team-logs-0001')\n", {}, []),
    "base-exception": ("class Stop(BaseException):\n    pass\nraise Stop('x')\n", {}, []),
    "breaks-an-aws-rule": ("import pulumi_aws as aws\naws.s3.Bucket('b', bucket='Bad_Name!')\n",
                           {}, []),
    "markup-in-error": ("raise ValueError('[/] and [bold]x[/bold]')\n", {}, []),
    "main-outside": ("x = 1\n", {"main": "../outside.py"}, []),
    "main-absolute": ("x = 1\n", {"main": "OUTSIDE"}, []),
    "stack-dir-outside": ("x = 1\n", {"stackConfigDir": "../elsewhere"}, []),
}  # fmt: skip


def _program_case(program: str, settings: dict[str, str], extra: list[str]):
    def run() -> str:
        base = _scratch()
        (base / "outside.py").write_text("open('/tmp/corpus-ran-outside', 'w').close()\n")
        root = base / "team"
        (root / "infra").mkdir(parents=True)
        values = {"name": "team", "runtime": "python", "main": "infra", **settings}
        values = {k: str(base / "outside.py") if v == "OUTSIDE" else v for k, v in values.items()}
        (root / "Pulumi.yaml").write_text("".join(f"{k}: {v}\n" for k, v in values.items()))
        (root / "infra" / "__main__.py").write_text(program)
        (root / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
        expected = {0} if "Thread" in program else {2}
        literal = "[/] and [bold]x[/bold]" if "[/]" in program else None
        argv = ["plan", str(root), "--stack", "dev", *extra]
        if "Thread" in program:
            return _in_a_process(argv, expected)  # a thread holds up the interpreter's exit
        return judge_cli(_invoke(argv), expected, literal)

    return run


def _in_a_process(argv: list[str], codes: set[int]) -> str:
    import subprocess
    import sys

    try:
        done = subprocess.run(
            [sys.executable, "-P", "-m", "graviton_llm.cli", *argv],  # -P: not this checkout
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "hang"
    if "Traceback (most recent call last)" in done.stdout + done.stderr:
        return "traceback"
    return "clear" if done.returncode in codes else "wrong"


def cli_cases() -> list[Case]:
    cases = [
        Case("cli", f"{command} {name}", _stack_case(argv, *spec))
        for command, argv in STACK_COMMANDS.items()
        for name, spec in STACKS.items()
    ]
    cases += [
        Case("cli", f"{command} {name}", _document_case(argv, *spec))
        for command, argv in DOCUMENT_COMMANDS.items()
        for name, spec in DOCUMENTS.items()
    ]
    cases += [Case("cli", name, _flags(argv, codes)) for name, (argv, codes) in FLAGS.items()
              if name != "columns-zero"]  # fmt: skip
    cases += [
        Case("cli", "plan COLUMNS=0", _columns_zero),
        Case("cli", "new --force through a link", _new_force_through_link),
        Case("cli", "compile --output in a missing folder", _compile_output_missing),
        Case("cli", "against a resource named with markup", _against_markup_name),
        Case("cli", "plan a stack path with markup", _markup_stack_path),
        Case("cli", "ami --write of a value with a newline", _ami_write_newline),
    ]
    cases += [
        Case("cli", f"team program {name}", _program_case(*spec), timeout_s=90, tags=("slow",))
        for name, spec in PROGRAMS.items()
    ]
    return cases
