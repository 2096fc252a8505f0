"""graviton-llm-agent: the node's one program. The user data's bootstrap verifies it and runs
`boot` (or `compile`, the pre-warm job); the node's units run the rest.

  boot | compile          the job the user data names, with the node config
  release                 the release unit: complete the launch hook once vLLM serves
  fetch-api-key           the vLLM unit's ExecStartPre: the API key from SSM
  model-store COMMAND     weights checks and the artifact cache (model_store.py)
  latency-exporter ...    vLLM latency percentiles for the CloudWatch agent
  check-config [FILE]     validate a node config and say what is wrong with it
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from typing import Any

from . import config as node_config
from .paths import NODE_CONFIG
from .steps import Job, StepFailed, to_console

# Kept small: an agent that cannot start the job its user data names says so in one line.
JOBS = ("boot", "compile")


def refuse_config(job: str, path: str, error: node_config.ConfigError) -> int:
    line = (
        f"graviton-llm: {job} FAILED in step config: the node config {path} is not a valid "
        f"{node_config.FORMAT} document ({error}); nothing was started and the node stays out "
        "of service"
    )
    print(line, file=sys.stderr, flush=True)
    to_console(line)
    return 1


def run_job(name: str, config: dict[str, Any]) -> int:
    from .boot import boot
    from .compile_job import compile_artifacts, power_off

    job = Job(name)
    work: Callable[[Job, dict[str, Any]], None] = boot if name == "boot" else compile_artifacts
    code = 0
    try:
        work(job, config)
    except StepFailed:
        code = 1
    except Exception:  # an agent bug: say where, and fail closed like any step
        traceback.print_exc()
        code = 1
    if code:
        job.report_failure(code)
    if name == "compile":
        power_off()
    return code


def model_store_main(argv: list[str]) -> int:
    """`graviton-llm-agent model-store COMMAND`: its settings come from the node config."""
    from . import model_store
    from .model_store_weights import log, weights_check, weights_verify
    from .node_files import model_store_settings

    parser = argparse.ArgumentParser(prog="graviton-llm-agent model-store")
    parser.add_argument("--config", default=NODE_CONFIG)
    parser.add_argument(
        "command", choices=["weights-check", "weights-verify", "prepare", "publish", "status"]
    )
    parser.add_argument("listing", nargs="?")
    args = parser.parse_args(argv)
    try:
        config = model_store_settings(node_config.load(args.config))
    except node_config.ConfigError as error:
        log(f"the node config {args.config} is not valid ({error})")
        return 1
    if args.command in ("weights-check", "weights-verify"):
        if args.listing is None:
            parser.error(f"{args.command} needs the listing file")
        run = weights_check if args.command == "weights-check" else weights_verify
        return run(config, args.listing)
    commands = {"prepare": model_store.prepare, "publish": model_store.publish}
    return commands.get(args.command, model_store.status)(config)


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    if words[:1] == ["model-store"]:
        return model_store_main(words[1:])
    if words[:1] == ["latency-exporter"]:
        from .latency_exporter import main as exporter_main

        exporter_main(words[1:])
        return 0
    parser = argparse.ArgumentParser(prog="graviton-llm-agent", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=[*JOBS, "release", "fetch-api-key", "check-config"])
    parser.add_argument("file", nargs="?", default=NODE_CONFIG, help="the node config")
    parser.add_argument("--config", default=None, help="the node config (default: %(default)s)")
    options = parser.parse_args(words)
    path = options.config or options.file
    try:
        config = node_config.load(path)
    except node_config.ConfigError as error:
        return refuse_config(options.command, path, error)
    if options.command in JOBS:
        if config["job"] != options.command:
            wrong = node_config.ConfigError(f"it is for the {config['job']} job")
            return refuse_config(options.command, path, wrong)
        return run_job(options.command, config)
    if options.command == "release":
        from .release import release

        return release(config)
    if options.command == "fetch-api-key":
        from .api_key import fetch_api_key

        if config["api_key"] is None:
            print("graviton-llm: this node has no API key", file=sys.stderr)
            return 1
        return fetch_api_key(config["api_key"])
    print(f"{path}: a valid {node_config.FORMAT} document for the {config['job']} job")
    return 0
