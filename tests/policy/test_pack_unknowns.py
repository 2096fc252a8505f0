"""What the pack decides on a preview, and where a stack policy points: a violation that reads no
unknown stands at its level whatever else of the resource is unknown; one that reads an unknown
waits (pulumi-policy's advisory); stack policies judge each resource's outputs, by URN."""

from __future__ import annotations

import json

import pulumi
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from graviton_llm.plan.checks import CHECKS
from policy_analyzer import Declared, analyze, analyze_stack

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
RP = "aws:iam/rolePolicy:RolePolicy"
UNKNOWN = pulumi.output.UNKNOWN
HTTPS_FROM_ANYWHERE = {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0,
                       "cidrBlocks": ["0.0.0.0/0"]}  # fmt: skip


def _verdicts(diagnostics: list) -> set[tuple[str, str, str]]:
    return {(d.policy, d.level, d.urn.rsplit("::", 1)[-1]) for d in diagnostics}


def test_a_violation_that_reads_no_unknown_is_refused_at_its_level_on_a_preview() -> None:
    new_vpc = Declared(SG, "web", {"vpcId": UNKNOWN, "ingress": [HTTPS_FROM_ANYWHERE]})
    new_group = Declared(SG_INGRESS, "https", {
        "securityGroupId": UNKNOWN, "ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0,
        "cidrIpv4": "0.0.0.0/0",
    })  # fmt: skip
    new_profile = Declared(LT, "nodes", {
        "iamInstanceProfile": {"name": UNKNOWN}, "metadataOptions": {"httpTokens": "optional"},
    })  # fmt: skip
    assert _verdicts(analyze([new_vpc, new_group, new_profile])) == {
        ("public-ingress", "mandatory", "web"),
        ("public-ingress", "mandatory", "https"),
        ("imdsv1", "mandatory", "nodes"),
    }


def test_a_rule_that_reads_an_unknown_waits_even_when_it_found_nothing() -> None:
    # The range is what decides: unknown on a preview, it may yet be 0.0.0.0/0.
    unknown_range = Declared(SG, "web", {"ingress": [{**HTTPS_FROM_ANYWHERE,
                                                      "cidrBlocks": [UNKNOWN]}]})  # fmt: skip
    [waiting] = analyze([unknown_range])
    assert (waiting.policy, waiting.level) == ("public-ingress", "advisory")
    assert waiting.message.endswith(
        "string value at .ingress.0.cidrBlocks.0 can't be known during preview"
    )
    # An unknown tokens setting is read as missing (IMDSv1 allowed): that may change, so it waits.
    unknown_tokens = Declared(LT, "nodes", {"metadataOptions": {"httpTokens": UNKNOWN}})
    assert _verdicts(analyze([unknown_tokens])) == {("imdsv1", "advisory", "nodes")}


def test_the_advisory_names_the_unknowns_kind_as_the_engine_sent_it() -> None:
    from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE

    from graviton_llm.policy.pack import _Sentinel, engine_inputs

    marked = engine_inputs({"a": UNKNOWN_BOOLEAN_VALUE, "b": [UNKNOWN_STRING_VALUE]})
    assert isinstance(marked["a"], _Sentinel) and marked["a"].sentinel == UNKNOWN_BOOLEAN_VALUE
    lb = Declared("aws:lb/loadBalancer:LoadBalancer", "web", {"internal": UNKNOWN})
    [waiting] = analyze([lb])
    assert "string value at .internal" in waiting.message  # the harness sends strings' sentinel


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


WEIGHTS = {"Sid": "ReadModelWeights", "Effect": "Allow", "Action": "s3:GetObject",
           "Resource": "arn:aws:s3:::acme-models/llama/*"}  # fmt: skip
CACHE_UNDER_WEIGHTS = {"Sid": "UploadCompiledArtifacts", "Effect": "Allow",
                       "Action": "s3:PutObject",
                       "Resource": "arn:aws:s3:::acme-models/llama/cache/*/blobs/*"}  # fmt: skip


