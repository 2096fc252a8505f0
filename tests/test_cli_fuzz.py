"""Property: whatever a stack file holds, `plan` and `cost` end with exit 0, 1 or 2 and a
readable message, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from graviton_llm import cli
from graviton_llm.project import STACKS_DIR

# Every test here runs the CLI, a program or a server end to end.
pytestmark = pytest.mark.slow

runner = CliRunner()
DEV = yaml.safe_load((STACKS_DIR / "Pulumi.dev.yaml").read_text())

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["inf2.8xlarge", "s3://b-b/p/", "10.0.0.0/8", "meta-llama/Llama-3.1-8B"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
cluster_keys = st.sampled_from([*sorted(DEV["config"]["graviton-llm:cluster"]), "model", "x"])


@st.composite
def stack_documents(draw) -> object:
    """A whole document of any shape, or the dev stack with some cluster values replaced."""
    if draw(st.booleans()):
        return draw(values)
    document = yaml.safe_load(yaml.safe_dump(DEV))
    cluster = document["config"]["graviton-llm:cluster"]
    for key in draw(st.lists(cluster_keys, min_size=1, max_size=3)):
        cluster[key] = draw(values)
    return document


@given(stack_documents(), st.sampled_from([["plan"], ["cost"], ["compile", "--script"]]))
def test_any_stack_file_ends_in_an_exit_code_not_a_traceback(document, command):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Pulumi.fuzz.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True))
        argv = [*command, "--stack", str(path)]
        result = runner.invoke(cli.app, argv, env={"COLUMNS": "200"})
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    if result.exit_code == 2:
        assert "Invalid configuration" in result.output
