"""Pure renderer: cluster args -> the user data a node runs: a short bootstrap and the node
config. The bootstrap (templates/bootstrap.sh) fetches the node agent the user data pins by
SHA-256, verifies it and the config, and hands over; the agent does the rest (node_agent/).

One entry point per job, ``render_user_data`` (a node) and ``render_compile_script`` (the
pre-warm job). Values reach the script only as quoted assignments (shell.py) or inside the JSON
config, which the agent reads as data. Plain text, never compressed: its bytes depend on the
args and the agent's files alone, not on the zlib build of whoever deploys.
"""

from __future__ import annotations

import json
from typing import Any

from ..args import ResolvedClusterArgs
from ..documents.cloudwatch_agent import DEFAULT_LOG_GROUP
from ..facts.aws_rules import USER_DATA_LIMIT_BYTES
from .agent_location import AgentLocation, agent_location, key_problems
from .node_config import Job, node_config
from .shell import assign, template

_MARKER = "NODE_CONFIG"


def _user_values(config: dict[str, Any]) -> dict[str, str]:
    """The args fields whose values the config carries as they are: what to shorten."""
    return {
        "model.id": config["model"]["id"],
        "image": config["image"],
        "model.weights_uri": config["model"]["weights_prefix"],
        "api_key_ssm_parameter": (config["api_key"] or {}).get("parameter", ""),
    }


def config_text(config: dict[str, Any]) -> str:
    """One line of ASCII JSON (a string's newline is written \\n), so no line of it can be the
    heredoc's end marker."""
    return json.dumps(config, separators=(",", ":"), sort_keys=True) + "\n"


def _render(job: Job, config: dict[str, Any], where: AgentLocation) -> str:
    text = config_text(config)
    problems = key_problems(where)
    if problems:
        raise ValueError("; ".join(problems))
    lines = [
        "#!/bin/bash",
        # Only catalog names here: a user's value is never inside a comment, always quoted.
        f"# graviton-llm {job}, {config['instance_type']}: runs the node agent it pins with the "
        "config below (node_agent/). Do not edit: change the stack.",
        "set -euo pipefail",
        assign("JOB", job),
        assign("AGENT_BUCKET", where.bucket),
        assign("AGENT_KEY", where.key),
        assign("AGENT_REGION", where.region),
        assign("AGENT_SHA256", where.sha256),
        "config() {",
        f"  cat <<'{_MARKER}'",
        text + _MARKER,
        "}",
    ]
    script = "\n".join(lines) + "\n" + template("bootstrap.sh")
    size = len(script.encode())
    if size > USER_DATA_LIMIT_BYTES:  # EC2 would refuse the launch template at deploy time
        raise ValueError(_too_big(size, config))
    return script


def _too_big(size: int, config: dict[str, Any]) -> str:
    lengths = sorted(
        ((len(json.dumps(value)), field) for field, value in _user_values(config).items()),
        reverse=True,
    )
    named = ", ".join(f"{field} ({n:,} characters)" for n, field in lengths[:2] if n > 256)
    return f"the user data would be {size:,} bytes, over EC2's {USER_DATA_LIMIT_BYTES:,}: " + (
        f"shorten {named}" if named else "the node config is too large"
    )


def render_user_data(
    args: ResolvedClusterArgs,
    *,
    api_key_pointer: str | None = None,
    metrics_log_group: str = DEFAULT_LOG_GROUP,
    agent: AgentLocation | None = None,
) -> str:
    """The user data of one node of this cluster (a bash script for cloud-init, which runs user
    data that starts with `#!` as it is: cloud-init docs, "User data formats").

    ``api_key_pointer``: the SSM parameter holding the API key parameter's name, when that name
    must stay out of the user data (a secret Output); required then. ``agent``: where the node
    agent is published (default: agent_location(args)).
    """
    config = node_config(
        args, job="boot", api_key_pointer=api_key_pointer, metrics_log_group=metrics_log_group
    )
    return _render("boot", config, agent or agent_location(args))


def render_compile_script(
    args: ResolvedClusterArgs,
    *,
    api_key_pointer: str | None = None,
    metrics_log_group: str = DEFAULT_LOG_GROUP,
    agent: AgentLocation | None = None,
) -> str:
    """The pre-warm job's user data: run on a one-off instance of the cluster's type (its
    launch template), the agent compiles the model exactly as a node would, publishes the set
    to the artifact cache and powers off. Neuron only: the CPU path compiles nothing."""
    if args.artifact_cache_root is None:
        raise ValueError(
            "nothing to pre-warm: the artifact cache is off, or the instance type compiles nothing"
        )
    config = node_config(
        args, job="compile", api_key_pointer=api_key_pointer, metrics_log_group=metrics_log_group
    )
    return _render("compile", config, agent or agent_location(args))
