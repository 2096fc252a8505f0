"""The node agent's S3 object is written with the KMS key its bucket encrypts with, whether the
args name the key as a string or as an Output from another resource (before: an Output key was
dropped, and a bucket policy that demands SSE-KMS would refuse the upload at `pulumi up`)."""

from __future__ import annotations

import pulumi
import pytest

from support import build_cluster, cluster_args

KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"


@pytest.mark.parametrize("given", ["plain", "output"])
def test_the_agent_object_carries_the_weights_buckets_kms_key(given):
    key = KEY if given == "plain" else pulumi.Output.from_input(KEY)
    result = build_cluster(cluster_args(instance_type="inf2.8xlarge", weights_kms_key_arn=key))
    (agent,) = result.of_type(OBJECT)
    assert agent.inputs["serverSideEncryption"] == "aws:kms"
    assert agent.inputs["kmsKeyId"] == KEY
