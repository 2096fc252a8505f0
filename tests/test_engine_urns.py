"""The harness refuses what the engine refuses about URNs: a second resource with a URN the
program registered before (pulumi/pulumi pkg/resource/deploy/step_generator.go, generateURN)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from graviton_llm import NeuronServingCluster
from graviton_llm.testing import DuplicateResourceUrn, run_program
from support import cluster_args

CLUSTER_URN = "urn:pulumi:test::graviton-llm::graviton-llm:cluster:NeuronServingCluster::chat"


@pytest.mark.slow
@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("mode", ["preview", "first_preview", "deploy"])
def test_two_clusters_of_one_name_are_refused_naming_both(strict, mode):
    def program():
        NeuronServingCluster("chat", cluster_args())  # first
        NeuronServingCluster("chat", cluster_args(max_num_seqs=4))  # second

    kwargs = {"preview": mode != "deploy", "first_preview": mode == "first_preview"}
    result = run_program(program, catch=True, strict=strict, **kwargs)
    error = result.error
    assert isinstance(error, DuplicateResourceUrn), error
    assert error.urn == CLUSTER_URN and error.name == "chat"
    message = str(error)
    assert message.startswith(f"Duplicate resource URN '{CLUSTER_URN}'; try giving it a unique")
    first, second = (program.__code__.co_firstlineno + n for n in (1, 2))
    assert f"test_engine_urns.py:{first} and at " in message
    assert f"test_engine_urns.py:{second})" in message
    # The first cluster registered once; nothing of the second is listed as its own resource.
    clusters = result.of_type("graviton-llm:cluster:NeuronServingCluster")
    assert len(clusters) == 1
    names = [r.name for r in result.resources]
    assert len(names) == len(set(names))


def test_a_urn_is_type_parent_types_and_name_not_the_parents_names():
    class Team(pulumi.ComponentResource):
        def __init__(self, name: str, child: str) -> None:
            super().__init__("team:index:Team", name)
            aws.s3.Bucket(child, opts=pulumi.ResourceOptions(parent=self))

    class Other(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("team:index:Other", name)
            aws.s3.Bucket("logs", opts=pulumi.ResourceOptions(parent=self))

    def distinct():
        Team("a", "logs")
        Other("b")  # same child name and type, another parent type: another URN
        aws.s3.Bucket("logs")  # no parent: another URN again

    result = run_program(distinct)
    urns = sorted(r.urn for r in result.of_type("aws:s3/bucket:Bucket"))
    assert urns == [
        "urn:pulumi:test::graviton-llm::aws:s3/bucket:Bucket::logs",
        "urn:pulumi:test::graviton-llm::team:index:Other$aws:s3/bucket:Bucket::logs",
        "urn:pulumi:test::graviton-llm::team:index:Team$aws:s3/bucket:Bucket::logs",
    ]

    def colliding():
        Team("a", "logs")
        Team("b", "logs")  # parents differ by name only: the children's URNs are one

    error = run_program(colliding, catch=True).error
    assert isinstance(error, DuplicateResourceUrn)
    assert error.urn == "urn:pulumi:test::graviton-llm::team:index:Team$aws:s3/bucket:Bucket::logs"


@pytest.mark.slow
def test_a_grandchild_urn_carries_every_ancestor_type():
    class Outer(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("team:index:Outer", name)
            Inner(f"{name}-inner", opts=pulumi.ResourceOptions(parent=self))

    class Inner(pulumi.ComponentResource):
        def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
            super().__init__("team:index:Inner", name, None, opts)
            aws.s3.Bucket("data", opts=pulumi.ResourceOptions(parent=self))

    bucket = run_program(lambda: Outer("o")).one("aws:s3/bucket:Bucket")
    assert bucket.urn == (
        "urn:pulumi:test::graviton-llm::team:index:Outer$team:index:Inner$aws:s3/bucket:Bucket::data"
    )
    assert bucket.parent_name == "o-inner"
