"""The one Typer app every command module adds its commands to."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="graviton-llm",
    help="LLM serving clusters on AWS Neuron and Graviton4: plan offline, cost, benchmark.",
    no_args_is_help=True,
    add_completion=False,
)
