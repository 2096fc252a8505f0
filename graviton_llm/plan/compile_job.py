"""Pre-warm the artifact cache: the one-off job that compiles a stack's model once, with the
nodes' own image, weights and container command, and publishes it, so that the first node of a
rollout or scale-out already downloads instead of compiling (`graviton-llm compile`).

The job runs as the node role, which may publish only under the key its stack deploys: so the
new key's grant is deployed first with the rollout held (`rollout.hold: true`, one `pulumi up`
that changes the launch template and the grant but rolls nothing out), the job runs, and a
second `pulumi up` without the hold starts the rollout that then finds the cache warm.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..args import ResolvedClusterArgs
from ..components.aws_session import assume_roles
from ..components.parts.tagging import COMPONENT_TAG, PROJECT_TAG, STACK_TAG
from ..node.agent_location import agent_location
from ..node.artifact_key import artifact_cache_location, static_artifact_key
from ..node.user_data import render_compile_script
from ..project.cluster_stacks import ClusterStack
from .limits import DEFAULT_TIMEOUT_S
from .stack_cluster import stack_cluster

# The stack output that names the cluster's launch template (project/main.py, the scaffold).
LAUNCH_TEMPLATE_OUTPUT = "launch_template_id"
JOB_NAME = "graviton-llm-compile"


@dataclass(frozen=True)
class CompileJob:
    stack: str
    region: str
    args: ResolvedClusterArgs
    script: str
    project_dir: Path | None = None
    # A cluster a team's program built its own way: its launch template is found by its tags
    # (the cluster's name and the stack's, components/parts/tagging.py), not by a stack output.
    cluster_name: str | None = None
    project: str = ""
    # The stack's AWS settings (aws:profile, aws:assumeRoles): what the printed AWS CLI
    # commands must run as, to reach the account the stack deploys to.
    aws_profile: str | None = None
    assumed_roles: tuple[str, ...] = ()

    @property
    def user_data(self) -> bytes:
        """What EC2 takes: the script as it is (the renderer refused it over EC2's 16 KB)."""
        return self.script.encode()

    @property
    def cache_prefix(self) -> str:
        location = artifact_cache_location(self.args)
        assert location is not None  # render_compile_script refused a cluster without one
        return f"s3://{location[0]}/{location[1]}"

    @property
    def static_key(self) -> str:
        return static_artifact_key(self.args)

    @property
    def capacity_block_id(self) -> str | None:
        capacity = self.args.capacity
        return None if capacity is None else capacity.capacity_block_id

    def run_instances_request(
        self, launch_template_id: str, subnet_id: str, user_data: str
    ) -> dict[str, Any]:
        """The RunInstances request the printed command sends (botocore names), so tests hold
        it against the EC2 model: the cluster's launch template (role, AMI, volume, IMDSv2),
        this script, one of its subnets, terminate on shutdown; a Capacity Block stack
        launches into its block, which EC2 requires to be named (the template's
        capacity-block market type alone does not target it)."""
        request: dict[str, Any] = {
            "MinCount": 1,
            "MaxCount": 1,
            "LaunchTemplate": {"LaunchTemplateId": launch_template_id},
            "SubnetId": subnet_id,
            "InstanceInitiatedShutdownBehavior": "terminate",
            "UserData": user_data,
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": JOB_NAME}]}
            ],
        }
        if isinstance(self.args.ami_id, str):  # the pinned image of this config, not the old one
            request["ImageId"] = self.args.ami_id
        if self.capacity_block_id is not None:
            request["CapacityReservationSpecification"] = {
                "CapacityReservationTarget": {"CapacityReservationId": self.capacity_block_id}
            }
        return request

    def _subnets(self) -> list[str]:
        subnets = self.args.subnet_ids
        return [s for s in subnets if isinstance(s, str)] if isinstance(subnets, list) else []

    def command(self, user_data_file: str) -> str:
        """The shell lines that run the job once. A Capacity Block's instances must launch in
        the block's zone: the lines look the zone up and pick the cluster's subnet there."""
        stack = f"--stack {shlex.quote(self.stack)}"
        if self.project_dir is not None:
            stack += f" --cwd {shlex.quote(str(self.project_dir))}"
        region = shlex.quote(self.region) + self.profile_option
        template = f'"LaunchTemplateId=$(pulumi stack output {LAUNCH_TEMPLATE_OUTPUT} {stack})"'
        if self.cluster_name is not None:
            tags = {COMPONENT_TAG: self.cluster_name, PROJECT_TAG: self.project,
                    STACK_TAG: self.stack}  # fmt: skip
            filters = " ".join(shlex.quote(f"Name=tag:{k},Values={v}") for k, v in tags.items())
            template = (
                f'"LaunchTemplateId=$(aws ec2 describe-launch-templates --region {region} '
                f"--filters {filters} --query 'LaunchTemplates[0].LaunchTemplateId' "
                '--output text)"'
            )
        subnets = self._subnets()
        lines: list[str] = []
        subnet = shlex.quote(subnets[0]) if subnets else "<one of the cluster's subnets>"
        block = self.capacity_block_id
        if block is not None:
            lines.append(
                f"ZONE=$(aws ec2 describe-capacity-reservations --region {region} "
                f"--capacity-reservation-ids {shlex.quote(block)} "
                "--query 'CapacityReservations[0].AvailabilityZone' --output text)"
            )
            lines.append(
                f"SUBNET=$(aws ec2 describe-subnets --region {region} --subnet-ids "
                f"{' '.join(map(shlex.quote, subnets))} "
                '--filters "Name=availability-zone,Values=$ZONE" '
                "--query 'Subnets[0].SubnetId' --output text)"
            )
            subnet = '"$SUBNET"'
        words = [
            f"aws ec2 run-instances --region {region} --count 1",
            f"--launch-template {template}",
            f"--subnet-id {subnet}",
            "--instance-initiated-shutdown-behavior terminate",
            f"--user-data {shlex.quote('fileb://' + user_data_file)}",
            "--tag-specifications "
            + shlex.quote(f"ResourceType=instance,Tags=[{{Key=Name,Value={JOB_NAME}}}]"),
        ]
        if isinstance(self.args.ami_id, str):
            words.append(f"--image-id {shlex.quote(self.args.ami_id)}")
        if block is not None:
            target = f"CapacityReservationTarget={{CapacityReservationId={block}}}"
            words.append(f"--capacity-reservation-specification {shlex.quote(target)}")
            words.append('--placement "AvailabilityZone=$ZONE"')
        lines.append(" \\\n  ".join(words))
        return "\n".join(lines)

    @property
    def profile_option(self) -> str:
        """What every printed AWS CLI command adds to run as the stack's aws:profile."""
        return f" --profile {shlex.quote(self.aws_profile)}" if self.aws_profile else ""

    @property
    def held(self) -> bool:
        return self.args.rollout.hold


