"""Property: any config, however hostile, is either refused with every problem under a field
name (and nothing registered), or accepted and rendered into a boot script bash can parse. No
other outcome: no traceback, no silently odd script."""

from __future__ import annotations

import copy
import math
import subprocess
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from pydantic import ValidationError

from graviton_llm import NeuronServingClusterArgs, render_user_data
from graviton_llm.args import ArgsError
from graviton_llm.facts import catalog
from support import build_cluster, cluster_args

# Every test here runs the CLI, a program or a server end to end.
pytestmark = pytest.mark.slow

HOSTILE = [
    "", " ", "\x00", "a\nb", "a\r\nb", "x" * 5000, "$(id)", "`id`", "a;b", "a&b", "a/b", "a\\b",
    "'", '"', "*", "?", "${HOME}", "ünïcode", "aws:x", "arn:aws:kms:*:*:key/*", "-rf",
    "s3://team-weights/llama?/", "s3://192.168.1.1/x/", "s3://xn--bucket/x/", "team-weights\n",
]  # fmt: skip
texts = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 2, 8, 24, 4096, 8192, -1, True, False, None, "8000", 1.5, math.inf]),
)
anything = st.one_of(
    texts, numbers, st.lists(texts, max_size=3), st.dictionaries(texts, texts, max_size=2)
)

KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def either(valid: list[Any], hostile: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Half plausible values (so accepted configs get rendered too), half anything."""
    return st.one_of(st.sampled_from(valid), hostile)


# Where a mutation lands, and what it may put there.
FIELDS: dict[tuple[str, ...], st.SearchStrategy[Any]] = {
    ("vpc_id",): either(["vpc-0123456789abcdef0", "vpc-01234567"], texts),
    ("subnet_ids",): either([["subnet-0123456789abcdef0"]], st.lists(texts, max_size=3)),
    ("instance_type",): either(sorted(catalog.INSTANCE_TYPES), texts),
    ("tensor_parallel_size",): either([1, 2], numbers),
    ("max_model_len",): either([1024, 2048, 4096], numbers),
    ("max_num_seqs",): either([1, 4, 8], numbers),
    ("max_num_batched_tokens",): either([4096, 8192], numbers),
    ("enable_prefix_caching",): either([True, False], anything),
    ("port",): either([8080, 8443], numbers),
    ("metrics_port",): either([9200], numbers),
    ("allowed_cidrs",): either(
        [["10.1.0.0/16"], ["172.16.0.0/12", "192.168.0.0/16"]], st.lists(texts, max_size=2)
    ),
    ("ssh_cidrs",): either([["10.0.0.0/24"]], st.lists(texts, max_size=2)),
    ("min_size",): either([0, 1], numbers),
    ("max_size",): either([3, 5], numbers),
    ("desired_capacity",): either([1, 2], numbers),
    ("weights_kms_key_arn",): either([KMS], texts),
    ("region",): either(["us-east-1", "us-east-2", "eu-west-1"], texts),
    ("image",): either(
        ["vllm/vllm-openai-cpu:v0.33.0-arm64", "registry:5000/a/b@sha256:" + "0" * 64], texts
    ),
    ("ami_id",): either(["ami-0123456789abcdef0"], texts),
    ("root_device_name",): either(["/dev/sda1", "/dev/xvda"], texts),
    ("root_volume_gib",): either([200, 500], numbers),
    ("health_check_grace_seconds",): either([0, 300], numbers),
    ("capacity_mode",): either(["on_demand"], texts),
    ("environment",): either(["prod", "dev team"], texts),
    ("owner",): either(["ml-platform", "a@b.c"], texts),
    ("api_key_ssm_parameter",): either(["/llm/key", "/a/b.c-d_e"], texts),
    ("api_key_kms_key_arn",): texts,
    ("tags",): either(
        [{"team": "ml"}, {"cost-center": "42"}], st.dictionaries(texts, texts, max_size=3)
    ),
    ("model", "id"): either(
        ["meta-llama/Llama-3.2-1B", "meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-7B"], texts
    ),
    ("model", "weights_uri"): either(["s3://team-weights/a/b/", "s3://x.y-z/m(1)/"], texts),
    ("model", "params_billion"): either([1.0, 7.5], numbers),
    ("model", "dtype"): either(["float16", "bfloat16"], texts),
    ("monitoring", "latency_seconds"): either([5.0, 60], numbers),
    ("monitoring", "alarm_emails"): st.lists(texts, max_size=2),
    ("scaling", "target_value"): either([2.5], numbers),
    ("rollout", "instance_warmup_seconds"): either([0, 600], numbers),
    ("rollout", "error_rate_percent"): either([5.0], numbers),
    ("capacity", "availability_zones"): st.lists(texts, max_size=2),
    ("capacity", "end_date"): texts,
    ("spot", "instance_types"): st.lists(texts, max_size=2),
    ("unknown_field",): anything,
}
mutation = st.sampled_from(sorted(FIELDS)).flatmap(
    lambda path: st.tuples(st.just(path), FIELDS[path])
)


def mutated(mutations: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    args = cluster_args(region="us-east-1")
    for path, value in mutations:
        target = args
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = copy.deepcopy(value)
    return args


@given(st.lists(mutation, min_size=1, max_size=3))
def test_any_config_is_refused_by_field_or_renders_a_script_bash_parses(mutations):
    config = mutated(mutations)
    try:
        args = NeuronServingClusterArgs.model_validate(config)
    except ValidationError as error:
        event("refused")
        assert error.errors(), "a refusal names what is wrong"
        for entry in error.errors():
            assert entry["loc"], f"a problem without a field: {entry}"
            assert entry["msg"]
        return
    event("accepted")
    script = render_user_data(args)  # refused over EC2's 16 KB
    assert len(script.encode()) <= 16 * 1024
    parsed = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
    assert parsed.returncode == 0, parsed.stderr


@given(st.lists(mutation, min_size=1, max_size=2))
def test_a_refused_config_registers_nothing(mutations):
    result = build_cluster(mutated(mutations), catch=True)
    if result.error is not None:
        assert isinstance(result.error, ArgsError), repr(result.error)
        assert result.resources == []
