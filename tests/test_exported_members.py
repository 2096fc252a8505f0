"""The public surface an IDE and a type checker see (issue 21, item 5): the names the package
exports, the dict form as a TypedDict beside each args model, keyword arguments on the component,
a docstring on every field (where pyright and VS Code read it) and on every component's
`__init__`."""

from __future__ import annotations

import ast
import inspect
import pydoc
import runpy
import typing
from pathlib import Path

import pulumi
import pytest
from pydantic import BaseModel

import graviton_llm
import graviton_llm.args
from graviton_llm import NeuronServingCluster, NeuronServingClusterArgs
from graviton_llm.testing import run_program
from support import BASE_ARGS

PACKAGE = Path(graviton_llm.__file__).parent
ROOT = PACKAGE.parent

EXPORTED = [
    "ArgsError",
    "ArtifactCacheAccess",
    "ArtifactCacheAccessArgs",
    "ArtifactCacheAccessArgsDict",
    "ArtifactCacheArgs",
    "ArtifactCacheArgsDict",
    "FieldProblem",
    "ModelSpec",
    "ModelSpecDict",
    "MonitoringArgs",
    "MonitoringArgsDict",
    "NeuronServingCluster",
    "NeuronServingClusterArgs",
    "NeuronServingClusterArgsDict",
    "ReservedCapacity",
    "ReservedCapacityArgs",
    "ReservedCapacityArgsDict",
    "ResolvedClusterArgs",
    "RolloutArgs",
    "RolloutArgsDict",
    "ScalingArgs",
    "ScalingArgsDict",
    "ServingMonitoring",
    "ServingMonitoringArgs",
    "ServingSecurity",
    "ServingSecurityArgs",
    "ServingSecurityArgsDict",
    "SpotArgs",
    "SpotArgsDict",
    "StateBackend",
    "StateBackendArgs",
    "StateBackendArgsDict",
    "WarmPoolArgs",
    "WarmPoolArgsDict",
    "WeightsBucketAccess",
    "WeightsBucketAccessArgs",
    "WeightsBucketAccessArgsDict",
    "render_user_data",
]


def test_the_public_names_are_pinned():
    assert graviton_llm.__all__ == EXPORTED
    for name in EXPORTED:
        assert getattr(graviton_llm, name) is not None


def _models() -> list[type[BaseModel]]:
    return [
        value
        for name in graviton_llm.__all__
        if isinstance(value := getattr(graviton_llm, name), type)
        and issubclass(value, BaseModel)
        and name + "Dict" in graviton_llm.__all__
    ]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_each_args_model_has_a_typed_dict_with_the_same_keys(model):
    typed_dict = getattr(graviton_llm, model.__name__ + "Dict")
    assert typing.is_typeddict(typed_dict)
    assert set(typed_dict.__annotations__) == set(model.model_fields)
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    assert typed_dict.__required_keys__ == required


