"""Teams that test with Pulumi's plain unit-test mocks (pulumi.runtime.set_mocks and a Mocks
subclass, as Pulumi's testing guide shows) rather than graviton_llm.testing (issue 21, item 3).

The guide's minimal mocks return a resource's inputs as its state and an empty answer to every
provider function. Two things the cluster reads are then missing: the load balancer's `dnsName`
(the endpoint) and `getVpc`'s `cidrBlockAssociations` (the VPC ranges the NLB health checks come
from). Each now fails with a message that says which answer is missing and where to get it, and
`graviton_llm.testing.AwsMocks` answers both (and every lookup the harness answers)."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pulumi
import pytest

from graviton_llm import NeuronServingCluster
from graviton_llm.testing import AwsMocks
from support import cluster_args

# Every test here runs the CLI, a program or a server end to end.
pytestmark = pytest.mark.slow


class GuideMocks(pulumi.runtime.Mocks):
    """The minimal mocks of Pulumi's unit-testing guide."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return args.name + "_id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def _endpoint(mocks: pulumi.runtime.Mocks) -> str:
    # The stack's region, as `pulumi config set aws:region` gives it.
    pulumi.runtime.set_all_config({"aws:region": "us-east-1"})
    pulumi.runtime.set_mocks(mocks, preview=False)
    holder: dict[str, str] = {}
    failure: list[BaseException] = []

    @pulumi.runtime.test
    def check() -> pulumi.Output[None]:
        cluster = NeuronServingCluster("llm", cluster_args())
        return cluster.endpoint.apply(lambda e: holder.update(endpoint=e))

    loop = asyncio.get_event_loop_policy().get_event_loop()
    previous = loop.get_exception_handler()
    try:
        check()
    except Exception as error:
        failure.append(error)
    finally:
        # The failure sits in every future of the program's outputs: dropped here, quietly, so
        # asyncio does not report each as "never retrieved" in a later test.
        loop.set_exception_handler(lambda loop, context: None)
        pulumi.runtime.settings.SETTINGS.rpc_manager.clear()
        pulumi.runtime.settings.SETTINGS.outputs.clear()
        pulumi.runtime.set_all_config({})
        gc.collect()
        loop.set_exception_handler(previous)
    if failure:
        raise failure[0]
    return holder["endpoint"]


def test_the_guides_mocks_fail_naming_the_answer_they_lack():
    with pytest.raises(Exception, match=r"cidrBlockAssociations|dnsName") as raised:
        _endpoint(GuideMocks())
    assert "AwsMocks" in str(raised.value)
    assert "expected str instance, NoneType found" not in str(raised.value)


def test_aws_mocks_answer_what_the_cluster_reads():
    assert _endpoint(AwsMocks(region="us-east-1")) == (
        "http://internal-llm-nlb.elb.us-east-1.amazonaws.com:8000"
    )
