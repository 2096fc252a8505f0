"""The rendered boot script, run for real: moto S3 and SSM, PATH shims for docker, systemctl,
neuron-ls and dnf, and a stand-in vLLM on 127.0.0.1. What a node would do, minus AWS and the
accelerator. Every run is bounded (Sandbox.run's subprocess timeout)."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import pytest
import yaml
from sandbox import ASG_NAME, INSTANCE_ID, VLLM_UNIT, WEIGHTS, FakeImds, Run, Sandbox, scenario

from graviton_llm.node.node_config import container_argv, readiness_timeout_seconds

# Boots nodes in the sandbox (moto, the AWS CLI, the agent on python3, fake units).
pytestmark = pytest.mark.slow

MODEL = "opt/graviton-llm/model"
API_KEY = "sk-test-0123456789abcdef"


@scenario
def booted(box: Sandbox) -> SimpleNamespace:
    box.upload_weights("llama/")
    box.neuron_devices(1)  # inf2.8xlarge: one Inferentia2 chip
    args = box.args()
    # The engine reports healthy before it can complete (as vLLM does while warming up).
    first = box.run(
        args,
        FAKE_VLLM_UNHEALTHY_FOR="2",
        FAKE_VLLM_BUSY_FOR="2",
        # Healthy only after the first heartbeat: the heartbeat test holds on any machine.
        FAKE_VLLM_WAIT_FOR_CALL="record-lifecycle-action-heartbeat",
        GRAVITON_LLM_HEARTBEAT_SECONDS="0.4",
    )
    events, weights = box.server_events(), box.model_files()
    second = box.run(args) if first.returncode == 0 else None
    return SimpleNamespace(
        sandbox=box, args=args, first=first, second=second, events=events, weights=weights
    )


def _s3_calls(run) -> list[list[str]]:
    """The node's S3 calls but the bootstrap's fetch of the agent (its own scenarios below)."""
    return [
        argv
        for argv in run.argv("aws")
        if argv[0] in ("s3", "s3api") and not any("node-agent/" in a for a in argv)
    ]


def _containers(run) -> list[list[str]]:
    return [argv for argv in run.argv("docker") if argv[0] == "run"]


def _requests(events) -> list[tuple[str, int]]:
    return [(e["path"], e["status"]) for e in events if e["event"] == "request"]


def test_boot_succeeds_and_reports_the_endpoint(booted):
    print(f"\nsandbox boot (happy path, inf2.8xlarge): {booted.first.seconds:.2f} s")
    assert booted.first.returncode == 0, booted.first.output
    assert f"serving {booted.args.model.id} on port {booted.sandbox.port}" in booted.first.output
    log = (booted.sandbox.root / "var/log/graviton-llm-boot.log").read_text()
    assert "step: download-weights" in log and "step: ready" in log


def test_weights_land_complete_byte_for_byte(booted):
    # Every object under the prefix, nested ones too; the S3 folder marker is not a file.
    assert booted.weights == WEIGHTS
    assert (booted.sandbox.root / MODEL / ".graviton-llm-complete").exists()


def test_the_container_gets_exactly_the_rendered_command_line(booted):
    assert _containers(booted.first) == [container_argv(booted.args)[1:]]
    assert ["pull", booted.args.image] in booted.first.argv("docker")
    # It saw the persistent compiled-artifacts path the renderer chose.
    start = next(e for e in booted.events if e["event"] == "start")
    assert start["env"]["NEURON_COMPILED_ARTIFACTS"].startswith("/compiled/")


def test_both_units_are_installed_enabled_and_started(booted):
    units = booted.sandbox.root / "etc/systemd/system"
    assert (units / VLLM_UNIT).exists() and (units / "graviton-llm-metrics.service").exists()
    systemctl = booted.first.argv("systemctl")
    assert ["daemon-reload"] in systemctl
    assert ["enable", "--now", VLLM_UNIT] in systemctl
    assert ["enable", "--now", "graviton-llm-metrics.service"] in systemctl
    assert booted.first.argv("neuron-ls") == [[]]


def test_readiness_waits_for_health_and_then_for_a_real_completion(booted):
    # /health went 503 -> 200, completions stayed 503 a while after that, and the script
    # declared ready only after one succeeded (the last completion; after it only the publish
    # unit's check that vLLM serves before its artifacts count as complete).
    requests = _requests(booted.events)
    assert ("/health", 503) in requests
    first_healthy = requests.index(("/health", 200))
    assert ("/v1/completions", 503) in requests[first_healthy:]
    ready = requests.index(("/v1/completions", 200))
    assert requests[ready + 1 :] == [("/health", 200)]
    assert requests.count(("/v1/completions", 200)) == 1


def test_a_second_run_is_idempotent_and_downloads_nothing(booted):
    again = booted.second
    assert again is not None and again.returncode == 0, again and again.output
    assert "weights already complete" in again.output
    assert _s3_calls(again) == []
    assert booted.sandbox.model_files() == booted.weights == WEIGHTS
    # The running service is left alone: no second container.
    assert _containers(again) == []


# ---- faults and options: independent scenarios, run concurrently (see conftest.scenarios) ----


@scenario
def s3_failing_the_first_times_is_retried_then_succeeds(box: Sandbox) -> Run:
    box.upload_weights("llama/")
    box.neuron_devices(1)
    # The first two S3 calls hit a port where nothing listens; 3 attempts are allowed. (The
    # artifact cache has its own scenarios, test_artifact_cache.py: off here, fewer CLI runs.)
    return box.run(box.args(artifact_cache={"enabled": False}), GLT_AWS_FAIL_S3="2")


@scenario
def s3_failing_every_time_gives_up_after_the_attempts_with_a_clear_message(box: Sandbox) -> Run:
    box.upload_weights("llama/")
    box.neuron_devices(1)
    return box.run(box.args(), GLT_AWS_FAIL_S3="99", GRAVITON_LLM_ATTEMPTS="2")


@scenario
def an_empty_weights_prefix_fails_fast_without_retries(box: Sandbox) -> Run:
    box.neuron_devices(1)
    return box.run(box.args())  # nothing uploaded under llama/


@scenario
def a_missing_bucket_fails_fast_without_retries(box: Sandbox) -> Run:
    box.neuron_devices(1)
    return box.run(box.args(model={"weights_uri": "s3://no-such-bucket-here/llama/"}))


@scenario
def a_prefix_without_config_json_is_refused_before_downloading(box: Sandbox) -> Run:
    box.upload_weights("llama/", {k: v for k, v in WEIGHTS.items() if k != "config.json"})
    box.neuron_devices(1)
    return box.run(box.args())


@scenario
def an_incomplete_download_fails_and_is_not_marked_complete(box: Sandbox) -> Run:
    box.upload_weights("llama/")
    box.neuron_devices(1)
    return box.run(box.args(), GLT_AWS_DROP_FILE="1")


@scenario
def a_server_that_never_becomes_healthy_gives_up_after_the_timeout(box: Sandbox) -> Run:
    box.seed_weights()
    box.neuron_devices(1)
    # The script waits the derived timeout (20 min for this model); the test shrinks it.
    return box.run(
        box.args(), FAKE_VLLM_UNHEALTHY_FOR="never", GRAVITON_LLM_READY_TIMEOUT_SECONDS="2"
    )


@scenario
def a_crashing_server_fails_the_gate_at_once_not_after_the_timeout(box: Sandbox) -> Run:
    box.seed_weights()
    box.neuron_devices(1)
    return box.run(box.args(), FAKE_VLLM_EXIT="1")  # READY timeout stays 20 min


@scenario
def a_node_without_its_neuron_devices_fails_before_downloading(box: Sandbox) -> Run:
    box.upload_weights("llama/")
    return box.run(box.args(instance_type="inf2.24xlarge"))  # no /dev/neuron* at all


@scenario
def api_key_from_ssm_reaches_vllm_and_the_probe_and_no_command_line_or_log(box: Sandbox) -> Run:
    box.moto.client("ssm").put_parameter(
        Name="/llm/test/api-key", Value=API_KEY, Type="SecureString", Overwrite=True
    )
    box.seed_weights()
    # Graviton: the CPU path, which needs no Neuron device.
    args = box.args(
        instance_type="r8g.16xlarge", max_num_seqs=32, api_key_ssm_parameter="/llm/test/api-key"
    )
    return box.run(args)


SECRET_PARAMETER = "/llm/test/secret-name-of-the-key"
POINTER = "/graviton-llm/team/test/llm/api-key-parameter"


@scenario
def a_secret_parameter_name_is_read_from_the_pointer_and_never_written_or_logged(
    box: Sandbox,
) -> Run:
    ssm = box.moto.client("ssm")
    ssm.put_parameter(Name=SECRET_PARAMETER, Value=API_KEY, Type="SecureString", Overwrite=True)
    ssm.put_parameter(Name=POINTER, Value=SECRET_PARAMETER, Type="SecureString", Overwrite=True)
    box.seed_weights()
    # The name in the args is what the pointer holds; with a pointer it must not be rendered.
    args = box.args(instance_type="r8g.16xlarge", api_key_ssm_parameter=SECRET_PARAMETER)
    return box.run(args, api_key_pointer=POINTER)


@scenario
def a_missing_api_key_parameter_stops_the_boot_naming_the_parameter(box: Sandbox) -> Run:
    box.seed_weights()
    args = box.args(instance_type="r8g.16xlarge", api_key_ssm_parameter="/llm/test/missing")
    return box.run(args)


def test_s3_failing_the_first_times_is_retried_then_succeeds(scenarios):
    sandbox, run = scenarios["s3_failing_the_first_times_is_retried_then_succeeds"]

    assert run.returncode == 0, run.output
    assert "attempt 1/3 failed" in run.output and "attempt 2/3 failed" in run.output
    assert "Could not connect to the endpoint URL" in run.output
    assert sandbox.model_files() == WEIGHTS


def test_s3_failing_every_time_gives_up_after_the_attempts_with_a_clear_message(scenarios):
    _sandbox, run = scenarios[
        "s3_failing_every_time_gives_up_after_the_attempts_with_a_clear_message"
    ]

    assert run.returncode != 0
    assert len(_s3_calls(run)) == 2 and "attempt 1/2 failed" in run.output
    assert "FAILED in step 'download-weights': cannot list s3://" in run.output
    assert _containers(run) == []


def test_an_empty_weights_prefix_fails_fast_without_retries(scenarios):
    sandbox, run = scenarios["an_empty_weights_prefix_fails_fast_without_retries"]

    assert run.returncode != 0
    assert f"no objects under s3://{sandbox.bucket}/llama/" in run.output
    assert len(_s3_calls(run)) == 1  # listed once: no retry can fix an empty prefix
    assert "boot FAILED in step download-weights" in run.output
    assert _containers(run) == []


def test_a_missing_bucket_fails_fast_without_retries(scenarios):
    _sandbox, run = scenarios["a_missing_bucket_fails_fast_without_retries"]

    assert run.returncode != 0
    assert "NoSuchBucket" in run.output
    assert "cannot list s3://no-such-bucket-here/llama/" in run.output
    assert len(_s3_calls(run)) == 1


def test_a_prefix_without_config_json_is_refused_before_downloading(scenarios):
    _sandbox, run = scenarios["a_prefix_without_config_json_is_refused_before_downloading"]

    assert run.returncode != 0
    assert "no config.json directly under" in run.output
    assert [a[:2] for a in _s3_calls(run)] == [["s3api", "list-objects-v2"]]


def test_an_incomplete_download_fails_and_is_not_marked_complete(scenarios):
    sandbox, run = scenarios["an_incomplete_download_fails_and_is_not_marked_complete"]

    assert run.returncode != 0
    assert "weights incomplete: expected 5 " in run.output and "found 4 " in run.output
    assert not (sandbox.root / MODEL / ".graviton-llm-complete").exists()
    assert _containers(run) == []


def test_a_server_that_never_becomes_healthy_gives_up_after_the_timeout(scenarios):
    sandbox, run = scenarios["a_server_that_never_becomes_healthy_gives_up_after_the_timeout"]
    derived = readiness_timeout_seconds(sandbox.last_args)
    config = json.loads((sandbox.root / "opt/graviton-llm/etc/node.json").read_text())
    assert config["ready_timeout_seconds"] == derived

    assert run.returncode != 0
    assert "FAILED in step 'wait-ready': vLLM not ready after 2s" in run.output
    assert f"journalctl -u {VLLM_UNIT}" in run.output
    # It waited for the timeout (bash's SECONDS counts whole seconds, so at least 1 s), and
    # only the timeout branch prints the message above; no upper bound: CI may be slow.
    assert run.seconds >= 1
    assert set(_requests(sandbox.server_events())) == {("/health", 503)}


def test_a_crashing_server_fails_the_gate_at_once_not_after_the_timeout(scenarios):
    _sandbox, run = scenarios["a_crashing_server_fails_the_gate_at_once_not_after_the_timeout"]

    assert run.returncode != 0
    # Only the unit-failed branch prints this; the 20-minute timeout would have been a
    # different message (and the sandbox's 30 s limit would have ended the run first).
    assert f"{VLLM_UNIT} failed (it stopped restarting)" in run.output
    assert "not ready after" not in run.output


def test_a_node_without_its_neuron_devices_fails_before_downloading(scenarios):
    _sandbox, run = scenarios["a_node_without_its_neuron_devices_fails_before_downloading"]

    assert run.returncode != 0
    assert "expected 6 Neuron devices (/dev/neuron0..5), found 0" in run.output
    assert _s3_calls(run) == []


def test_api_key_from_ssm_reaches_vllm_and_the_probe_and_no_command_line_or_log(scenarios):
    sandbox, run = scenarios[
        "api_key_from_ssm_reaches_vllm_and_the_probe_and_no_command_line_or_log"
    ]
    key, args = API_KEY, sandbox.last_args

    assert run.returncode == 0, run.output
    assert run.argv("neuron-ls") == []
    ssm = [a for a in run.argv("aws") if a[0] == "ssm"]
    assert ssm == [
        [
            "ssm",
            "get-parameter",
            "--with-decryption",
            "--name",
            "/llm/test/api-key",
            "--query",
            "Parameter.Value",
            "--output",
            "text",
        ]
    ]
    # vLLM got the key (VLLM_API_KEY, set inside the container from the mounted file) ...
    start = next(e for e in sandbox.server_events() if e["event"] == "start")
    assert start["api_key_sha256"] == hashlib.sha256(key.encode()).hexdigest()
    # ... the probe sent it (the stand-in refuses /v1 without it), ...
    assert _requests(sandbox.server_events())[-1] == ("/v1/completions", 200)
    assert ("/v1/completions", 401) not in _requests(sandbox.server_events())
    # ... it is root-only on the node, and in no user data, argv, or boot log.
    key_file = sandbox.root / "run/graviton-llm/api-key"
    assert key_file.read_text().strip() == key
    assert key_file.stat().st_mode & 0o077 == 0
    assert key not in sandbox.script.read_text()
    assert key not in str(run.calls) and key not in run.output
    assert key not in (sandbox.root / "var/log/graviton-llm-boot.log").read_text()
    assert run.argv("docker").count(container_argv(args)[1:]) == 1


def test_a_secret_parameter_name_is_read_from_the_pointer_and_never_written_or_logged(
    scenarios,
):
    sandbox, run = scenarios[
        "a_secret_parameter_name_is_read_from_the_pointer_and_never_written_or_logged"
    ]

    assert run.returncode == 0, run.output
    names = [a[a.index("--name") + 1] for a in run.argv("aws") if a[:2] == ["ssm", "get-parameter"]]
    assert names == [POINTER, SECRET_PARAMETER]
    start = next(e for e in sandbox.server_events() if e["event"] == "start")
    assert start["api_key_sha256"] == hashlib.sha256(API_KEY.encode()).hexdigest()
    # The secret name is in no script the node is given, and in no message it writes.
    assert SECRET_PARAMETER not in sandbox.script.read_text()
    assert POINTER in sandbox.script.read_text()
    assert SECRET_PARAMETER not in run.output
    assert SECRET_PARAMETER not in (sandbox.root / "var/log/graviton-llm-boot.log").read_text()


def test_a_missing_api_key_parameter_stops_the_boot_naming_the_parameter(scenarios):
    _sandbox, run = scenarios["a_missing_api_key_parameter_stops_the_boot_naming_the_parameter"]

    assert run.returncode != 0
    assert "ParameterNotFound" in run.output
    assert "cannot read the API key from SSM parameter /llm/test/missing" in run.output
    assert "FAILED in step 'start-services': cannot start graviton-llm-vllm.service" in run.output
    assert _containers(run) == []


def test_without_a_configured_region_the_node_reads_it_from_imdsv2(sandbox):
    """The AWS CLI takes credentials from instance metadata but not the region: the script
    must find it itself, with an IMDSv2 token (the launch template requires IMDSv2)."""
    imds = FakeImds(region="eu-north-1")
    try:
        env = sandbox.env(GRAVITON_LLM_IMDS_URL=imds.url)
        del env["AWS_DEFAULT_REGION"]
        # No Neuron device: the boot stops right after the region step.
        run = sandbox.run(sandbox.args(), env=env)
    finally:
        imds.stop()

    region = ("GET", "/latest/meta-data/placement/region")
    assert imds.seen == [("PUT", "/latest/api/token"), region]
    aws_env = sandbox.root / "opt/graviton-llm/etc/aws.env"
    cli_config = sandbox.root / "opt/graviton-llm/etc/aws-cli.conf"
    assert aws_env.read_text() == f"AWS_DEFAULT_REGION=eu-north-1\nAWS_CONFIG_FILE={cli_config}\n"
    assert "step 'check-accelerator'" in run.output


def test_the_node_configures_the_cloudwatch_agent_for_its_group_and_releases_itself(booted):
    """After serving: the agent scrapes vLLM and the Neuron exporter with the group's name as a
    dimension (read from instance metadata tags), and the release unit is started."""
    cloudwatch = booted.sandbox.root / "opt/aws/amazon-cloudwatch-agent/etc"
    scrape = yaml.safe_load((cloudwatch / "prometheus.yaml").read_text())
    jobs = {job["job_name"]: job["static_configs"][0] for job in scrape["scrape_configs"]}
    assert jobs["vllm"]["labels"] == {"AutoScalingGroupName": ASG_NAME}
    assert jobs["vllm"]["targets"] == [f"localhost:{booted.sandbox.port}"]
    assert set(jobs) == {"vllm", "latency", "neuron"}
    assert json.loads((cloudwatch / "graviton-llm.json").read_text())["logs"]
    ctl = booted.first.argv("amazon-cloudwatch-agent-ctl")
    config = "file:/opt/aws/amazon-cloudwatch-agent/etc/graviton-llm.json"
    assert ctl == [["-a", "fetch-config", "-m", "ec2", "-s", "-c", config]]
    assert ["enable", "--now", "graviton-llm-release.service"] in booted.first.argv("systemctl")
    assert f"node released to group {ASG_NAME}" in booted.first.output


def test_the_boot_heartbeats_its_launch_hook_while_it_works(booted):
    """However long download and compile take, the hook stays open: the boot script sends
    heartbeats for this instance and group (every 5 minutes on a node; 0.4 s here)."""
    heartbeats = [
        argv
        for argv in booted.first.argv("aws")
        if argv[:2] == ["autoscaling", "record-lifecycle-action-heartbeat"]
    ]
    assert heartbeats, booted.first.argv("aws")
    assert heartbeats[0][2:] == [
        "--lifecycle-hook-name",
        "graviton-llm-boot",
        "--auto-scaling-group-name",
        ASG_NAME,
        "--instance-id",
        INSTANCE_ID,
    ]


@scenario
def a_failing_cloudwatch_agent_does_not_keep_the_node_out_of_service(box: Sandbox) -> Run:
    box.upload_weights("llama/")
    box.neuron_devices(1)
    return box.run(box.args(artifact_cache={"enabled": False}), GLT_AGENT_FAIL="1")


def test_a_failing_cloudwatch_agent_does_not_keep_the_node_out_of_service(scenarios):
    _box, run = scenarios["a_failing_cloudwatch_agent_does_not_keep_the_node_out_of_service"]
    assert run.returncode == 0, run.output
    assert "WARNING: monitoring does not run on this node" in run.output
    assert "the CloudWatch agent refused its configuration" in run.output
    assert ["enable", "--now", "graviton-llm-release.service"] in run.argv("systemctl")
    assert f"node released to group {ASG_NAME}" in run.output
