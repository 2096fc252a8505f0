"""Every file the boot script installs on a node besides the weights: scripts, systemd units and
the CloudWatch agent's documents."""

from __future__ import annotations

import io
import json
import re
import shlex
import tokenize
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..args import ResolvedClusterArgs
from ..args.fields import parse_s3_uri
from ..documents import cloudwatch_agent
from ..documents.cloudwatch_agent import DEFAULT_LOG_GROUP
from ..facts import timing
from ..facts.ports import LATENCY_EXPORTER_PORT
from ..facts.sizing import predict_cold_start
from . import units
from .paths import (
    ACTIVE_ARTIFACTS,
    API_KEY_FILE,
    ARTIFACTS_DIR,
    COMPLETE_MARKER,
    CONTAINER_NAME,
    FETCH_API_KEY,
    LATENCY_EXPORTER,
    LATENCY_UNIT,
    LIFECYCLE_HOOK_NAME,
    METRICS_UNIT,
    MODEL_DIR,
    MODEL_STORE,
    MODEL_STORE_CONFIG,
    PUBLISH_UNIT,
    RELEASE_SCRIPT,
    RELEASE_UNIT,
    RUNNER,
    VLLM_UNIT,
    WEIGHTS_IDENTITY,
)
from .serve_command import (
    artifact_cache_location,
    artifact_key_inputs,
    container_argv,
    flag_groups,
    serve_command,
    static_artifact_key,
)
from .shell import assign, template


@dataclass(frozen=True)
class NodeFile:
    """A file the boot script installs on the node."""

    path: str
    mode: str
    text: str


@dataclass(frozen=True)
class ApiKeySource:
    """Where the node reads its API key: the SSM parameter ``name``, or, when ``pointer``, the
    parameter whose value is that name (a secret name then appears in no script and no log)."""

    name: str
    pointer: bool = False


def api_key_source(
    args: ResolvedClusterArgs, api_key_pointer: str | None = None
) -> ApiKeySource | None:
    """None without an API key; the pointer when one is given (it must be, for a name that is
    an Output: its value is unknown here, and secret)."""
    parameter = args.api_key_ssm_parameter
    if parameter is None:
        return None
    if api_key_pointer is not None:
        return ApiKeySource(api_key_pointer, pointer=True)
    if not isinstance(parameter, str):
        raise ValueError(
            "api_key_ssm_parameter is an Output: give api_key_pointer, the SSM parameter that "
            "holds its name (NeuronServingCluster creates it)"
        )
    return ApiKeySource(parameter)


def node_files(
    args: ResolvedClusterArgs,
    api_key_pointer: str | None = None,
    *,
    metrics_log_group: str = DEFAULT_LOG_GROUP,
) -> list[NodeFile]:
    """Every file the boot script writes besides the weights: scripts, systemd units and the
    CloudWatch agent's documents (refused here if the agent would refuse them)."""
    command = serve_command(args)
    neuron = args.spec.accelerator == "neuron"
    files = [
        NodeFile(RUNNER, "0755", runner_script(container_argv(args, command))),
        NodeFile(MODEL_STORE, "0755", model_store_script()),
        NodeFile(MODEL_STORE_CONFIG, "0644", json.dumps(model_store_config(args)) + "\n"),
    ]
    source = api_key_source(args, api_key_pointer)
    if source is not None:
        files.append(NodeFile(FETCH_API_KEY, "0700", fetch_api_key_script(source)))
    files += [
        NodeFile(
            f"/etc/systemd/system/{VLLM_UNIT}",
            "0644",
            units.vllm_unit(
                api_key=args.api_key_ssm_parameter is not None,
                prepare=f"{MODEL_STORE} prepare" if neuron else None,
                start_timeout_s=readiness_timeout_seconds(args),
            ),
        ),
        NodeFile(
            f"/etc/systemd/system/{METRICS_UNIT}",
            "0644",
            units.metrics_unit(command.metrics_exec, command.metrics_pre),
        ),
        NodeFile(RELEASE_SCRIPT, "0755", release_script(args)),
        NodeFile(f"/etc/systemd/system/{RELEASE_UNIT}", "0644", units.release_unit()),
    ]
    if neuron:
        files.append(
            NodeFile(f"/etc/systemd/system/{PUBLISH_UNIT}", "0644", units.publish_unit(MODEL_STORE))
        )
    if args.monitoring.enabled:
        scrape = cloudwatch_agent.prometheus_scrape_config(
            args.port, args.metrics_port, LATENCY_EXPORTER_PORT, neuron
        )
        agent = cloudwatch_agent.cloudwatch_agent_config_json(neuron, metrics_log_group)
        problems = cloudwatch_agent.agent_config_problems(json.loads(agent), scrape)
        if problems:
            raise ValueError("the CloudWatch agent would refuse its config: " + "; ".join(problems))
        files += [
            # The group's name replaces the placeholder at boot (templates/operations.sh).
            NodeFile(cloudwatch_agent.PROMETHEUS_CONFIG_PATH, "0644", scrape),
            NodeFile(cloudwatch_agent.AGENT_CONFIG_PATH, "0644", agent),
            NodeFile(LATENCY_EXPORTER, "0755", latency_exporter_script()),
            NodeFile(f"/etc/systemd/system/{LATENCY_UNIT}", "0644", units.latency_unit(args.port)),
        ]
    return files


