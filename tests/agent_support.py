"""The node agent as a node runs it, for tests: its archive installed under a temporary root
(run on the machine's own python3 through its `#!/usr/bin/python3` line, outside this
virtualenv), and node configs rendered from cluster args."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from graviton_llm import NeuronServingClusterArgs
from graviton_llm.node.agent_archive import agent_archive
from graviton_llm.node.node_config import node_config
from graviton_llm.node_agent.paths import AGENT, NODE_CONFIG
from support import cluster_args


def args_for(**overrides: Any) -> NeuronServingClusterArgs:
    return NeuronServingClusterArgs.model_validate(cluster_args(**overrides))


def config_for(**overrides: Any) -> dict[str, Any]:
    """The node config the renderer gives a node of a cluster with these args."""
    return node_config(args_for(**overrides))


def install(root: Path, config: dict[str, Any] | None = None) -> Path:
    """The agent (and ``config``) where the bootstrap puts them under ``root``."""
    agent = root / AGENT.lstrip("/")
    agent.parent.mkdir(parents=True, exist_ok=True)
    agent.write_bytes(agent_archive().data)
    agent.chmod(0o755)
    if config is not None:
        path = root / NODE_CONFIG.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(config))
    return agent


def run_agent(
    root: Path, *words: str, env: dict[str, str], timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """`graviton-llm-agent WORDS...` on the node under ``root``."""
    return subprocess.run(
        [str(root / AGENT.lstrip("/")), *words],
        env={"GRAVITON_LLM_ROOT": str(root), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
