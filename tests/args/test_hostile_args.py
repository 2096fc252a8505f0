"""Every hand-written bad value (hostile_values.py) is refused, naming its field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from graviton_llm import NeuronServingClusterArgs
from hostile_values import BAD_VALUES
from support import cluster_args, error_messages

# What a field needs around it so that only its own value can be the problem.
CONTEXT: dict[str, dict[str, Any]] = {
    "capacity.": {"capacity": {"availability_zones": ["us-east-1a"]}, "region": "us-east-1"},
    "monitoring.alarm_emails": {"monitoring": {"alarm_topic": True}},
    "spot.": {"capacity_mode": "spot_with_on_demand_base"},
    "warm_pool.": {"warm_pool": {}},
    "api_key_kms_key_arn": {"api_key_ssm_parameter": "/llm/api-key"},
    "scaling.": {"min_size": 1, "max_size": 3, "desired_capacity": 1},
}


def config_with(field: str, value: object) -> dict[str, Any]:
    config = cluster_args()
    for prefix, context in CONTEXT.items():
        if field.startswith(prefix):
            for key, part in copy.deepcopy(context).items():
                config[key] = part
    *path, last = field.split(".")
    target = config
    for key in path:
        target = target.setdefault(key, {})
    target[last] = copy.deepcopy(value)
    return config


@pytest.mark.parametrize(
    ("field", "value"),
    BAD_VALUES,
    ids=[f"{f}={v!r:.30}" for f, v in BAD_VALUES],
)
def test_a_bad_value_is_refused_naming_its_field(field, value):
    with pytest.raises(ValidationError) as refused:
        NeuronServingClusterArgs.model_validate(config_with(field, value))
    named = error_messages(refused.value)
    assert any(path == field or path.startswith(f"{field}.") for path in named), named


def test_each_context_alone_is_a_valid_config():
    """So a refusal above is the bad value's doing, not its surroundings'."""
    for context in CONTEXT.values():
        config = cluster_args()
        config.update(copy.deepcopy(context))
        NeuronServingClusterArgs.model_validate(config)
