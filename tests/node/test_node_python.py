"""The node's Python tools as the user data carries them: the package's modules without
docstrings, comments and signature annotations, and otherwise the same program."""

from __future__ import annotations

import ast

import pytest

from graviton_llm.node.node_files import latency_exporter_script, model_store_script, node_python


def _without_annotations(source: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.returns = None
            arguments = node.args
            for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
                argument.annotation = None
            for argument in (arguments.vararg, arguments.kwarg):
                if argument is not None:
                    argument.annotation = None
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
        if docstring and isinstance(first.value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


@pytest.mark.parametrize("script", [model_store_script, latency_exporter_script])
def test_the_rendered_tool_is_the_same_program_without_annotations(script):
    rendered = ast.parse(script())
    assert not any(
        isinstance(node, ast.FunctionDef)
        and (node.returns or any(a.annotation for a in node.args.args))
        for node in ast.walk(rendered)
    )
    modules = {
        model_store_script: ("model_store_weights.py", "model_store.py"),
        latency_exporter_script: ("latency_exporter.py",),
    }[script]
    assert script() == node_python(*modules)


def test_annotations_go_and_defaults_lambdas_and_bodies_stay(tmp_path, monkeypatch):
    from graviton_llm.node import node_files

    source = (
        "from __future__ import annotations\n\n\n"
        "def f(\n    a: dict[str, int],\n    b: int | None = None,\n    *c: str,\n"
        "    d=lambda x: x[1:2],\n    **e: object,\n) -> tuple[int, str]:\n"
        '    """Doc."""\n    g: list[int] = [n for n in a.values() if n > 0]  # kept: a statement\n'
        "    return (len(g), d('abc'), b)\n"
    )
    stripped = node_files._without_docs(source)
    assert _without_annotations(stripped) == _without_annotations(source)
    assert "a: dict" not in stripped and "->" not in stripped and "**e:" not in stripped
    namespace: dict = {}
    exec(compile(stripped, "f", "exec"), namespace)
    assert namespace["f"]({"x": 1, "y": -1}, 7) == (1, "b", 7)


@pytest.mark.parametrize("script", [model_store_script, latency_exporter_script])
def test_no_annotation_is_left_where_python_would_evaluate_it(script):
    """The rendered tools drop `from __future__ import annotations` (bytes of user data): an
    annotation at module or class level would then be evaluated on the node's Python 3.9, where
    `X | None` fails. Only annotations inside function bodies, never evaluated, may remain."""
    tree = ast.parse(script())
    assert "from __future__" not in script()
    scopes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef))]
    for scope in scopes:
        assert not [n for n in scope.body if isinstance(n, ast.AnnAssign)], ast.dump(scope)[:200]