def runner_script(docker_run: list[str]) -> str:
    """The foreground `docker run` that the systemd unit supervises, every word shell-quoted."""
    lines = " \\\n  ".join(" ".join(map(shlex.quote, group)) for group in flag_groups(docker_run))
    return (
        "#!/bin/bash\n"
        "# Runs the vLLM container in the foreground for systemd (rendered by graviton-llm).\n"
        "set -euo pipefail\n"
        f"docker rm -f {CONTAINER_NAME} >/dev/null 2>&1 || true\n"
        f"exec {lines}\n"
    )


def fetch_api_key_script(source: ApiKeySource | str) -> str:
    """ExecStartPre of the vLLM unit: the API key from SSM Parameter Store into a root-only file
    on tmpfs (/run), read again at every (re)start so a rotated key needs only a restart. With a
    pointer, the key's parameter name is read from it first and never printed."""
    if isinstance(source, str):
        source = ApiKeySource(source)
    settings = [
        "#!/bin/bash",
        "# Reads the vLLM API key (SSM SecureString) into a root-only file (rendered by "
        "graviton-llm).",
        "set -euo pipefail",
        'readonly ROOT="${GRAVITON_LLM_ROOT:-}"',
        assign("PARAMETER", "" if source.pointer else source.name),
        assign("POINTER", source.name if source.pointer else ""),
        f'readonly KEY_FILE="${{ROOT}}{API_KEY_FILE}"',
    ]
    return "\n".join(settings) + "\n" + template("fetch-api-key.sh")


def release_script(args: ResolvedClusterArgs) -> str:
    """The release unit's script: settings for this cluster, then templates/release-node.sh.
    With target tracking it also lifts the node's scale-in protection once it serves."""
    protected = (
        args.scaling.mode == "target_tracking" and args.scaling.scale_in_protection_while_booting
    )
    settings = [
        "#!/bin/bash",
        "# Puts this node in service once vLLM answers (rendered by graviton-llm).",
        "set -euo pipefail",
        assign("PORT", args.port),
        assign("READY_TIMEOUT_SECONDS", readiness_timeout_seconds(args)),
        assign("LIFECYCLE_HOOK", LIFECYCLE_HOOK_NAME),
        assign("HEARTBEAT_SECONDS", timing.LIFECYCLE_HEARTBEAT_EVERY_SECONDS),
        assign("UNPROTECT", 1 if protected else 0),
    ]
    return "\n".join(settings) + "\n" + template("release-node.sh")


def model_store_config(args: ResolvedClusterArgs) -> dict[str, object]:
    """What model-store reads (JSON, so no value of the user's is ever shell text)."""
    bucket, prefix = parse_s3_uri(args.model.weights_uri) or ("", "")
    neuron = args.spec.accelerator == "neuron"
    cache = artifact_cache_location(args)
    return {
        "weights_uri": f"s3://{bucket}/{prefix}",
        "weights_prefix": prefix,
        "model_dir": MODEL_DIR,
        "complete_marker": COMPLETE_MARKER,
        "identity_file": WEIGHTS_IDENTITY,
        "artifacts_dir": ARTIFACTS_DIR,
        "active": ACTIVE_ARTIFACTS,
        "port": args.port,
        "static_key": static_artifact_key(args) if neuron else None,
        "key_inputs": artifact_key_inputs(args) if neuron else None,
        "cache": None if cache is None else {"bucket": cache[0], "prefix": cache[1]},
    }


