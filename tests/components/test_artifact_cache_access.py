"""The nodes' access to the compiled-artifact cache: read their cluster's prefix, publish only
blobs and manifests below it, nothing else."""

from __future__ import annotations

import json

import pytest

from graviton_llm import ArtifactCacheAccess, NeuronServingClusterArgs
from graviton_llm.args import ArgsError
from graviton_llm.documents.iam import artifact_cache_policy
from graviton_llm.node.artifact_key import static_artifact_key
from graviton_llm.testing import run_program
from support import KMS_KEY, assert_golden, build_cluster, cluster_args

CACHE = "s3://team-weights/.graviton-llm-cache/0123456789abcdef/"
POLICY = "aws:iam/rolePolicy:RolePolicy"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/00000000-1111-2222-3333-444444444444"


def _statements(document) -> dict[str, dict]:
    return {s["Sid"]: s for s in document["Statement"]}


def test_policy_reads_lists_and_publishes_only_under_the_prefix_golden():
    document = artifact_cache_policy(CACHE, kms_key_arn=KMS_KEY, region="us-east-1")
    assert_golden("artifact_cache_policy_kms.json", json.dumps(document, indent=2) + "\n")


def test_writes_are_blobs_and_manifests_below_the_prefix_and_never_deletes():
    statements = _statements(artifact_cache_policy(CACHE))
    blobs, manifest = statements["UploadCompiledArtifacts"], statements["PublishManifestOnce"]
    assert blobs["Action"] == ["s3:PutObject", "s3:AbortMultipartUpload"]
    assert blobs["Resource"] == (
        "arn:aws:s3:::team-weights/.graviton-llm-cache/0123456789abcdef/*/blobs/*"
    )
    # A manifest is written only as a create: a node never overwrites a published entry.
    assert manifest["Action"] == "s3:PutObject"
    assert manifest["Resource"] == (
        "arn:aws:s3:::team-weights/.graviton-llm-cache/0123456789abcdef/*/manifest.json"
    )
    assert manifest["Condition"] == {"StringEquals": {"s3:if-none-match": "*"}}
    actions = [a for s in statements.values() for a in json.dumps(s["Action"]).split('"')]
    assert not [a for a in actions if "Delete" in a or "Acl" in a or a.endswith("*")]
    # Reads cover the cache's root: nodes still launched on the previous version (rollout held
    # while the next key is pre-warmed) download their own key's artifacts.
    listing = statements["ListCompiledArtifacts"]
    assert listing["Resource"] == "arn:aws:s3:::team-weights"
    root = ".graviton-llm-cache/"
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [root, root + "*"]}}
    assert statements["ReadCompiledArtifacts"]["Resource"] == f"arn:aws:s3:::team-weights/{root}*"
    assert "EncryptArtifactsViaS3" not in statements


def test_the_component_refuses_a_cache_location_that_is_not_one():
    with pytest.raises(ArgsError, match="cache_uri"):
        ArtifactCacheAccess("c", {"role": "r", "cache_uri": "s3://team-weights/"})


def _cache_policy(result) -> dict:
    policy = result.named("llm-artifacts-rw").inputs["policy"]
    return json.loads(policy)


@pytest.mark.slow
def test_a_neuron_cluster_grants_its_static_keys_prefix_and_the_weights_key_in_their_bucket():
    args = cluster_args(weights_kms_key_arn=KMS_KEY)
    result = build_cluster(args)
    static = static_artifact_key(NeuronServingClusterArgs.model_validate(args))
    statements = _statements(_cache_policy(result))
    assert statements["UploadCompiledArtifacts"]["Resource"] == (
        f"arn:aws:s3:::team-weights/.graviton-llm-cache/{static}/*/blobs/*"
    )
    encrypt = statements["EncryptArtifactsViaS3"]
    assert encrypt["Resource"] == KMS_KEY
    assert encrypt["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert encrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    }
    # IAM is eventually consistent: the grant exists before a node can boot and publish.
    template = result.one("aws:ec2/launchTemplate:LaunchTemplate")
    assert any(urn.endswith("::llm-artifacts-rw") for urn in template.dependencies)


def test_a_cache_in_another_bucket_uses_its_own_key_not_the_weights_key():
    result = build_cluster(
        cluster_args(
            weights_kms_key_arn=KMS_KEY,
            artifact_cache={"uri": "s3://build-cache/neuron/", "kms_key_arn": OTHER_KEY},
        )
    )
    statements = _statements(_cache_policy(result))
    assert statements["ReadCompiledArtifacts"]["Resource"].startswith(
        "arn:aws:s3:::build-cache/neuron/"
    )
    assert statements["EncryptArtifactsViaS3"]["Resource"] == OTHER_KEY
    via = statements["EncryptArtifactsViaS3"]["Condition"]
    assert via == {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}  # its region unknown


@pytest.mark.parametrize(
    "overrides",
    [
        {"instance_type": "r8g.16xlarge", "max_num_seqs": 32},  # the CPU path compiles nothing
        {"artifact_cache": {"enabled": False}},
    ],
    ids=["cpu", "disabled"],
)
def test_no_cache_no_grant(overrides):
    result = build_cluster(cluster_args(**overrides))
    names = [r.name for r in result.resources if r.type == POLICY]
    assert not [n for n in names if "artifacts" in n]
    # And every S3 write the nodes could make is gone with it.
    for r in result.resources:
        if r.type == POLICY:
            assert "s3:PutObject" not in r.inputs["policy"], r.name


def test_used_on_its_own_the_component_registers_one_policy():
    result = run_program(lambda: ArtifactCacheAccess("c", {"role": "r", "cache_uri": CACHE}))
    assert [r.type for r in result.resources] == [
        "graviton-llm:cache:ArtifactCacheAccess",
        POLICY,
    ]
