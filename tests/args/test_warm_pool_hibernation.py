"""A Hibernated warm pool is refused, naming the field and why, before anything is created
(before: accepted, with no hibernation options in the template, on instances that cannot)."""

from __future__ import annotations

import pytest

from support import assert_refused


@pytest.mark.parametrize(
    ("instance_type", "words"),
    [
        ("inf2.8xlarge", "Neuron instances are not among EC2's hibernation families"),
        ("trn1.32xlarge", "Neuron instances"),
        ("r8g.16xlarge", "512 GiB of RAM"),
        ("c8g.xlarge", "does not configure hibernation"),
    ],
)
def test_a_hibernated_warm_pool_is_refused(instance_type, words):
    overrides = {"instance_type": instance_type, "min_size": 1, "max_size": 2}
    overrides["warm_pool"] = {"pool_state": "Hibernated", "min_size": 1}
    assert_refused(overrides, "warm_pool.pool_state", words)
    assert_refused(overrides, "warm_pool.pool_state", "use Stopped")
