"""One encoder for every JSON document we write (safeio/json_text.to_json): the plan, sizing,
bench report, calibration and error documents give the same bytes for the same content."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from graviton_llm import plan, sizing
from graviton_llm.safeio.json_text import to_json

PACKAGE = Path(__file__).resolve().parent.parent / "graviton_llm"
# Not documents we write: an IAM policy's bytes are a resource input in deployed state.
OWN_FORM = {"safeio/json_text.py", "documents/iam.py"}


def test_the_documents_share_one_encoder():
    assert plan.to_json is sizing.to_json is to_json


def test_it_is_sorted_indented_ends_in_a_newline_and_refuses_nan():
    assert to_json({"b": 1, "a": [1.5]}) == '{\n  "a": [\n    1.5\n  ],\n  "b": 1\n}\n'
    with pytest.raises(ValueError):
        to_json({"a": math.nan})


def test_no_other_module_formats_a_json_document_itself():
    found = []
    for path in PACKAGE.rglob("*.py"):
        where = path.relative_to(PACKAGE).as_posix()
        if where in OWN_FORM or where.startswith("node_agent/"):  # the agent: stdlib alone
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func) == "json.dumps"
                and any(k.arg == "indent" for k in node.keywords)
            ):
                found.append(f"{where}:{node.lineno}")
    assert found == [], "write documents with safeio.json_text.to_json"
