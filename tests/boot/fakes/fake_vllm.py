"""Stand-in for `vllm serve` inside the container: an OpenAI-compatible server on 127.0.0.1.

Behaves like vLLM's API server where the boot script depends on it: `/health` answers 200 once
the engine is up; routes under /v1 require `Authorization: Bearer <VLLM_API_KEY>` when that
variable is set (vLLM's auth middleware); a completion for a model other than
--served-model-name is a 404. Test controls (environment):
  FAKE_VLLM_HEALTHY_AFTER / FAKE_VLLM_COMPLETE_AFTER  seconds after start, or "never"
  FAKE_VLLM_EXIT                                      exit at once with this status (a crash)
  FAKE_VLLM_LOG                                       JSON lines: the start and every request
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED = time.monotonic()


def log(event: dict) -> None:
    with open(os.environ["FAKE_VLLM_LOG"], "a") as out:
        out.write(json.dumps({"t": time.time(), **event}) + "\n")


def after(name: str) -> bool:
    value = os.environ.get(name, "0")
    return value != "never" and time.monotonic() - STARTED >= float(value)


def flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


class Handler(BaseHTTPRequestHandler):
    served_model = ""
    api_key: str | None = None

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
            healthy = after("FAKE_VLLM_HEALTHY_AFTER")
            self.reply(200 if healthy else 503, {})
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
        elif not (after("FAKE_VLLM_HEALTHY_AFTER") and after("FAKE_VLLM_COMPLETE_AFTER")):
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
    Handler.served_model = flag(argv, "--served-model-name")
    Handler.api_key = key
    server = ThreadingHTTPServer(("127.0.0.1", int(flag(argv, "--port"))), Handler)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
