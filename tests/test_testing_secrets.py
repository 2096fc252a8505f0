"""Teams' tests feed a stack file's config to run_program, `secure:` values included (issue 21,
item 4): such a value is ciphertext only the stack's secrets provider opens, so the program gets a
placeholder that is plainly not the secret and that every `get_secret`/`require_secret` returns as
a secret Output, as under `pulumi up`."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
import yaml

from graviton_llm import NeuronServingCluster
from graviton_llm.plan.findings import is_secret_value
from graviton_llm.plan.project import run_project
from graviton_llm.plan.team_program import ProgramError
from graviton_llm.testing import run_program, secret_placeholder
from support import cluster_args

STACK_FILE = """\
config:
  aws:region: us-east-1
  search:apiKeyParameter:
    secure: v1:Zm9vYmFy:c2VjcmV0LWNpcGhlcnRleHQ=
  search:team: search
"""


def test_a_secure_value_from_a_stack_file_reaches_the_program_as_a_secret():
    config = yaml.safe_load(STACK_FILE)["config"]
    seen: dict[str, object] = {}

    def program() -> None:
        settings = pulumi.Config("search")
        parameter = settings.require_secret("apiKeyParameter")
        seen["plain"] = settings.get("team")
        NeuronServingCluster("llm", cluster_args(api_key_ssm_parameter=parameter))
        pulumi.export("parameter", parameter)

    result = run_program(program, config=config, project="search", stack="dev")
    assert seen["plain"] == "search"
    pointer = result.named("llm-api-key-name")
    assert is_secret_value(pointer.inputs["value"])
    assert pointer.inputs["value"]["value"] == secret_placeholder("search:apiKeyParameter")
    assert "v1:" not in str(result.stack_outputs)


def test_a_plain_value_can_be_declared_secret_for_a_test():
    def program() -> None:
        pulumi.export("key", pulumi.Config("search").require_secret("apiKeyParameter"))

    result = run_program(
        program, config={"search:apiKeyParameter": "/search/dev/api-key"},
        secret_keys=["search:apiKeyParameter"], project="search",
    )  # fmt: skip
    assert result.stack_outputs["key"] == "/search/dev/api-key"
    assert "key" in result.secret_outputs


PROGRAM = """\
import pulumi

settings = pulumi.Config()
pulumi.export("key", settings.require_secret("apiKeyParameter"))
pulumi.export("deploying", not pulumi.runtime.is_dry_run())
if settings.get_bool("fail"):
    raise RuntimeError("the team's own words")
"""


def _project(folder: Path, *, fail: bool) -> Path:
    (folder / "Pulumi.yaml").write_text("name: search\nruntime: python\n")
    (folder / "__main__.py").write_text(PROGRAM)
    (folder / "Pulumi.dev.yaml").write_text(STACK_FILE + f"  search:fail: {str(fail).lower()}\n")
    return folder


def test_run_project_reads_the_stack_file_as_pulumi_does(tmp_path):
    result = run_project(_project(tmp_path, fail=False), "dev", preview=False)
    assert result.stack_outputs["key"] == secret_placeholder("search:apiKeyParameter")
    assert "key" in result.secret_outputs
    assert result.stack_outputs["deploying"] is True


def test_run_project_names_where_a_program_failed(tmp_path):
    with pytest.raises(ProgramError) as failed:
        run_project(_project(tmp_path, fail=True), "dev")
    assert "the team's own words" in str(failed.value)
    assert "__main__.py:7" in str(failed.value)