def _field_docstrings(cls: type) -> dict[str, str]:
    """Attribute docstrings as pyright reads them: a string right after an annotated name."""
    tree = ast.parse(inspect.getsource(cls))
    (body,) = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    found = {}
    for node, after in zip(body.body, body.body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            found[node.target.id] = after.value.value
    return found


def _lineage(cls: type) -> list[type]:
    """The class and its bases as its source names them (a TypedDict's MRO is dict's)."""
    (node,) = [n for n in ast.parse(inspect.getsource(cls)).body if isinstance(n, ast.ClassDef)]
    namespace = vars(inspect.getmodule(cls))
    bases = [namespace.get(b.id) for b in node.bases if isinstance(b, ast.Name)]
    return [cls] + [k for base in bases if isinstance(base, type) for k in _lineage(base)]


@pytest.mark.slow
@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_every_field_has_an_attribute_docstring_in_the_model_and_its_dict(model):
    for cls in (model, getattr(graviton_llm, model.__name__ + "Dict")):
        own = {
            name
            for klass in _lineage(cls)
            if klass.__module__.startswith("graviton_llm")
            for name in _field_docstrings(klass)
        }
        assert own >= set(model.model_fields), f"{cls.__name__}: no docstring for " + ", ".join(
            sorted(set(model.model_fields) - own)
        )
    for name, field in model.model_fields.items():
        assert field.description, f"{model.__name__}.{name} has no description"


COMPONENTS = [
    graviton_llm.NeuronServingCluster,
    graviton_llm.ServingSecurity,
    graviton_llm.WeightsBucketAccess,
    graviton_llm.ArtifactCacheAccess,
    graviton_llm.ReservedCapacity,
    graviton_llm.StateBackend,
    graviton_llm.ServingMonitoring,
]


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_every_component_documents_its_own_init(component):
    doc = component.__init__.__doc__
    assert doc and doc is not pulumi.ComponentResource.__init__.__doc__
    assert ":param str t:" not in doc and "props" not in doc
    assert "name" in doc and "opts" in doc


def _help(thing: object) -> str:
    return " ".join(pydoc.render_doc(thing, renderer=pydoc.plaintext).replace("|", "").split())


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_help_on_an_args_model_explains_each_field(model):
    shown = _help(model)
    for name, field in model.model_fields.items():
        assert f"{name}: {' '.join((field.description or '').split())}" in shown, name


@pytest.mark.parametrize(
    ("component", "model"),
    [
        (graviton_llm.NeuronServingCluster, graviton_llm.NeuronServingClusterArgs),
        (graviton_llm.ReservedCapacity, graviton_llm.ReservedCapacityArgs),
        (graviton_llm.StateBackend, graviton_llm.StateBackendArgs),
    ],
    ids=lambda c: c.__name__,
)
def test_help_on_a_component_explains_every_argument_it_takes(component, model):
    shown = _help(component)
    for name, field in model.model_fields.items():
        assert f"{name}: {' '.join((field.description or '').split())}" in shown, name
    assert inspect.getdoc(component.__init__).startswith("Declare"), "help() lost its indentation"


@pytest.mark.slow
def test_the_cluster_takes_keyword_arguments():
    result = run_program(lambda: NeuronServingCluster("llm", **BASE_ARGS))
    assert result.one("graviton-llm:cluster:NeuronServingCluster").name == "llm"


def test_args_and_keywords_together_are_refused():
    with pytest.raises(TypeError, match="either args or keyword arguments"):
        NeuronServingCluster("llm", BASE_ARGS, max_num_seqs=8)  # type: ignore[call-overload]


def test_validated_args_are_resolved_and_frozen():
    args = NeuronServingClusterArgs.model_validate(BASE_ARGS).resolved()
    hints = typing.get_type_hints(type(args))
    for field in ("accelerator", "tensor_parallel_size", "max_num_seqs", "image"):
        assert type(None) not in typing.get_args(hints[field]), field
    assert args.tensor_parallel_size == 2 and args.accelerator == "neuron"
    with pytest.raises(Exception, match="frozen"):
        args.max_num_seqs = 4  # type: ignore[misc]


def test_args_package_exports_every_model_it_defines():
    models = {
        name
        for module in (PACKAGE / "args").glob("*.py")
        for name, value in vars(
            __import__(f"graviton_llm.args.{module.stem}", fromlist=["_"])
        ).items()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == f"graviton_llm.args.{module.stem}"
        and not name.startswith("_")
        and name not in ("ArgsModel", "ServingNetwork")
    }
    assert models <= set(graviton_llm.args.__all__)


@pytest.mark.slow
def test_the_generated_typed_dicts_are_up_to_date():
    """Each *_dicts.py is what scripts/generate_args_dicts.py renders from the models now."""
    script = runpy.run_path(str(ROOT / "scripts" / "generate_args_dicts.py"))
    for path, text in script["render"]().items():
        assert path.read_text() == text, f"{path.name} is stale: run the script"


def test_descriptions_quote_the_defaults_the_code_uses():
    """Docstrings cannot be f-strings: the figures they quote are checked here instead."""
    from graviton_llm.args import RolloutArgs
    from graviton_llm.args.cluster_rules import DEFAULT_MAX_SEQS
    from graviton_llm.facts import timing

    fields = NeuronServingClusterArgs.model_fields
    settle = f"{timing.IN_SERVICE_SETTLE_SECONDS} s"
    assert settle in (fields["health_check_grace_seconds"].description or "")
    assert settle in (RolloutArgs.model_fields["instance_warmup_seconds"].description or "")
    assert f"up to {DEFAULT_MAX_SEQS}" in (fields["max_num_seqs"].description or "")
