"""Every command module adds its commands the same way: a ``register(app)`` that
graviton_llm/cli/__init__.py calls; none adds a command when imported, or imports the app."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import typer

import graviton_llm.cli as cli
from graviton_llm.cli import COMMAND_MODULES, app

PACKAGE = Path(cli.__file__).resolve().parent.parent
NOT_COMMANDS = {"__init__", "__main__", "app", "common"}


def _command_names(typer_app: typer.Typer) -> list[str]:
    commands = [c.name or c.callback.__name__ for c in typer_app.registered_commands if c.callback]
    return commands + [g.name or "" for g in typer_app.registered_groups]


def test_every_module_of_the_cli_is_a_registered_command_module():
    modules = {path.stem for path in (PACKAGE / "cli").glob("*.py")} - NOT_COMMANDS
    registered = {m.__name__ for m in COMMAND_MODULES}
    assert {f"graviton_llm.cli.{m}" for m in modules} | {"graviton_llm.bench.cli"} == registered


def test_each_module_registers_through_register_app_alone():
    fresh = typer.Typer()
    for module in COMMAND_MODULES:
        assert list(inspect.signature(module.register).parameters) == ["app"], module.__name__
        module.register(fresh)
    assert _command_names(fresh) == _command_names(app)


def test_no_command_module_imports_the_app_or_decorates_with_it():
    for module in COMMAND_MODULES:
        tree = ast.parse(Path(module.__file__ or "").read_text())
        imported = [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        ]
        assert "app" not in imported, module.__name__
        decorators = [
            ast.unparse(d)
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
            for d in node.decorator_list
        ]
        assert not [d for d in decorators if d.startswith("app.")], module.__name__
