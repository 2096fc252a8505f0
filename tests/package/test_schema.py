"""The schema Pulumi's component provider host infers for the package (what `pulumi package add`
generates every language's SDK from) has each component, every input of our args models with
its type and description, which are required, and every output; a YAML program that uses the
package is checked against it."""

from __future__ import annotations

import inspect
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypedDict, get_args, get_origin

import pulumi
import pytest
import yaml
from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.util import camel_case
from pydantic import BaseModel

from graviton_llm import NeuronServingCluster as PythonCluster
from graviton_llm.args import NeuronServingClusterArgs, ReservedCapacityArgs, StateBackendArgs
from graviton_llm.package import COMPONENTS, schema
from yaml_program import problems

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "component-package"
MODELS = {
    "NeuronServingCluster": NeuronServingClusterArgs,
    "StateBackend": StateBackendArgs,
    "ReservedCapacity": ReservedCapacityArgs,
}


@pytest.fixture(scope="module")
def package() -> dict[str, Any]:
    return schema()


def _prose(text: str | None) -> str:
    return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", (text or "").strip()))


def _expected_type(annotation: Any) -> dict[str, Any]:
    """The schema type our model's field should have (plain, or an Input's inner type)."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        (annotation,) = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is typing.Annotated or annotation is object:
        return {"type": "string"}  # a str Input
    if get_origin(annotation) is Literal:
        values = get_args(annotation)
        return {"type": "integer"} if isinstance(values[0], int) else {"enum": list(values)}
    if get_origin(annotation) is list:
        return {"type": "array"}
    if get_origin(annotation) is dict:
        return {"type": "object"}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {"$ref": f"#/types/graviton-llm:index:{annotation.__name__}"}
    return {"type": {str: "string", int: "integer", float: "number", bool: "boolean"}[annotation]}


def _check(spec: dict[str, Any], model: type[BaseModel], package: dict[str, Any], path: str):
    properties, required = spec.get("inputProperties", spec.get("properties")), spec
    required = spec.get("requiredInputs", spec.get("required", []))
    assert set(properties) == {camel_case(f) for f in model.model_fields}, path
    assert sorted(required) == sorted(
        camel_case(f) for f, info in model.model_fields.items() if info.is_required()
    ), path
    for field, info in model.model_fields.items():
        prop = properties[camel_case(field)]
        where = f"{path}.{camel_case(field)}"
        assert prop["description"] == _prose(info.description), where
        expected = _expected_type(info.annotation)
        if "enum" in expected:
            enum = package["types"][prop["$ref"].removeprefix("#/types/")]
            assert [m["value"] for m in enum["enum"]] == expected["enum"], where
        elif "$ref" in expected:
            assert prop["$ref"] == expected["$ref"], where
            nested = package["types"][expected["$ref"].removeprefix("#/types/")]
            _check(nested, info.annotation if _is_model(info.annotation) else _inner(info), package,
                   where)  # fmt: skip
        else:
            assert prop["type"] == expected["type"], where
        # A plain default (a string, number or boolean) is the schema's too; no other.
        plain = isinstance(info.default, str | int | float | bool)
        assert prop.get("default", "(none)") == (info.default if plain else "(none)"), where


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _inner(info: Any) -> type[BaseModel]:
    (model,) = [a for a in get_args(info.annotation) if _is_model(a)]
    return typing.cast(type[BaseModel], model)


@pytest.mark.parametrize("component", sorted(MODELS))
def test_every_input_of_our_args_with_its_type_description_and_whether_required(
    package, component
) -> None:
    spec = package["resources"][f"graviton-llm:index:{component}"]
    assert spec["isComponent"] is True
    _check(spec, MODELS[component], package, component)


def test_inputs_that_take_outputs_are_inputs_and_the_rest_plain(package) -> None:
    inputs = package["resources"]["graviton-llm:index:NeuronServingCluster"]["inputProperties"]
    takes_outputs = {name for name, prop in inputs.items() if not prop.get("plain")}
    assert takes_outputs == {
        "vpcId", "subnetIds", "allowedCidrs", "metricsCidrs", "sshCidrs", "weightsKmsKeyArn",
        "amiId", "apiKeySsmParameter", "apiKeyKmsKeyArn",
    }  # fmt: skip
    assert inputs["tags"]["plain"] and not inputs["tags"]["additionalProperties"].get("plain")
    assert not inputs["subnetIds"]["items"].get("plain")


def test_every_output_with_its_type_and_description(package) -> None:
    aws = "/aws/v{}/schema.json#/resources/".format(package["dependencies"][0]["version"])
    outputs = {
        component.__name__: {
            camel_case(name): (hint, _prose(_attribute_doc(component, name)))
            for name, hint in inspect.get_annotations(component).items()
        }
        for component in COMPONENTS
    }
    for name, expected in outputs.items():
        spec = package["resources"][f"graviton-llm:index:{name}"]
        assert set(spec["properties"]) == set(expected) and spec["required"], name
        for key, (hint, doc) in expected.items():
            prop = spec["properties"][key]
            assert prop["description"] == doc, (name, key)
            if isinstance(hint, type) and issubclass(hint, pulumi.Resource):
                assert prop["$ref"].startswith(aws), (name, key)
            else:
                assert prop.get("type") in ("string", "array"), (name, key)
    assert set(outputs["NeuronServingCluster"]) >= {"endpoint", "securityGroup", "loadBalancer"}


def _attribute_doc(cls: type, name: str) -> str:
    source = Path(sys.modules[cls.__module__].__file__ or "").read_text()
    match = re.search(rf"\n    {name}: [^\n]+\n    \"\"\"(.*?)\"\"\"", source, re.S)
    return match.group(1) if match else ""


def test_the_generated_types_are_up_to_date() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from generate_package_types import OUT, render

    assert OUT.read_text() == render(), "run scripts/generate_package_types.py"


def test_the_host_cannot_take_our_python_component_or_literal_choices_directly() -> None:
    """Why the package has its own thin components and generated types: our component's args
    are postponed annotations, unions of a model and its dict form, Literal choices."""
    with pytest.raises(Exception):  # noqa: B017 - the host raises plain Exceptions
        Analyzer("graviton-llm").analyze([PythonCluster])

    # Functional form: this module postpones annotations, the host needs evaluated ones.
    args = TypedDict("Args", {"mode": Literal["a", "b"]})  # noqa: UP013

    def init(self: Any, name: str, args: Any) -> None: ...

    init.__annotations__ = {"name": str, "args": args}
    component = type("Component", (pulumi.ComponentResource,), {"__init__": init})
    with pytest.raises(TypeError):  # issubclass() of a Literal, in the analyzer's enum test
        Analyzer("x").analyze([component])


def _yaml_program() -> dict[str, Any]:
    return yaml.safe_load((FOLDER / "examples" / "yaml" / "Pulumi.yaml").read_text())


def test_the_yaml_example_checks_against_the_schema(package) -> None:
    program = _yaml_program()
    assert problems(program, package) == []
    assert program["packages"] == {"graviton-llm": "../.."}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda p: p.update(maxModelLen="8192"), "llm.maxModelLen: expected integer, got '8192'"),
        (lambda p: p.pop("vpcId"), "llm.vpcId: required"),
        (lambda p: p.update(maxModelLength=8192), "llm.maxModelLength: not an input"),
        (lambda p: p["model"].update(weightUri="s3://x/"), "llm.model.weightUri: not an input"),
        (lambda p: p["model"].pop("weightsUri"), "llm.model.weightsUri: required"),
        (lambda p: p.update(capacityMode="spot"), "llm.capacityMode: 'spot' is not one of"),
        (lambda p: p["scaling"].update(targetValue=True), "llm.scaling.targetValue: expected"),
        (lambda p: p["tags"].update(Cost=5), "llm.tags.Cost: expected string, got 5"),
        (lambda p: p.update(instanceType="${weights.id}"), "llm.instanceType: takes a plain value"),
    ],
)  # fmt: skip
def test_a_yaml_program_that_breaks_the_schema_is_refused(package, change, problem) -> None:
    program = _yaml_program()
    program["resources"]["weights"] = {"type": "aws:s3:Bucket"}
    change(program["resources"]["llm"]["properties"])
    found = problems(program, package)
    assert len(found) == 1 and found[0].startswith(problem), found


def test_a_yaml_program_reads_only_outputs_the_component_has(package) -> None:
    program = _yaml_program()
    program["outputs"]["url"] = "${llm.endpointUrl}"
    assert problems(program, package) == ["${llm.endpointUrl}: llm has no output endpointUrl"]


def test_the_typescript_example_names_only_the_schemas_inputs(package) -> None:
    source = (FOLDER / "examples" / "typescript" / "index.ts").read_text()
    block = source[source.index("new graviton.NeuronServingCluster") :].split("\n});", 1)[0]
    keys = set(re.findall(r"^    (\w+):", block, re.M))
    inputs = package["resources"]["graviton-llm:index:NeuronServingCluster"]["inputProperties"]
    assert keys and keys <= set(inputs)
    assert (
        set(package["resources"]["graviton-llm:index:NeuronServingCluster"]["requiredInputs"])
        <= keys
    )
