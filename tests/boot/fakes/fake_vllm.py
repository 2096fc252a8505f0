"""Stand-in for `vllm serve` inside the container: an OpenAI-compatible server on 127.0.0.1.

Behaves like vLLM's API server where the boot script depends on it: `/health` answers 200 once
the engine is up; routes under /v1 require `Authorization: Bearer <VLLM_API_KEY>` when that
variable is set (vLLM's auth middleware); a completion for a model other than
--served-model-name is a 404. Test controls (environment), counted in requests so no outcome
depends on the machine's speed:
  FAKE_VLLM_UNHEALTHY_FOR  /health answers 503 to this many requests first, or "never" healthy
  FAKE_VLLM_BUSY_FOR       once healthy, completions answer 503 to this many requests first
  FAKE_VLLM_WAIT_FOR_CALL  /health stays 503 until a recorded tool call ($GLT_RECORD) has this
                           text (e.g. the boot's first lifecycle heartbeat)
  FAKE_VLLM_EXIT           exit at once with this status (a crash)
  FAKE_VLLM_LOG            JSON lines: the start and every request
  FAKE_VLLM_COMPILE_SALT   changes what a compile writes (two nodes whose compiles differ)
Compiled artifacts, as vllm-neuron on NxD Inference treats NEURON_COMPILED_ARTIFACTS
(worker/neuronx_distributed_model_loader.py): a directory that holds neuron_config.json and
model.pt is loaded whatever it holds (no check against the config); otherwise the model is
"compiled" into it: neuron_config.json (the flags) and model.pt (bytes derived from the flags and
the salt). The start event records which, with the SHA-256 of every file loaded or written.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_counts = {"FAKE_VLLM_UNHEALTHY_FOR": 0, "FAKE_VLLM_BUSY_FOR": 0}
_lock = threading.Lock()


def log(event: dict) -> None:
    with open(os.environ["FAKE_VLLM_LOG"], "a") as out:
        out.write(json.dumps({"t": time.time(), **event}) + "\n")


def ready(name: str) -> bool:
    """False for the first N requests that ask (N from the environment), then True."""
    value = os.environ.get(name, "0")
    if value == "never":
        return False
    with _lock:
        _counts[name] += 1
        return _counts[name] > int(value)


def called(text: str | None) -> bool:
    if not text:
        return True
    try:
        with open(os.environ["GLT_RECORD"]) as calls:
            return text in calls.read()
    except FileNotFoundError:
        return False


def flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def container_path(path: str) -> str:
    """Where a path inside the container is on the host (the docker shim's mounts)."""
    mounts = json.loads(os.environ.get("GLT_MOUNTS", "{}"))
    for target in sorted(mounts, key=len, reverse=True):
        if path == target or path.startswith(target + "/"):
            return os.path.realpath(mounts[target] + path[len(target) :])
    return path


def compiled_artifacts(argv: list[str]) -> dict | None:
    name = os.environ.get("NEURON_COMPILED_ARTIFACTS")
    if not name:
        return None
    directory = container_path(name)
    config = os.path.join(directory, "neuron_config.json")
    model = os.path.join(directory, "model.pt")
    found = os.path.isfile(config) and os.path.isfile(model)
    if not found:  # "Unable to find precompiled artifacts ... Recompiling" into the same path
        os.makedirs(directory, exist_ok=True)
        flags = [a for a in argv if a != flag(argv, "--port")]
        with open(config, "w") as out:
            json.dump({"flags": flags}, out)
        seed = (json.dumps(flags) + os.environ.get("FAKE_VLLM_COMPILE_SALT", "")).encode()
        with open(model, "wb") as out:
            for i in range(1024):  # 32 KiB
                out.write(hashlib.sha256(seed + str(i).encode()).digest())
    files = {}
    for parent, _, names in os.walk(directory):
        for file_name in names:
            path = os.path.join(parent, file_name)
            with open(path, "rb") as source:
                files[os.path.relpath(path, directory)] = hashlib.sha256(source.read()).hexdigest()
    return {"found": found, "directory": directory, "files": files}


class Handler(BaseHTTPRequestHandler):
    served_model = ""
    api_key: str | None = None
    healthy = False  # /health has answered 200 once

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def reply(self, status: int, body: dict) -> None:
        log({"event": "request", "path": self.path, "status": status})
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self) -> bool:
        if self.api_key is None or not self.path.startswith("/v1"):
            return True
        return self.headers.get("Authorization") == f"Bearer {self.api_key}"

    def do_GET(self) -> None:
        if self.path == "/health":
            if not Handler.healthy:  # once up, the engine stays up
                waited = called(os.environ.get("FAKE_VLLM_WAIT_FOR_CALL"))
                Handler.healthy = ready("FAKE_VLLM_UNHEALTHY_FOR") and waited
            self.reply(200 if Handler.healthy else 503, {})
        elif not self.authorized():
            self.reply(401, {"error": "Unauthorized"})
        elif self.path == "/v1/models":
            self.reply(200, {"object": "list", "data": [{"id": self.served_model}]})
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path != "/v1/completions":
            self.reply(404, {"error": "not found"})
        elif not self.authorized():
            self.reply(401, {"error": "Unauthorized"})
        elif not (Handler.healthy and ready("FAKE_VLLM_BUSY_FOR")):
            self.reply(503, {"error": "engine not ready"})
        elif body.get("model") != self.served_model:
            self.reply(404, {"error": f"The model `{body.get('model')}` does not exist."})
        else:
            self.reply(
                200,
                {
                    "object": "text_completion",
                    "model": self.served_model,
                    "choices": [{"index": 0, "text": " pong", "finish_reason": "length"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
            )


def main() -> int:
    argv = sys.argv[1:]
    key = os.environ.get("VLLM_API_KEY")
    log(
        {
            "event": "start",
            "argv": argv,
            "env": {k: v for k, v in os.environ.items() if k.startswith(("NEURON_", "VLLM_CPU"))},
            "api_key_sha256": hashlib.sha256(key.encode()).hexdigest() if key else None,
        }
    )
    if "FAKE_VLLM_EXIT" in os.environ:
        return int(os.environ["FAKE_VLLM_EXIT"])
    assert argv[0] == "serve", argv
    artifacts = compiled_artifacts(argv)
    if artifacts is not None:
        log({"event": "artifacts", **artifacts})
    Handler.served_model = flag(argv, "--served-model-name")
    Handler.api_key = key
    server = ThreadingHTTPServer(("127.0.0.1", int(flag(argv, "--port"))), Handler)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
