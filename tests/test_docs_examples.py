"""Every Python example in README.md and docs/*.md runs, so the docs cannot rot.

How a block runs is said by the comment on the line before its fence:

- none: code of a team's own tests. A document's such blocks run in order in one namespace, as
  a reader pastes them into one test file: in a project `graviton-llm new` made (named
  search-llm), its folder the working directory and ``__file__`` a file in its tests/ folder.
- ``<!-- docs-test: program -->``: a fragment of a Pulumi program, run as one under the mock
  engine (a preview, and a first preview), with what such a program has already: ``pulumi``,
  ``aws`` (pulumi_aws), ``vpc`` and ``private_subnets`` (a VPC and two private subnets); a
  StackReference to acme/network/prod reads the outputs NETWORK gives.
- ``<!-- docs-test: skip, <why> -->``: not something to run here (a plugin's entry point, a
  list of signatures), saying why.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.testing import run_program

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKER = re.compile(r"<!-- docs-test: (program|skip, .+) -->")
NETWORK = {
    "acme/network/prod": {
        "vpc_id": "vpc-0aaaaaaaaaaaaaaaa",
        "private_subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
    }
}


@dataclass(frozen=True)
class Block:
    document: str
    line: int  # of the opening fence
    kind: str  # "test", "program" or "skip"
    code: str

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line}"


def blocks(path: Path) -> list[Block]:
    found, lines = [], path.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip() != "```python":
            continue
        before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = MARKER.fullmatch(before)
        kind = "test" if marker is None else marker.group(1).split(",", 1)[0]
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        code = "\n".join(lines[i + 1 : end]) + "\n"
        found.append(Block(str(path.relative_to(ROOT)), i + 1, kind, code))
    return found


ALL = [block for path in DOCUMENTS for block in blocks(path)]
PROGRAMS = [b for b in ALL if b.kind == "program"]
SESSIONS = sorted({b.document for b in ALL if b.kind == "test"})


def test_the_docs_have_examples_of_each_kind():
    assert PROGRAMS and SESSIONS, "no example found: has the fence or the marker changed?"
    assert {b.kind for b in ALL} == {"test", "program", "skip"}
    skipped = [b.where for b in ALL if b.kind == "skip" and "NeuronServingCluster(" in b.code]
    assert not skipped, f"an example that builds a cluster must run: {skipped}"


def _run_fragment(block: Block) -> None:
    vpc = aws.ec2.Vpc("team", cidr_block="10.42.0.0/16")
    private_subnets = [
        aws.ec2.Subnet(f"team-{i}", vpc_id=vpc.id, cidr_block=f"10.42.{i}.0/24") for i in (1, 2)
    ]
    namespace: dict[str, Any] = {
        "__name__": "__main__", "pulumi": pulumi, "aws": aws, "vpc": vpc,
        "private_subnets": private_subnets,
    }  # fmt: skip
    exec(compile(block.code, block.where, "exec"), namespace)


@pytest.mark.parametrize("block", PROGRAMS, ids=[b.where for b in PROGRAMS])
@pytest.mark.parametrize("first_preview", [False, True], ids=["preview", "first-preview"])
def test_a_program_example_plans(block, first_preview):
    result = run_program(
        lambda: _run_fragment(block), stack_references=NETWORK, first_preview=first_preview
    )
    assert result.of_type("graviton-llm:cluster:NeuronServingCluster"), block.where


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("docs") / "search-llm"
    created = CliRunner().invoke(app, ["new", str(folder)])
    assert created.exit_code == 0, created.output
    return folder


@pytest.mark.slow  # a scaffolded project and each document's examples run as its tests
@pytest.mark.parametrize("document", SESSIONS)
def test_the_test_examples_of_a_document_run_in_order(document, project, monkeypatch):
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "path", [str(project), *sys.path])
    namespace: dict[str, Any] = {
        "__name__": "docs_example",
        "__file__": str(project / "tests" / "test_docs.py"),
    }
    for block in (b for b in ALL if b.document == document and b.kind == "test"):
        try:
            exec(compile(block.code, block.where, "exec"), namespace)
        except BaseException as error:
            raise AssertionError(f"the example at {block.where} fails: {error!r}") from error
    assert os.getcwd() == str(project)
