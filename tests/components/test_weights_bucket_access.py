from __future__ import annotations

import json

import pytest

from graviton_llm import WeightsBucketAccess
from graviton_llm.args import ArgsError
from graviton_llm.documents.iam import weights_read_policy
from graviton_llm.testing import run_program
from support import assert_golden

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _actions_and_resources(document):
    for statement in document["Statement"]:
        actions = statement["Action"]
        yield from (
            (a, statement["Resource"]) for a in ([actions] if isinstance(actions, str) else actions)
        )


def test_policy_reads_only_the_prefix_golden():
    document = weights_read_policy(
        "s3://team-weights/llama/8b/", kms_key_arn=KEY, region="us-east-1"
    )
    assert_golden("weights_policy_kms.json", json.dumps(document, indent=2) + "\n")


def test_no_wildcard_actions_or_resources():
    document = weights_read_policy("s3://team-weights/llama/", kms_key_arn=KEY, region="us-east-1")
    for action, resource in _actions_and_resources(document):
        assert "*" not in action
        assert resource not in ("*", "arn:aws:s3:::*", "arn:aws:s3:::team-weights/*")


def test_list_bucket_is_conditioned_on_the_prefix():
    document = weights_read_policy("s3://team-weights/llama/")
    (listing,) = [s for s in document["Statement"] if s["Action"] == "s3:ListBucket"]
    assert listing["Resource"] == "arn:aws:s3:::team-weights"
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["llama/", "llama/*"]}}


def test_prefix_without_trailing_slash_does_not_widen_to_sibling_prefixes():
    document = weights_read_policy("s3://team-weights/llama")
    (read,) = [s for s in document["Statement"] if s["Action"] == "s3:GetObject"]
    assert read["Resource"] == "arn:aws:s3:::team-weights/llama/*"  # not llama-70b/...


def test_kms_decrypt_only_with_a_key_and_only_via_s3():
    without = weights_read_policy("s3://team-weights/llama/")
    assert all(s["Action"] != "kms:Decrypt" for s in without["Statement"])
    with_key = weights_read_policy("s3://team-weights/llama/", kms_key_arn=KEY, region="eu-west-1")
    (decrypt,) = [s for s in with_key["Statement"] if s["Action"] == "kms:Decrypt"]
    assert decrypt["Resource"] == KEY
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    }


def test_component_attaches_the_policy_to_the_role():
    result = run_program(
        lambda: WeightsBucketAccess(
            "w",
            {"role": "node-role", "weights_uri": "s3://team-weights/llama/", "kms_key_arn": KEY},
        )
    )
    policy = result.one("aws:iam/rolePolicy:RolePolicy")
    assert policy.inputs["role"] == "node-role"
    assert policy.parent_name == "w"
    statements = json.loads(policy.inputs["policy"])["Statement"]
    assert {s["Action"] for s in statements} == {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"}


def test_bad_uri_is_refused():
    with pytest.raises(ArgsError, match="weights_uri"):
        WeightsBucketAccess("w", {"role": "r", "weights_uri": "s3://x"})
