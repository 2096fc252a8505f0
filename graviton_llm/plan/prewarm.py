"""Pre-warm the artifact cache: the one-off job that compiles a stack's model once, with the
nodes' own image, weights and container command, and publishes it, so that the first node of a
rollout or scale-out already downloads instead of compiling (`graviton-llm compile`)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from ..args import ResolvedClusterArgs
from ..node.serve_command import artifact_cache_location, static_artifact_key
from ..node.user_data import compress_user_data, render_compile_script
from ..program import stack_cluster_args
from ..program.stack_files import stack_config_path, stack_region

# The stack output that names the cluster's launch template (program/main.py).
LAUNCH_TEMPLATE_OUTPUT = "launch_template_id"


@dataclass(frozen=True)
class PrewarmJob:
    stack: str
    region: str
    args: ResolvedClusterArgs
    script: str

    @property
    def user_data(self) -> bytes:
        """What EC2 takes (gzip; cloud-init unpacks it), checked against the 16 KB limit."""
        return compress_user_data(self.script)

    @property
    def cache_prefix(self) -> str:
        location = artifact_cache_location(self.args)
        assert location is not None  # render_compile_script refused a cluster without one
        return f"s3://{location[0]}/{location[1]}"

    @property
    def static_key(self) -> str:
        return static_artifact_key(self.args)

    def command(self, user_data_file: str) -> str:
        """The `aws ec2 run-instances` line: the cluster's own launch template (AMI, node role
        with its cache grant, security group, volume, IMDSv2), this script as user data, one
        of the cluster's subnets, and terminate on shutdown, which the script ends with."""
        template = (
            f'"LaunchTemplateId=$(pulumi stack output {LAUNCH_TEMPLATE_OUTPUT} '
            f'--stack {shlex.quote(self.stack)})"'
        )
        subnets = self.args.subnet_ids
        subnet = subnets[0] if isinstance(subnets, list) and subnets else None
        if not isinstance(subnet, str):
            subnet = "<one of the cluster's subnets>"
        words = [
            ["aws", "ec2", "run-instances", "--region", self.region, "--count", "1"],
            ["--launch-template", template],
            ["--subnet-id", subnet],
            ["--instance-initiated-shutdown-behavior", "terminate"],
            ["--user-data", f"fileb://{user_data_file}"],
            [
                "--tag-specifications",
                "ResourceType=instance,Tags=[{Key=Name,Value=graviton-llm-compile}]",
            ],
        ]
        quoted = [
            " ".join(w if w == template else shlex.quote(w) for w in group) for group in words
        ]
        return " \\\n  ".join(quoted)


def prewarm_job(stack: str) -> PrewarmJob:
    """The stack's pre-warm job; bad input raises the args' ValidationError or a ValueError
    (a stack that compiles nothing, or with the cache off)."""
    args, config = stack_cluster_args(stack)
    region = args.region or stack_region(stack, config)
    name = stack_config_path(stack).stem.removeprefix("Pulumi.")
    return PrewarmJob(stack=name, region=region, args=args, script=render_compile_script(args))
