"""Every command that runs a team's program runs it in a child process with a time limit
(plan/isolation.py), not only `plan` (issue 22): `ami`, `compile`, `cost`, `reserve` and
`rollout status` on a project whose program builds its clusters itself. A program that loops or
ends its process ends the command with exit code 2 before any AWS call; a well-behaved one
gives the same clusters as a run in this process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pulumi
import pytest
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.plan.project import build_project_plan
from graviton_llm.plan.stack_cluster import cluster_entry, project_clusters

# Every test here runs the CLI, a program or a server end to end.
pytestmark = pytest.mark.slow

runner = CliRunner()
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "team_project"


def looping_project(tmp_path: Path, program: str = "while True:\n    pass\n") -> Path:
    root = tmp_path / "team"
    root.mkdir()
    (root / "Pulumi.yaml").write_text(
        'name: team\nruntime: python\nrequiredPulumiVersion: ">=3.139.0"\n'
    )
    (root / "__main__.py").write_text(program)
    (root / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    return root


COMMANDS = [
    ["cost"],
    ["compile"],
    ["ami"],
    ["reserve"],
    ["rollout", "status"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_program_that_loops_ends_the_command_at_its_time_limit(tmp_path, command):
    root = looping_project(tmp_path)
    result = runner.invoke(
        app, [*command, str(root), "--stack", "dev", "--program-timeout", "2"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "did not finish within 2 s" in result.stdout and "Traceback" not in result.stdout


def test_a_program_that_ends_its_process_fails_cost_instead_of_passing_it(tmp_path):
    root = looping_project(tmp_path, "import os\nos._exit(0)\n")
    result = runner.invoke(app, ["cost", str(root), "--stack", "dev"], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "ended its process (exit status 0" in result.stdout


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("team") / "team_project"
    shutil.copytree(FIXTURE, copy)
    return copy


def test_the_clusters_read_back_from_the_child_are_the_ones_the_program_built(team):
    here = {c._name: c for c in build_project_plan(team, "staging").run.clusters}
    there = project_clusters(team, "staging")
    assert there.names == sorted(here) and len(here) == 2
    for name, cluster in here.items():
        args, entry = there.clusters[name]
        assert entry == cluster_entry(cluster)
        # The same args, an Output (the VPC's id, the secret parameter name) an Output still.
        assert _shape(args) == _shape(cluster.args)
        assert entry["args"]["vpc_id"] == {"__output__": None}


def _shape(args) -> dict:
    return {
        key: "<Output>" if isinstance(value, pulumi.Output) else value
        for key, value in args.model_dump(warnings=False).items()
    }


def test_cost_and_compile_act_on_the_chosen_cluster_of_a_two_cluster_project(team, tmp_path):
    names = project_clusters(team, "staging").names
    for name in names:
        cost = runner.invoke(app, ["cost", str(team), "--stack", "staging", "--cluster", name],
                             env={"COLUMNS": "200"})  # fmt: skip
        assert cost.exit_code == 0, cost.output
    several = runner.invoke(app, ["cost", str(team), "--stack", "staging"])
    assert several.exit_code == 2 and "choose one with --cluster" in several.stdout
