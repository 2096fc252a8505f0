"""`graviton-llm compile` end to end for the next key: the hold deploys the new key's grant and
launch template without a rollout, the job's writes are ones that grant allows while nodes of
the previous version still read theirs, and releasing the hold starts the rollout. Also the
Capacity Block launch and team projects (`<project>:cluster`)."""

from __future__ import annotations

import copy
import fnmatch
import json
from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws
from typer.testing import CliRunner

from graviton_llm import NeuronServingCluster, NeuronServingClusterArgs
from graviton_llm.cli import app
from graviton_llm.components.refresh_provider import RefreshProvider
from graviton_llm.node.artifact_key import artifact_cache_location
from graviton_llm.plan.compile_job import stack_compile_job
from graviton_llm.project import STACKS_DIR
from graviton_llm.scaffold import create_project
from graviton_llm.testing import run_program
from graviton_llm.testing.aws_stubs import aws_stubs
from graviton_llm.testing.engine import DynamicProviderHost

runner = CliRunner()
DIGEST = "d" * 16  # the weights' digest a node adds at boot


def dev_cluster() -> dict:
    return yaml.safe_load((STACKS_DIR / "Pulumi.dev.yaml").read_text())["config"][
        "graviton-llm:cluster"
    ]


def deployed(cluster: dict):
    result = run_program(lambda: NeuronServingCluster("llm", cluster))
    policy = json.loads(result.named("llm-artifacts-rw").inputs["policy"])
    (rollout,) = [r for r in result.resources if r.name == "llm-rollout"]
    inputs = {k: v for k, v in rollout.inputs.items() if k != "__provider"}
    return policy, inputs


def allowed(policy: dict, action: str, arn: str, context: dict | None = None) -> bool:
    """Allow statements only; a condition the request does not meet denies, as in IAM."""
    context = context or {}
    for statement in policy["Statement"]:
        actions = statement["Action"]
        if action not in ([actions] if isinstance(actions, str) else actions):
            continue
        if not fnmatch.fnmatchcase(arn, statement["Resource"]):
            continue
        conditions = statement.get("Condition", {}).get("StringEquals", {})
        if all(context.get(k) == v for k, v in conditions.items()):
            return True
    return False


@pytest.mark.slow
def test_the_next_key_is_granted_and_pre_warmed_before_anything_rolls_out():
    old = dev_cluster()
    new = copy.deepcopy(old)
    new["max_num_seqs"] = 4  # a new shape: a new artifact key
    new["rollout"] = {**new.get("rollout", {}), "hold": True}
    old_args, new_args = (NeuronServingClusterArgs.model_validate(c) for c in (old, new))
    (bucket, old_key), (_, new_key) = map(artifact_cache_location, (old_args, new_args))
    assert old_key != new_key

    old_policy, old_inputs = deployed(old)
    held_policy, held_inputs = deployed(new)
    entry = f"arn:aws:s3:::{bucket}/{new_key}{DIGEST}/"
    create = {"s3:if-none-match": "*"}
    # The job runs as the node role: the grant deployed before the hold refused its writes.
    assert not allowed(old_policy, "s3:PutObject", entry + "manifest.json", create)
    # With the hold deployed, it may publish the next key...
    assert allowed(held_policy, "s3:PutObject", entry + "manifest.json", create)
    assert allowed(held_policy, "s3:PutObject", entry + "blobs/" + "0" * 64)
    # ...while nodes the group still launches on the old version read their own key.
    assert allowed(held_policy, "s3:GetObject", f"arn:aws:s3:::{bucket}/{old_key}{DIGEST}/x")

    # Under the engine the held up makes launch template version 2 (the mocks keep 1).
    desired = held_inputs["request"]["DesiredConfiguration"]["LaunchTemplate"]
    desired["Version"] = "2"
    host = DynamicProviderHost(RefreshProvider(), config={"aws:region": "us-east-1"})
    created = host.create(old_inputs)
    with aws_stubs() as aws:
        # Held: the new version is not rolled out, and AWS is not even asked.
        assert not host.diff(created.id, created, held_inputs).changes
        released = {**held_inputs, "hold": False}
        aws.add("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": []})
        assert host.diff(created.id, created, released).changes  # the next up rolls it out


