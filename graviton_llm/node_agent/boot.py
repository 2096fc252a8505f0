"""The boot job (the user data hands over to it): the node's region, accelerator and group, its
files, weights, image and units, vLLM until it serves, then monitoring, release and publish. A
failed step stops the job: its heartbeats stop, the launch hook is never completed, and the group
abandons and replaces the node after the hook's timeout (time enough to look at it with SSM)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from typing import Any

from .cloudwatch import prometheus_scrape_config
from .imds import GROUP_NAME, GROUP_TAG, INSTANCE_ID, Imds
from .install import check_accelerator, install_node, setup_region, start_unit, wait_ready
from .model_store_weights import on_node
from .paths import (
    CLOUDWATCH_AGENT_CONFIG_PATH,
    LATENCY_UNIT,
    LIFECYCLE_HOOK_NAME,
    METRICS_UNIT,
    PROMETHEUS_CONFIG_PATH,
    PUBLISH_UNIT,
    RELEASE_UNIT,
    VLLM_UNIT,
)
from .steps import Job, retry, run, say

CLOUDWATCH_CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"


def discover_group(job: Job) -> tuple[str, str]:
    """(instance id, Auto Scaling group name) from instance metadata: the launch template
    exposes instance tags, among them the group's name."""
    job.step("discover-group")
    try:
        metadata = Imds()
    except OSError:
        raise job.fail("instance metadata (IMDSv2) unreachable") from None
    try:
        instance = metadata.get("instance-id")
    except OSError:
        raise job.fail("no instance id in instance metadata") from None
    try:
        group = metadata.get(GROUP_TAG)
    except OSError:
        raise job.fail(
            "no aws:autoscaling:groupName tag in instance metadata: is instance_metadata_tags "
            "enabled?"
        ) from None
    if not INSTANCE_ID.fullmatch(instance):
        raise job.fail(f"unexpected instance id '{instance}' in instance metadata")
    if not GROUP_NAME.fullmatch(group):
        raise job.fail(
            f"unexpected Auto Scaling group name '{group}' in instance metadata (allowed: "
            "letters, digits, . _ -)"
        )
    return instance, group


class Heartbeats:
    """Keeps the launch hook open through download and compile: one heartbeat every few
    minutes until the job ends. If the job fails they stop, and the hook times out."""

    def __init__(self, config: dict[str, Any], group: str, instance: str) -> None:
        every = os.environ.get("GRAVITON_LLM_HEARTBEAT_SECONDS")
        self.every = float(every) if every else float(config["heartbeat_seconds"])
        self.argv = [
            "aws", "autoscaling", "record-lifecycle-action-heartbeat", "--lifecycle-hook-name",
            LIFECYCLE_HOOK_NAME, "--auto-scaling-group-name", group, "--instance-id", instance,
        ]  # fmt: skip
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)
        self.thread.start()

    def _beat(self) -> None:
        while not self.stopped.wait(self.every):
            subprocess.run(self.argv, capture_output=True, check=False)

    def stop(self) -> None:
        self.stopped.set()


def setup_monitoring(config: dict[str, Any], group: str) -> bool:
    """The CloudWatch agent, scraping with the group's name as a dimension, and the latency
    exporter. False (and why, logged) when it does not run."""
    neuron, latency_port = config["artifacts"] is not None, config["monitoring"]["latency_port"]
    scrape = prometheus_scrape_config(
        config["port"], config["metrics_port"], latency_port, neuron, group
    )
    path = on_node(PROMETHEUS_CONFIG_PATH)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write(scrape)
    if run(["systemctl", "enable", "--now", LATENCY_UNIT]) != 0:
        say(f"cannot start {LATENCY_UNIT}")
        return False
    ctl = on_node(CLOUDWATCH_CTL)
    installed = os.access(ctl, os.X_OK) or shutil.which("amazon-cloudwatch-agent-ctl")
    if not installed and retry(["dnf", "install", "-y", "amazon-cloudwatch-agent"]).returncode:
        say("could not install the CloudWatch agent")
        return False
    program = ctl if os.access(ctl, os.X_OK) else "amazon-cloudwatch-agent-ctl"
    source = f"file:{CLOUDWATCH_AGENT_CONFIG_PATH}"
    if run([program, "-a", "fetch-config", "-m", "ec2", "-s", "-c", source]) != 0:
        say("the CloudWatch agent refused its configuration")
        return False
    return True


def operate(job: Job, config: dict[str, Any], group: str) -> None:
    """Once the node serves. Monitoring never keeps a serving node out of service: a failure
    is logged loudly and shows in the cluster's metrics-missing alarm."""
    if config["monitoring"] is not None:
        job.step("cloudwatch-agent")
        if not setup_monitoring(config, group):
            say(
                "WARNING: monitoring does not run on this node (see above); it serves without "
                "metrics and the cluster's metrics-missing alarm will fire"
            )
    job.step("release-node")
    # A oneshot unit, so a node that comes back from the warm pool (user data does not run
    # again) also completes its launch lifecycle hook once vLLM serves.
    start_unit(job, RELEASE_UNIT)
    if config["artifacts"] is not None:
        job.step("publish-artifacts")
        # A set this node compiled goes to the cache, for the next nodes. A failure only warns
        # (the node serves all the same), and the unit tries again at the next boot.
        if run(["systemctl", "enable", "--now", PUBLISH_UNIT]) != 0:
            say(f"WARNING: compiled artifacts not published; see: journalctl -u {PUBLISH_UNIT}")
    job.step("done")
    print(f"graviton-llm: node released to group {group}", flush=True)


def boot(job: Job, config: dict[str, Any]) -> None:
    setup_region(job, config)
    check_accelerator(job, config["neuron_chips"])
    instance, group = discover_group(job)
    heartbeats = Heartbeats(config, group, instance)
    try:
        install_node(job, config)
        job.step("start-services")
        start_unit(job, METRICS_UNIT)
        # Its ExecStartPre readies the compiled artifacts first: this node's, or the cache's.
        start_unit(job, VLLM_UNIT)
        job.step("wait-ready")
        wait_ready(job, config)
        job.step("ready")
        print(f"graviton-llm: serving {config['model']['id']} on port {config['port']}")
        operate(job, config, group)
    finally:
        heartbeats.stop()