def stack_compile_job(
    stack: str,
    project_dir: Path | None = None,
    cluster: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> CompileJob:
    """The stack's pre-warm job; bad input raises the args' ValidationError or a ValueError
    (a stack that compiles nothing, or with the cache off, or a team's program that fails or
    outlasts ``timeout`` seconds in its child process)."""
    found: ClusterStack = stack_cluster(stack, project_dir, cluster, timeout=timeout)
    if found.args.artifact_cache_root is None:
        raise ValueError(
            _nothing_to_compile(found.args, found.cluster_name or found.shipped_cluster_name)
        )
    profile = found.config.get("aws:profile")
    roles = assume_roles(found.config.get("aws:assumeRoles") or found.config.get("aws:assumeRole"))
    return CompileJob(
        stack=found.stack,
        region=found.region,
        args=found.args,
        # The agent where the stack publishes it, fetched in the stack's region.
        script=render_compile_script(
            found.args,
            api_key_pointer=found.api_key_pointer,
            agent=agent_location(found.args, found.region),
        ),
        project_dir=found.project_dir,
        cluster_name=found.cluster_name,
        project=found.project,
        aws_profile=profile if isinstance(profile, str) and profile else None,
        assumed_roles=tuple(role["role_arn"] for role in roles),
    )


def _nothing_to_compile(args: ResolvedClusterArgs, cluster: str) -> str:
    """Why ``cluster`` has nothing a pre-warm job could compile."""
    if args.spec.accelerator != "neuron":
        why = (
            f"{args.instance_type} serves on vLLM's CPU backend, which compiles nothing (its "
            "nodes load the weights and serve); pre-warm a Neuron cluster"
        )
    else:
        why = (
            "its artifact cache is off (artifact_cache.enabled: false), so nothing compiled "
            "would be kept; enable it to pre-warm"
        )
    return f"nothing to pre-warm for cluster {cluster!r}: {why}"
