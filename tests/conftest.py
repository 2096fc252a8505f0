import os
from typing import Any

import typer.main
import typer.testing
from hypothesis import HealthCheck, settings

from support import inf2_cluster  # noqa: F401  (fixture shared by the test modules)

# Property-based tests: derandomized (the same examples on every run, so a failure reproduces)
# and bounded, so the suite stays fast on two cores. HYPOTHESIS_PROFILE=deep explores further.
settings.register_profile(
    "bounded",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("deep", parent=settings.get_profile("bounded"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "bounded"))


# CliRunner().invoke(app) builds the click command from the Typer app on every call (a tenth of
# a second for our CLI: a sixth of the fast core's time). The built command is reusable, as in
# any click program; rebuilt whenever a command or group has been added since.
_commands: dict[tuple[Any, ...], Any] = {}


def _shape(app: typer.Typer) -> tuple[Any, ...]:
    groups = tuple(_shape(g.typer_instance) for g in app.registered_groups if g.typer_instance)
    return (id(app), len(app.registered_commands), id(app.registered_callback), groups)


def _command_once(app: typer.Typer) -> Any:
    key = _shape(app)
    if key not in _commands:
        _commands[key] = typer.main.get_command(app)
    return _commands[key]


typer.testing._get_command = _command_once  # type: ignore[attr-defined]
