"""Where things live on a node: directories, scripts, systemd units, and their container mounts."""

from __future__ import annotations

import re

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
RELEASE_SCRIPT = f"{APP_DIR}/bin/release-node"
LATENCY_UNIT = "graviton-llm-latency.service"
LATENCY_EXPORTER = f"{APP_DIR}/bin/latency-exporter"
# The ASG's launch lifecycle hook that each node completes once it serves.
LIFECYCLE_HOOK_NAME = "graviton-llm-boot"
RUNNER = f"{APP_DIR}/bin/run-vllm"
# The node's weights and artifact-cache tool (node/model_store.py) and what it reads and writes.
MODEL_STORE = f"{APP_DIR}/bin/model-store"
MODEL_STORE_CONFIG = f"{APP_DIR}/etc/model-store.json"
WEIGHTS_LISTING = f"{APP_DIR}/etc/weights-listing.json"
WEIGHTS_IDENTITY = f"{APP_DIR}/etc/weights-identity.json"
COMPLETE_MARKER = ".graviton-llm-complete"
PUBLISH_UNIT = "graviton-llm-publish.service"
# The AWS CLI's settings on the node (S3 transfer tuning); AWS_CONFIG_FILE names it.
AWS_CLI_CONFIG = f"{APP_DIR}/etc/aws-cli.conf"
FETCH_API_KEY = f"{APP_DIR}/bin/fetch-api-key"
# Region for the AWS CLI: the CLI takes credentials from instance metadata but not the region
# (boto/boto3#375, aws/aws-cli#486), so the boot script resolves it once and writes it here.
AWS_ENV_FILE = f"{APP_DIR}/etc/aws.env"
# The API key lives only on tmpfs (/run), root-only; the container sees it read-only.
API_KEY_FILE = "/run/graviton-llm/api-key"
API_KEY_MOUNT = "/run/secrets/vllm-api-key"


# A secret API key parameter name (an Output) never reaches the user data: the component writes
# it into a SecureString "pointer" parameter whose own name is derived from the deployment, and
# the node reads the key's parameter name from it (node_files.api_key_source).
API_KEY_POINTER_PREFIX = "/graviton-llm"


def api_key_pointer(project: str, stack: str, cluster: str) -> str:
    """/graviton-llm/<project>/<stack>/<cluster>/api-key-parameter, each part reduced to the
    characters SSM parameter names allow (letters, digits, _ . -)."""
    parts = [re.sub(r"[^A-Za-z0-9_.-]", "-", part) or "-" for part in (project, stack, cluster)]
    return "/".join([API_KEY_POINTER_PREFIX, *parts, "api-key-parameter"])