def test_a_stack_policy_points_at_each_resource_by_its_urn() -> None:
    # Two policies named "nodes" under different components: only one writes over the weights.
    over = Declared(RP, "nodes", {"role": "a", "policy": _policy(CACHE_UNDER_WEIGHTS)},
                    parent="acme:index:Serving")  # fmt: skip
    reads = Declared(RP, "nodes", {"role": "b", "policy": _policy(WEIGHTS)},
                     parent="acme:index:Weights")  # fmt: skip
    for order in ([over, reads], [reads, over]):
        [found] = analyze_stack(order)
        assert found.policy == "s3-weights-overwrite"
        assert "acme:index:Serving$aws:iam/rolePolicy:RolePolicy::nodes" in found.urn
        assert found.message.endswith(
            "UploadCompiledArtifacts: writes arn:aws:s3:::acme-models/llama/cache/*/blobs/* over "
            "the model weights s3://acme-models/llama/ "
            "(urn:pulumi:test::project::acme:index:Weights$aws:iam/rolePolicy:RolePolicy::nodes)"
        )


def test_a_stack_policy_reports_what_is_decided_and_waits_for_the_rest() -> None:
    decided = Declared(RP, "writer", {"role": "a", "policy": _policy(CACHE_UNDER_WEIGHTS)})
    weights = Declared(RP, "weights", {"role": "b", "policy": _policy(WEIGHTS)})
    unknown = Declared(RP, "later", {"role": "c", "policy": UNKNOWN})
    found = analyze_stack([decided, weights, unknown])
    assert [(d.policy, d.level, d.urn.rsplit("::", 1)[-1]) for d in found] == [
        ("s3-weights-overwrite", "advisory", "writer"),
        ("s3-weights-overwrite", "advisory", ""),
    ]
    assert found[1].message.endswith("string value at .later.policy can't be known during preview")
    assert "writes arn:aws:s3:::acme-models/llama/cache" in found[0].message
    mandatory = {"s3-weights-overwrite": {"enforcementLevel": "mandatory"}}
    assert [d.level for d in analyze_stack([decided, weights, unknown], mandatory)] == [
        "mandatory", "advisory",
    ]  # fmt: skip


class _Deployed:
    """A resource whose outputs differ from its inputs, as after AWS answered."""

    def __init__(self, name: str, inputs: dict, outputs: dict) -> None:
        self.type, self.name, self.urn = RP, name, f"urn:pulumi:test::project::{RP}::{name}"
        self.inputs, self.outputs = inputs, outputs


def test_stack_policies_judge_the_outputs_the_engine_sends_after_the_deployment() -> None:
    weights = Declared(RP, "weights", {"role": "b", "policy": _policy(WEIGHTS)})
    # Declared with a harmless document, deployed with one that writes over the weights.
    changed = _Deployed("writer", {"role": "a", "policy": _policy(WEIGHTS)},
                        {"role": "a", "policy": _policy(CACHE_UNDER_WEIGHTS)})  # fmt: skip
    assert [d.urn.rsplit("::", 1)[-1] for d in analyze_stack([weights, changed])] == ["writer"]


def test_each_check_reads_inputs_only_through_the_view() -> None:
    """Every check meets an unknown only through reads.view: one that copied the inputs whole
    (dict(inputs)) would read every unknown, and wait on a field it never judges."""
    from graviton_llm.plan.reads import Reads, view

    for rule in CHECKS:
        reads = Reads()
        unrelated = {"tagsAll": UNKNOWN, "vpcId": UNKNOWN, "securityGroupId": UNKNOWN}
        resources = [
            Declared(type_, "x", view({**inputs, **unrelated}, reads))  # type: ignore[arg-type]
            for type_, inputs in [(SG, {"ingress": []}), (SG_INGRESS, {"cidrIpv4": "10.0.0.0/8"}),
                                  (LT, {"metadataOptions": {"httpTokens": "required"}}),
                                  (RP, {"policy": _policy(WEIGHTS)})]
        ]  # fmt: skip
        rule(resources)
        assert reads.unknown == [], rule.id


def test_a_stack_violation_on_a_resource_whose_reads_met_an_unknown_waits() -> None:
    # A document given as a structure, one statement's resource unknown: what the rule found on
    # that policy is not reported at its level; the advisory says what it waits for.
    weights = Declared(RP, "weights", {"role": "b", "policy": _policy(WEIGHTS)})
    partly_known = Declared(RP, "writer", {"role": "a", "policy": {"Statement": [
        CACHE_UNDER_WEIGHTS, {**CACHE_UNDER_WEIGHTS, "Sid": "Later", "Resource": UNKNOWN},
    ]}})  # fmt: skip
    config = {"s3-weights-overwrite": {"enforcementLevel": "mandatory"}}
    [waiting] = analyze_stack([weights, partly_known], config)
    assert waiting.level == "advisory"
    assert waiting.message.endswith(
        "string value at .writer.policy.Statement.1.Resource can't be known during preview"
    )