def test_compile_tells_the_hold_flow(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the job's user data is written to the working directory
    result = runner.invoke(app, ["compile", "--stack", "dev"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "set rollout.hold: true" in result.output
    assert "set rollout.hold back to false and `pulumi up`" in result.output


def block_stack(tmp_path: Path) -> Path:
    config = yaml.safe_load((STACKS_DIR / "Pulumi.dev.yaml").read_text())
    cluster = config["config"]["graviton-llm:cluster"]
    cluster["instance_type"] = "trn1.32xlarge"
    cluster["capacity"] = {"capacity_block_id": "cr-0123456789abcdef0"}
    cluster["capacity_mode"] = "reserved"
    path = tmp_path / "Pulumi.block.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.slow
def test_a_capacity_block_job_launches_into_the_block_in_its_zone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = block_stack(tmp_path)
    result = runner.invoke(app, ["compile", "--stack", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "describe-capacity-reservations" in out and "cr-0123456789abcdef0" in out
    assert (
        "--capacity-reservation-specification "
        "'CapacityReservationTarget={CapacityReservationId=cr-0123456789abcdef0}'" in out
    )
    assert '--subnet-id "$SUBNET"' in out and '--placement "AvailabilityZone=$ZONE"' in out
    # The same request, held against EC2's model by botocore.
    job = stack_compile_job(str(path))
    request = job.run_instances_request("lt-0123456789abcdef0", "subnet-0d00000000000000a", "x")
    with aws_stubs() as aws:
        aws.add("ec2", "run_instances", {"Instances": []}, request)
        boto3.client("ec2", region_name=job.region).run_instances(**request)


def team(tmp_path: Path) -> Path:
    project = tmp_path / "search"
    create_project(project, name="search")
    return project


def test_compile_and_cost_read_a_team_projects_cluster(tmp_path, monkeypatch):
    project = team(tmp_path)
    monkeypatch.chdir(tmp_path)
    compiled = runner.invoke(app, ["compile", str(project), "--stack", "prod"])
    assert compiled.exit_code == 0, compiled.output  # exit 2 before: no graviton-llm:cluster
    assert f"--cwd {project}" in compiled.output
    costed = runner.invoke(app, ["cost", str(project), "--stack", "prod"])
    assert costed.exit_code == 0, costed.output
    monkeypatch.chdir(project)  # inside the project, it is the default
    assert runner.invoke(app, ["cost", "--stack", "dev"]).exit_code == 0


@pytest.mark.slow
def test_ami_write_pins_a_team_projects_stack(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    project = team(tmp_path)
    stack = project / "Pulumi.dev.yaml"  # moto knows the Graviton image's parameter
    stack.write_text(stack.read_text().replace("inf2.8xlarge", "r8g.4xlarge"))
    with mock_aws():
        written = runner.invoke(app, ["ami", str(project), "--stack", "dev", "--write"])
    assert written.exit_code == 0, written.output
    text = (project / "Pulumi.dev.yaml").read_text()
    assert "ami_id: ami-" in text
    pinned = yaml.safe_load(text)["config"]["search:cluster"]["ami_id"]
    plan = json.loads(runner.invoke(app, ["plan", str(project), "--stack", "dev", "--json"]).output)
    template = next(r for r in plan["resources"] if r["type"].endswith("LaunchTemplate"))
    assert template["properties"]["imageId"] == pinned


@pytest.mark.slow
def test_a_program_built_cluster_is_chosen_by_name_and_found_by_its_tag(tmp_path, monkeypatch):
    # A hand-written project: two clusters from its own config keys, in a VPC it creates
    # (Outputs), a secret API key parameter. Before: exit 2, no `<project>:cluster`.
    import shutil

    project = tmp_path / "team"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "team_project", project)
    monkeypatch.chdir(tmp_path)
    both = runner.invoke(app, ["compile", str(project), "--stack", "staging"])
    assert both.exit_code == 2 and "choose one with --cluster" in both.output
    args = ["compile", str(project), "--stack", "staging", "--cluster", "search-chat"]
    chosen = runner.invoke(app, args, env={"COLUMNS": "300"})
    assert chosen.exit_code == 0, chosen.output
    assert "Name=tag:graviton-llm:component,Values=search-chat" in chosen.output
    costed = runner.invoke(app, ["cost", str(project), "--stack", "staging", "--cluster", "x"])
    assert costed.exit_code == 2 and "declares search-chat, search-summarize" in costed.output


def test_the_printed_commands_run_as_the_stacks_aws_settings(tmp_path, monkeypatch):
    # Before: plain `aws ...` lines, which reach whatever account the machine's default
    # credentials do, not the one the stack deploys to.
    monkeypatch.chdir(tmp_path)
    document = yaml.safe_load((STACKS_DIR / "Pulumi.dev.yaml").read_text())
    document["config"]["aws:profile"] = "team-deployer"
    document["config"]["aws:assumeRoles"] = [{"roleArn": "arn:aws:iam::210987654321:role/ci"}]
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document))
    result = runner.invoke(app, ["compile", "--stack", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "aws ec2 run-instances --region us-east-1 --profile team-deployer" in result.output
    assert "--recursive --profile team-deployer" in result.output
    assert "as the role the stack assumes (arn:aws:iam::210987654321:role/ci)" in result.output


@pytest.mark.slow
def test_a_program_built_clusters_template_is_found_by_its_stacks_tags(tmp_path, monkeypatch):
    # The cluster's name alone also matches another stack's (or project's) cluster.
    import shutil

    project = tmp_path / "team"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "team_project", project)
    monkeypatch.chdir(tmp_path)
    args = ["compile", str(project), "--stack", "staging", "--cluster", "search-chat"]
    chosen = runner.invoke(app, args, env={"COLUMNS": "300"})
    assert chosen.exit_code == 0, chosen.output
    for tag in ("graviton-llm:project,Values=team-search", "graviton-llm:stack,Values=staging"):
        assert f"Name=tag:{tag}" in chosen.output
