"""IMDSv2 on 127.0.0.1 for the node's tests: a token, then the instance id, region and the
group-name tag (the boot sandbox, the agent's steps and its release)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ASG_NAME = "llm-asg-0123"
INSTANCE_ID = "i-0123456789abcdef0"
GROUP_NAME_PATH = "/latest/meta-data/tags/instance/aws:autoscaling:groupName"


class FakeImds:
    """IMDSv2 on 127.0.0.1: a token, then the instance id, region and the group-name tag."""

    TOKEN = "imds-token"

    def __init__(self, region: str = "us-east-1", group: str = ASG_NAME) -> None:
        self.values = values = {
            "/latest/meta-data/instance-id": INSTANCE_ID,
            "/latest/meta-data/placement/region": region,
            GROUP_NAME_PATH: group,
        }
        token = self.TOKEN
        self.seen: list[tuple[str, str]] = []  # (method, path) of every request
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _send(self, status: int, body: str) -> None:
                seen.append((self.command, self.path))
                self.send_response(status)
                data = body.encode()
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self) -> None:
                ok = self.path == "/latest/api/token"
                self._send(200 if ok else 404, token if ok else "")

            def do_GET(self) -> None:
                if self.headers.get("X-aws-ec2-metadata-token") != token:
                    self._send(401, "")
                elif self.path in values:
                    self._send(200, values[self.path])
                else:
                    self._send(404, "")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # A short poll: stop() (shutdown) waits up to one interval, once per sandbox.
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
