"""The pack's folder started as the engine starts a Python policy pack (`python -u -m
pulumi.policy <engine> <folder>` in the folder, pulumi-language-python's RunPlugin): it serves
pulumi's Analyzer service on 127.0.0.1, describes every policy and judges a resource."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from graviton_llm.policy import rules
from support_process import plugin_channel

# Starts the policy pack as the engine starts a plugin.
pytestmark = pytest.mark.slow

FOLDER = Path(__file__).resolve().parents[2] / "policy-pack"


def test_the_folder_serves_the_pack_over_grpc() -> None:
    with plugin_channel(["-u", "-m", "pulumi.policy", "127.0.0.1:1", str(FOLDER)], FOLDER) as ch:
        analyzer = analyzer_pb2_grpc.AnalyzerStub(ch)
        info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
        assert info.name == "graviton-llm" and info.supportsConfig
        assert [p.name for p in info.policies] == [r.id for r in rules()]
        props = struct_pb2.Struct()
        props.update({"metadataOptions": {"httpTokens": "optional"}})
        answer = analyzer.Analyze(
            analyzer_pb2.AnalyzeRequest(
                urn="urn:pulumi:dev::web::aws:ec2/launchTemplate:LaunchTemplate::web",
                type="aws:ec2/launchTemplate:LaunchTemplate", name="web", properties=props,
            )
        )  # fmt: skip
    assert [(d.policyName, d.enforcementLevel) for d in answer.diagnostics] == [
        ("imdsv1", analyzer_pb2.MANDATORY)
    ]


def test_a_misspelled_setting_fails_the_analysis_with_the_packs_error() -> None:
    """The engine validates only each option's type (convertSchema sets no
    additionalProperties), so it configures the pack with a misspelled option; the pack's answer
    to the next resource is an error naming it, which fails the preview."""
    with plugin_channel(["-u", "-m", "pulumi.policy", "127.0.0.1:1", str(FOLDER)], FOLDER) as ch:
        analyzer = analyzer_pb2_grpc.AnalyzerStub(ch)
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        request.policyConfig["public-ingress"].enforcementLevel = analyzer_pb2.MANDATORY
        request.policyConfig["public-ingress"].properties.update({"allowedCidr": ["52.94.0.0/16"]})
        analyzer.Configure(request)
        with pytest.raises(grpc.RpcError) as failed:
            analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
                urn="urn:pulumi:dev::web::aws:ec2/securityGroup:SecurityGroup::web",
                type="aws:ec2/securityGroup:SecurityGroup", name="web",
            ))  # fmt: skip
    assert "'allowedCidr' is not an option of this policy" in str(failed.value.details())
