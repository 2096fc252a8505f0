"""The systemd units a node runs: vLLM, the metrics exporter, the release unit, the publish
unit and the latency exporter. Each renderer takes only the values it reads; every command of
ours is a command of the node agent."""

from __future__ import annotations

from .paths import AGENT, AWS_ENV_FILE, CONTAINER_NAME, RELEASE_UNIT, RUNNER, VLLM_UNIT


def systemd_unit(name: str, description: str, unit: list[str], service: list[str]) -> str:
    """A unit with our common tail: journald logging under its own name, started at boot."""
    return "\n".join(
        [
            "[Unit]",
            f"Description={description} (graviton-llm)",
            *unit,
            "",
            "[Service]",
            *service,
            "StandardOutput=journal",
            "StandardError=journal",
            f"SyslogIdentifier={name}",
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )


def vllm_unit(*, api_key: bool, prepare: bool = False, start_timeout_s: int = 300) -> str:
    # The unit's main process is the docker client: container limits are docker's (--ulimit in
    # the runner); these Limit*= apply to the client. StartLimit*: a crash loop (bad flags, a
    # model that does not fit) ends in the "failed" state, which the boot gate reports at once,
    # while a crash after a long compile is still restarted (systemd.unit(5), StartLimitBurst=).
    # `prepare` readies the compiled artifacts before every start (a warm-pool node whose set is
    # missing fetches it from the cache, never loads a partial one); TimeoutStartSec covers its
    # download (ExecStartPre= counts against it, systemd.service(5)).
    pre = [f"ExecStartPre={AGENT} fetch-api-key"] if api_key else []
    if prepare:
        pre.append(f"ExecStartPre={AGENT} model-store prepare")
    return systemd_unit(
        "graviton-llm-vllm",
        "vLLM OpenAI-compatible server",
        [
            "Requires=docker.service",
            "After=docker.service network-online.target",
            "Wants=network-online.target",
            "StartLimitIntervalSec=1800",
            "StartLimitBurst=5",
        ],
        [
            "Type=simple",
            f"EnvironmentFile={AWS_ENV_FILE}",
            *pre,
            f"ExecStart={RUNNER}",
            f"ExecStop=/usr/bin/docker stop --time 30 {CONTAINER_NAME}",
            "Restart=on-failure",
            "RestartSec=15",
            f"TimeoutStartSec={start_timeout_s}",
            "TimeoutStopSec=60",
            "LimitNOFILE=1048576",
            "LimitMEMLOCK=infinity",
        ],
    )


def metrics_unit(exec_start: str, exec_start_pre: list[str]) -> str:
    return systemd_unit(
        "graviton-llm-metrics",
        "Prometheus metrics exporter",
        ["Requires=docker.service", "After=docker.service"],
        [
            "Type=simple",
            *(f"ExecStartPre={line}" for line in exec_start_pre),
            f"ExecStart={exec_start}",
            "Restart=always",
            "RestartSec=15",
        ],
    )


def release_unit() -> str:
    # It calls `aws autoscaling complete-lifecycle-action`: the region comes from aws.env like
    # every other unit's, not from AWS CLI v2's instance-metadata fallback.
    return systemd_unit(
        "graviton-llm-release",
        "Put this node in service once vLLM serves",
        [f"Requires={VLLM_UNIT}", f"After={VLLM_UNIT}"],
        [
            "Type=oneshot",
            f"EnvironmentFile={AWS_ENV_FILE}",
            f"ExecStart={AGENT} release",
            "RemainAfterExit=yes",
        ],
    )


def publish_unit() -> str:
    """Once the release unit saw vLLM serve (Requires=: not after it failed), a set this node
    compiled goes to the artifact cache; at every boot, so an interrupted publish is retried."""
    return systemd_unit(
        "graviton-llm-publish",
        "Publish this node's compiled artifacts to the artifact cache",
        [f"Requires={RELEASE_UNIT}", f"After={RELEASE_UNIT}"],
        [
            "Type=oneshot",
            f"EnvironmentFile={AWS_ENV_FILE}",
            f"ExecStart={AGENT} model-store publish",
            "RemainAfterExit=yes",
        ],
    )


def latency_unit(vllm_port: int, port: int) -> str:
    command = f"{AGENT} latency-exporter --vllm-port {vllm_port}"
    return systemd_unit(
        "graviton-llm-latency",
        "vLLM latency percentiles for the CloudWatch agent",
        [f"After={VLLM_UNIT}"],
        [
            "Type=simple",
            f"ExecStart={command} --port {port}",
            "Restart=always",
            "RestartSec=15",
        ],
    )
