"""What a program in another language hears when the provider refuses its inputs: one error per
field, named as the schema spells it in the path and in the text, whether the refusal comes at
once or when an Output resolves, and whatever the host would have converted first; and nothing
of a refused component registered, the package's own component included."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from test_construct import CLUSTER, _network, _typescript_inputs

from graviton_llm.package import PackageProvider
from graviton_llm.package.spelling import SchemaSpelling
from graviton_llm.testing import run_program
from graviton_llm.testing.construct import construct

NETWORK = {"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"}


def _refused(extra: Any) -> Any:
    """The cluster built with ``extra`` inputs (a callable of the VPC gives Outputs of it)."""

    async def program() -> Any:
        vpc, subnets = _network()
        given = extra(vpc) if callable(extra) else extra
        inputs = {**_typescript_inputs(vpc, subnets), **given}
        return await construct(PackageProvider(), CLUSTER, "team-llm", inputs)

    return run_program(program, catch=True)


def _errors(result: Any) -> list[tuple[str, str]]:
    assert isinstance(result.error, pulumi.InputPropertiesError), repr(result.error)
    return [(e["property_path"], e["reason"]) for e in result.error.errors or []]


PLAIN = "must be known when the program runs"


@pytest.mark.parametrize(
    "given",
    [
        lambda vpc: {"maxModelLen": vpc.id.apply(lambda _: 8192),
                     "capacityMode": vpc.id.apply(lambda _: "on_demand")},
        lambda vpc: {"maxModelLen": pulumi.Output.secret(8192),
                     "capacityMode": pulumi.Output.secret("on_demand")},
    ],
    ids=["outputs", "secret-outputs"],
)  # fmt: skip
def test_an_integer_or_enum_given_as_an_output_is_refused_by_its_field(given: Any) -> None:
    # The host's own int() and Enum lookup would fail first: a bare TypeError, or an enum
    # error quoting an Output's __str__ warning.
    result = _refused(given)
    errors = _errors(result)
    assert [path for path, _ in errors] == ["maxModelLen", "capacityMode"]
    assert all(PLAIN in reason for _, reason in errors)
    assert "maxModelLen = Output[int]" in str(result.error)
    assert {r.type for r in result.resources} == NETWORK


def test_a_nested_object_given_whole_as_an_output_is_refused_by_its_field() -> None:
    model = {"id": "meta-llama/Llama-3.1-8B-Instruct", "weightsUri": "s3://team-weights/l/"}
    result = _refused(lambda vpc: {"model": vpc.id.apply(lambda _: model)})
    assert [path for path, _ in _errors(result)] == ["model"]


def test_a_value_outside_an_enum_is_refused_in_our_words_with_the_values_as_sent() -> None:
    [(path, reason)] = _errors(_refused({"capacityMode": "ondemand"}))
    assert path == "capacityMode"
    assert reason.endswith("must be one of 'on_demand', 'spot_with_on_demand_base' or 'reserved'")


def test_a_refusal_names_fields_by_the_schema_in_the_path_and_the_text() -> None:
    result = _refused({"minSize": 3, "maxSize": 2, "desiredCapacity": 2})
    assert dict(_errors(result))["minSize"].endswith("is above maxSize (2)")
    text = str(result.error)
    assert "minSize = 3" in text and "min_size" not in text and "max_size" not in text


@pytest.mark.slow
def test_an_output_that_fails_its_check_later_names_fields_by_the_schema_too() -> None:
    result = _refused(lambda vpc: {"subnetIds": vpc.id.apply(lambda _: ["subnet-a", "subnet-b"])})
    assert [path for path, _ in _errors(result)] == ["subnetIds[0]", "subnetIds[1]"]
    assert "subnetIds[0] = 'subnet-a'" in str(result.error)
    assert "subnet_ids" not in str(result.error)


def test_a_python_program_still_reads_its_own_names() -> None:
    from graviton_llm import NeuronServingCluster

    def program() -> None:
        vpc, subnets = _network()
        args = {"vpc_id": vpc.id, "subnet_ids": [s.id for s in subnets],
                "instance_type": "inf2.24xlarge", "min_size": 3, "max_size": 2,
                "desired_capacity": 2,
                "model": {"id": "m/m", "weights_uri": "s3://b/m/"}}  # fmt: skip
        NeuronServingCluster("team-llm", args)

    error = run_program(program, catch=True).error
    assert "min_size = 3" in str(error) and "max_size (2)" in str(error)


def test_the_spelling_leaves_quoted_values_and_map_keys_as_given() -> None:
    spelling = SchemaSpelling(["max_size", "min_size", "weights_uri", "tags"])
    assert spelling.path('tags["max_size"]') == 'tags["max_size"]'
    assert spelling.path("model.weights_uri") == "model.weightsUri"
    assert spelling.text("'max_size' is above max_size") == "'max_size' is above maxSize"


@pytest.mark.parametrize(
    ("token", "name", "inputs", "path"),
    [
        ("graviton-llm:index:StateBackend", "state",
         {"namePrefix": "acme", "keyDeletionWindowDays": 3}, "keyDeletionWindowDays"),
        ("graviton-llm:index:ReservedCapacity", "cap",
         {"instanceType": "inf2.48xlarge", "availabilityZones": ["us-east-1a"],
          "instancesPerZone": 0}, "instancesPerZone"),
    ],
    ids=["state-backend", "reserved-capacity"],
)  # fmt: skip
def test_a_refused_component_registers_nothing_not_even_itself(
    token: str, name: str, inputs: dict[str, Any], path: str
) -> None:
    async def program() -> Any:
        return await construct(PackageProvider(), token, name, inputs)

    result = run_program(program, catch=True)
    assert [p for p, _ in _errors(result)] == [path]
    assert result.resources == []
