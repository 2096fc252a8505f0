"""Where things live on a node: directories, the agent, its config, systemd units, and the
container's mounts. Shared by the agent and the renderer (graviton_llm.node imports them)."""

from __future__ import annotations

# Paths on the node. The container sees the model read-only at MODEL_MOUNT.
APP_DIR = "/opt/graviton-llm"
MODEL_DIR = f"{APP_DIR}/model"
# Compiled Neuron artifacts, one directory per artifact key; ACTIVE_ARTIFACTS is a symlink in it
# to this node's key, which the container sees at ARTIFACTS_MOUNT/ACTIVE_ARTIFACTS.
ARTIFACTS_DIR = f"{APP_DIR}/compiled"
ACTIVE_ARTIFACTS = "active"
MODEL_MOUNT = "/models/model"
ARTIFACTS_MOUNT = "/compiled"
CONTAINER_NAME = "graviton-llm-vllm"
VLLM_UNIT = "graviton-llm-vllm.service"
METRICS_UNIT = "graviton-llm-metrics.service"
RELEASE_UNIT = "graviton-llm-release.service"
LATENCY_UNIT = "graviton-llm-latency.service"
PUBLISH_UNIT = "graviton-llm-publish.service"
UNIT_DIR = "/etc/systemd/system"
# The node agent: the bootstrap installs the archive it verified here (an executable zip
# application), and every unit runs its commands from it.
AGENT = f"{APP_DIR}/bin/graviton-llm-agent"
# The node's settings: the user data's JSON document, written here by the bootstrap.
NODE_CONFIG = f"{APP_DIR}/etc/node.json"
# The ASG's launch lifecycle hook that each node completes once it serves.
LIFECYCLE_HOOK_NAME = "graviton-llm-boot"
RUNNER = f"{APP_DIR}/bin/run-vllm"
# What model-store reads and writes.
WEIGHTS_LISTING = f"{APP_DIR}/etc/weights-listing.json"
WEIGHTS_IDENTITY = f"{APP_DIR}/etc/weights-identity.json"
COMPLETE_MARKER = ".graviton-llm-complete"
# The AWS CLI's settings on the node (S3 transfer tuning); AWS_CONFIG_FILE names it.
AWS_CLI_CONFIG = f"{APP_DIR}/etc/aws-cli.conf"
# Region for the AWS CLI: the CLI takes credentials from instance metadata but not the region
# (boto/boto3#375, aws/aws-cli#486), so the agent resolves it once and writes it here.
AWS_ENV_FILE = f"{APP_DIR}/etc/aws.env"
# The API key lives only on tmpfs (/run), root-only; the container sees it read-only.
API_KEY_FILE = "/run/graviton-llm/api-key"
API_KEY_MOUNT = "/run/secrets/vllm-api-key"
BOOT_LOG = "/var/log/graviton-llm-boot.log"
# The CloudWatch agent package keeps its configuration here (CloudWatch agent user guide).
CLOUDWATCH_DIR = "/opt/aws/amazon-cloudwatch-agent/etc"
PROMETHEUS_CONFIG_PATH = f"{CLOUDWATCH_DIR}/prometheus.yaml"
CLOUDWATCH_AGENT_CONFIG_PATH = f"{CLOUDWATCH_DIR}/graviton-llm.json"
