"""`graviton-llm ami`: the pinned AMI against the latest, and a pin written for review."""

from __future__ import annotations

import json

import pytest
from moto import mock_aws
from typer.testing import CliRunner

from graviton_llm.cli import app
from graviton_llm.project import STACKS_DIR
from graviton_llm.project.ami_pin import write_pin

runner = CliRunner()


def graviton_stack(tmp_path):
    text = (STACKS_DIR / "Pulumi.dev.yaml").read_text()
    text = text.replace("instance_type: inf2.8xlarge", "instance_type: r8g.4xlarge")
    path = tmp_path / "Pulumi.cpu.yaml"
    path.write_text(text)
    return path


@pytest.mark.slow
def test_an_unpinned_stack_shows_the_latest_and_writing_pins_it(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    path = graviton_stack(tmp_path)
    with mock_aws():
        shown = runner.invoke(app, ["ami", "--stack", str(path)])
        assert shown.exit_code == 0, shown.output
        assert "pinned: none: every deploy takes the latest" in shown.output
        assert "latest: ami-" in shown.output and "al2023" in shown.output
        assert "ami_id" not in path.read_text()  # nothing written without --write
        written = runner.invoke(app, ["ami", "--stack", str(path), "--write"])
        assert written.exit_code == 0, written.output
        again = runner.invoke(app, ["ami", "--stack", str(path)])
        assert "the pin is the latest image" in again.output
    pinned = next(line.split()[1] for line in path.read_text().splitlines() if "ami_id:" in line)
    assert "# Development:" in path.read_text()  # comments kept
    plan = json.loads(runner.invoke(app, ["plan", "--stack", str(path), "--json"]).output)
    template = next(r for r in plan["resources"] if r["type"].endswith("LaunchTemplate"))
    assert template["properties"]["imageId"] == pinned


def test_an_existing_pin_is_replaced_in_place(tmp_path):
    path = graviton_stack(tmp_path)
    write_pin(path, "ami-0123456789abcdef0")
    write_pin(path, "ami-0fedcba9876543210")
    text = path.read_text()
    assert text.count("ami_id:") == 1 and "ami-0fedcba9876543210" in text


@pytest.mark.slow
def test_ami_asks_aws_as_the_stacks_profile(tmp_path, monkeypatch):
    # The stack deploys with aws:profile; before, `ami` asked with the machine's default
    # credentials (here moto's) and answered for whatever account those reach.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    path = graviton_stack(tmp_path)
    path.write_text(
        path.read_text().replace("config:\n", "config:\n  aws:profile: deployer-nowhere\n", 1)
    )
    with mock_aws():
        shown = runner.invoke(app, ["ami", "--stack", str(path)])
    assert shown.exit_code == 2, shown.output
    assert "deployer-nowhere" in shown.output
