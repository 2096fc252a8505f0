"""What every job of a node does before its own work (boot, compile): the region, the
accelerator check, Docker, the node's files, S3 tuning, the weights, the image and the systemd
units, each its own step; and the readiness gate both wait on."""

from __future__ import annotations

import contextlib
import glob
import io
import json
import os
import shutil
import subprocess
import time
import urllib.request
from typing import Any

from . import model_store_weights
from .imds import REGION, Imds
from .model_store_weights import on_node
from .node_files import model_store_settings, node_files
from .paths import (
    API_KEY_FILE,
    ARTIFACTS_DIR,
    AWS_CLI_CONFIG,
    AWS_ENV_FILE,
    COMPLETE_MARKER,
    MODEL_DIR,
    VLLM_UNIT,
    WEIGHTS_LISTING,
)
from .steps import Job, retry, run, settings


def install_file(path: str, mode: int, text: str) -> None:
    target = on_node(path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w") as out:
        out.write(text)
    os.chmod(target, mode)


def setup_region(job: Job, config: dict[str, Any]) -> str:
    """The region for the AWS CLI (it reads credentials from instance metadata but never the
    region), written where every unit reads it; the CLI's S3 settings go with it."""
    job.step("region")
    environ = os.environ
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or config["region"]
    if not region:
        _, _, attempts = settings()
        try:
            region = Imds(attempts).get("placement/region")
        except OSError:
            raise job.fail("cannot read the region from instance metadata (IMDSv2)") from None
    # It lands in a systemd EnvironmentFile: nothing but a region name may get there.
    if not REGION.fullmatch(region):
        raise job.fail(f"'{region}' is not an AWS region name")
    environ["AWS_DEFAULT_REGION"] = region
    environ["AWS_CONFIG_FILE"] = on_node(AWS_CLI_CONFIG)
    install_file(
        AWS_ENV_FILE,
        0o644,
        f"AWS_DEFAULT_REGION={region}\nAWS_CONFIG_FILE={environ['AWS_CONFIG_FILE']}\n",
    )
    return region


def check_accelerator(job: Job, chips: int) -> None:
    """Before minutes of downloads: a node without its accelerator (wrong AMI, no driver)
    cannot serve. Each chip is one /dev/neuron<i> (the devices the container is given)."""
    job.step("check-accelerator")
    if chips == 0:
        return  # vLLM's CPU backend needs no device
    os.environ["PATH"] += ":/opt/aws/neuron/bin"
    listed = subprocess.run(["neuron-ls"], stdout=subprocess.DEVNULL, check=False)
    if listed.returncode != 0:
        raise job.fail("neuron-ls failed: no Neuron driver; use the Neuron base DLAMI")
    found = len(glob.glob(on_node("/dev/neuron[0-9]*")))
    if found != chips:
        raise job.fail(
            f"expected {chips} Neuron devices (/dev/neuron0..{chips - 1}), found {found}"
        )


def install_docker(job: Job) -> None:
    job.step("install-docker")
    missing = shutil.which("docker") is None
    if missing and retry(["dnf", "install", "-y", "docker"]).returncode != 0:
        raise job.fail("could not install docker")
    run(["systemctl", "enable", "--now", "docker"])


def tune_s3(job: Job, config: dict[str, Any]) -> None:
    """S3 at instance speed. AWS CLI v2 always has the CRT transfer client, which `auto` picks
    only on a few instance types: chosen here, aimed at the instance's network bandwidth (AWS
    CLI v2 topics/s3-config.rst; it takes its part size from multipart_chunksize). CLI v1 has
    no CRT and ignores those keys; its classic client takes the concurrency and the part size.
    One file serves both: no version check."""
    job.step("tune-s3")
    install_file(
        AWS_CLI_CONFIG,
        0o644,
        "[default]\ns3 =\n  preferred_transfer_client = crt\n"
        f"  target_bandwidth = {config['s3_target_gbps']}Gb/s\n"
        "  max_concurrent_requests = 64\n  multipart_chunksize = 16MB\n",
    )


def download_weights(job: Job, config: dict[str, Any]) -> None:
    job.step("download-weights")
    store = model_store_settings(config)
    model, uri = on_node(MODEL_DIR), store["weights_uri"]
    if os.path.exists(os.path.join(model, COMPLETE_MARKER)):
        print(f"graviton-llm: weights already complete in {MODEL_DIR}; not downloading again")
        return
    os.makedirs(model, exist_ok=True)
    # [key, size, ETag] per object: is it a model directory, and the weights' identity (part
    # of the compiled artifacts' key).
    listed = retry(
        ["aws", "s3api", "list-objects-v2", "--bucket", config["model"]["weights_bucket"],
         "--prefix", store["weights_prefix"], "--query", "Contents[].[Key, Size, ETag]",
         "--output", "json"]
    )  # fmt: skip
    if listed.returncode != 0:
        raise job.fail(
            f"cannot list {uri}: the bucket must exist and the node role be allowed to read it "
            "(error above)"
        )
    listing = on_node(WEIGHTS_LISTING)
    install_file(WEIGHTS_LISTING, 0o644, listed.stdout)
    summary = io.StringIO()
    with contextlib.redirect_stdout(summary):
        checked = model_store_weights.weights_check(store, listing)
    if checked != 0:
        raise job.fail(f"nothing to serve under {uri} (above)")
    files, size = summary.getvalue().split()
    print(f"graviton-llm: downloading {size} bytes in {files} files from {uri}", flush=True)
    # --delete: files left by an interrupted earlier run that S3 no longer has would break the
    # check.
    synced = retry(["aws", "s3", "sync", "--only-show-errors", "--delete", uri, model])
    if synced.returncode != 0:
        raise job.fail(f"download of {uri} failed after {settings()[2]} attempts")
    if model_store_weights.weights_verify(store, listing) != 0:
        raise job.fail(f"the weights on disk are not what {uri} lists (above)")
    open(os.path.join(model, COMPLETE_MARKER), "a").close()


def install_node(job: Job, config: dict[str, Any]) -> None:
    """Docker, the node's files, S3 tuning, the weights, the image and the units."""
    install_docker(job)
    job.step("install-files")
    os.makedirs(on_node(ARTIFACTS_DIR), exist_ok=True)
    for node_file in node_files(config):
        install_file(*node_file)
    tune_s3(job, config)
    download_weights(job, config)
    job.step("pull-image")
    if retry(["docker", "pull", config["image"]]).returncode != 0:
        raise job.fail(f"cannot pull {config['image']}")
    job.step("install-units")
    run(["systemctl", "daemon-reload"])


def probe_body(model_id: str) -> bytes:
    """One real completion: the node is ready only when the model answers one."""
    return json.dumps({"model": model_id, "prompt": "ping", "max_tokens": 1}).encode()


def answers(config: dict[str, Any]) -> bool:
    """/health answers, and one real completion succeeds. With an API key the probe sends it
    from the root-only file, in this process only (never on a command line)."""
    base = f"http://127.0.0.1:{config['port']}"
    headers = {"Content-Type": "application/json"}
    try:
        if config["api_key"] is not None:
            with open(on_node(API_KEY_FILE)) as key:
                headers["Authorization"] = f"Bearer {key.read().strip()}"
        with urllib.request.urlopen(f"{base}/health", timeout=10):
            pass
        request = urllib.request.Request(
            f"{base}/v1/completions", probe_body(config["model"]["id"]), headers
        )
        with urllib.request.urlopen(request, timeout=60):
            return True
    except (OSError, ValueError):
        return False


def wait_ready(job: Job, config: dict[str, Any]) -> None:
    """Ready within the predicted cold start, or failed at once when the unit gave up."""
    poll, _, _ = settings()
    timeout = os.environ.get("GRAVITON_LLM_READY_TIMEOUT_SECONDS")
    limit = int(timeout) if timeout else config["ready_timeout_seconds"]
    deadline = time.monotonic() + limit
    journal = f"see: journalctl -u {VLLM_UNIT}"
    while not answers(config):
        failed = subprocess.run(["systemctl", "is-failed", "--quiet", VLLM_UNIT], check=False)
        if failed.returncode == 0:
            raise job.fail(f"{VLLM_UNIT} failed (it stopped restarting); {journal}")
        if time.monotonic() >= deadline:
            raise job.fail(f"vLLM not ready after {limit}s; {journal}")
        time.sleep(poll)


def start_unit(job: Job, unit: str) -> None:
    if run(["systemctl", "enable", "--now", unit]) != 0:
        raise job.fail(f"cannot start {unit}; see: journalctl -u {unit}")