@cache  # the package's own files: the same text on every call (a plan builds its stack twice)
def node_python(*modules: str) -> str:
    """Modules of this package as the node runs them, one script: the same code without its
    docstrings and comments (they stay in the package), so the node's tools fit EC2's 16 KB of
    user data. The modules are bundled in order: a later one's imports of the earlier ones and
    the imports an earlier one made go, their names being defined above it by then. No
    ``from __future__ import annotations``: what annotations remain are in function bodies,
    which Python never evaluates (PEP 526; tests/node/test_node_python.py checks).
    Tokens, not the AST: ast.parse inside the Pulumi runtime's deep stacks hits CPython 3.11's
    "AST constructor recursion depth mismatch"."""
    bodies: list[str] = []
    for n, module in enumerate(modules):
        body = _without_docs(resources.files(__package__).joinpath(module).read_text())
        body = re.sub(r"^from __future__ import annotations\n", "", body, flags=re.M)
        if n:
            earlier = "|".join(re.escape(m.removesuffix(".py")) for m in modules[:n])
            body = re.sub(rf"^from \.(?:{earlier}) import \([^)]*\)\n", "", body, flags=re.M)
            body = re.sub(rf"^from \.(?:{earlier}) import [^(\n]*\n", "", body, flags=re.M)
            imported = set(re.findall(r"^import [\w.]+$", "".join(bodies), flags=re.M))
            body = "".join(line for line in body.splitlines(True) if line.rstrip() not in imported)
        bodies.append(body)
    where = f"# graviton_llm/node/{', '.join(modules)} (documented there)"
    return "\n".join(["#!/usr/bin/python3", where, *bodies])


def _without_docs(source: str) -> str:
    """The source without docstrings, comments and the annotations of def signatures (they
    stay in the package; the node only runs the code), each bracketed expression on one line."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    lines = source.splitlines()
    dropped: list[tuple[tuple[int, int], tuple[int, int], str]] = [
        (*span, "") for span in _annotations(tokens)
    ]
    kept: set[int] = set()
    touched: set[int] = set()
    depth = 0
    for i, token in enumerate(tokens):
        if token.type == tokenize.COMMENT or _docstring(tokens, i):
            dropped.append((token.start, token.end, ""))
        elif token.type == tokenize.STRING and token.start[0] != token.end[0]:
            kept.update(range(token.start[0], token.end[0] + 1))  # keep its lines as they are
        elif token.type == tokenize.NL and depth:
            dropped.append((token.start, tokens[i + 1].start, " "))
        elif token.type == tokenize.OP:
            depth += (token.string in "([{") - (token.string in ")]}")
    for (first, start), (last, end), joint in sorted(dropped, reverse=True):
        lines[first - 1] = lines[first - 1][:start] + joint + lines[last - 1][end:]
        del lines[first:last]
        kept = {n if n <= first else n - (last - first) for n in kept}
        touched = {n if n <= first else n - (last - first) for n in touched} | {first}
    body = [line if n in kept else line.rstrip() for n, line in enumerate(lines, 1)]
    # Blank lines go too (but inside a string): the node runs the code, nobody reads it there.
    body = [line for n, line in enumerate(body, 1) if line or n in kept]
    return "\n".join(body) + "\n"


def _annotations(tokens: list[tokenize.TokenInfo]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) of each annotation of a def: a parameter's `: type` (up to its `,`, `=` or
    `)`) and the `-> type` (up to the `:` that ends the signature)."""
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
    signature, depth, opened, level = False, 0, None, 0
    tokens = [t for t in tokens if t.type not in (tokenize.NL, tokenize.COMMENT)]
    for i, token in enumerate(tokens):
        if token.type == tokenize.NAME and token.string == "def":
            signature, depth = True, 0
        if not signature or token.type != tokenize.OP:
            continue
        text = token.string
        if opened and depth == level and text in ((",", "=", ")") if level else (":",)):
            spans.append((opened, token.start))
            opened, signature = None, bool(level)
        elif (
            opened is None
            and depth == 1
            and text == ":"
            and tokens[i - 2].string in ("(", ",", "*", "**")
        ):
            opened, level = token.start, 1  # after a parameter's name (`lambda x:` is not)
        elif opened is None and depth == 0 and text in ("->", ":"):
            opened, level, signature = tokens[i - 1].end, 0, text == "->"
            opened = opened if signature else None
        depth += (text in "([{") - (text in ")]}")
    return spans


def _docstring(tokens: list[tokenize.TokenInfo], i: int) -> bool:
    """A string that is a whole statement at the start of the module or of a block."""
    if tokens[i].type != tokenize.STRING:
        return False
    before = [t for t in tokens[:i] if t.type not in (tokenize.NL, tokenize.COMMENT)]
    after = next(t for t in tokens[i + 1 :] if t.type != tokenize.COMMENT)
    starts_block = not before or before[-1].type in (tokenize.ENCODING, tokenize.INDENT)
    return starts_block and after.type == tokenize.NEWLINE


def model_store_script() -> str:
    return node_python("model_store_weights.py", "model_store.py")


def latency_exporter_script() -> str:
    return node_python("latency_exporter.py")


def readiness_timeout_seconds(args: ResolvedClusterArgs) -> int:
    """How long the boot gate and the release unit wait for vLLM: the predicted cold start with
    margin (facts/sizing.py). Past it the boot fails, its heartbeats stop and the group replaces
    it."""
    cold = predict_cold_start(args.spec, args.model.weights_gib, args.model.info)
    return cold.readiness_timeout_s
