"""Teams' tests feed a stack file's config to run_program, `secure:` values included (issue 21,
item 4): such a value is ciphertext only the stack's secrets provider opens, so the program gets a
placeholder that is plainly not the secret and that every `get_secret`/`require_secret` returns as
a secret Output, as under `pulumi up`."""

from __future__ import annotations

import pulumi
import yaml

from graviton_llm import NeuronServingCluster
from graviton_llm.plan.findings import is_secret_value
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
