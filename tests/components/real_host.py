"""The real Pulumi dynamic-provider host (`python -m pulumi.dynamic`, what the engine starts as
the `pulumi-python` provider plugin), driven over gRPC as the engine drives it, with the EC2
Auto Scaling API faked on 127.0.0.1. For what testing.engine models and must not get wrong:
which pickle serves which call, what Read answers, what a refresh's Diff sees, what the
provider says on stderr (the engine shows a dynamic provider's output)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from xml.sax.saxutils import escape

import grpc
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from reaping import die_with_parent

NS = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
URN = "urn:pulumi:dev::team::pulumi-python:dynamic:Resource::llm-rollout"


def _refresh_xml(refresh: dict[str, Any]) -> str:
    fields = "".join(
        f"<{key}>{escape(str(refresh[key]))}</{key}>"
        for key in ("InstanceRefreshId", "AutoScalingGroupName", "Status", "StatusReason",
                    "PercentageComplete")
        if key in refresh
    )  # fmt: skip
    template = refresh.get("DesiredConfiguration", {}).get("LaunchTemplate")
    if template:
        fields += (
            "<DesiredConfiguration><LaunchTemplate>"
            f"<LaunchTemplateId>{escape(template['LaunchTemplateId'])}</LaunchTemplateId>"
            f"<Version>{escape(template['Version'])}</Version>"
            "</LaunchTemplate></DesiredConfiguration>"
        )
    return f"<member>{fields}</member>"


@dataclass
class FakeAutoScaling:
    """Answers DescribeInstanceRefreshes with ``refreshes`` and StartInstanceRefresh with
    ``started``; logs each request's parameters and the access key that signed it."""

    refreshes: list[dict[str, Any]] = field(default_factory=list)
    started: str = "r-new"
    requests: list[dict[str, str]] = field(default_factory=list)

    def answer(self, params: dict[str, str]) -> str:
        action = params["Action"]
        if action == "StartInstanceRefresh":
            body = f"<InstanceRefreshId>{self.started}</InstanceRefreshId>"
        elif action == "DescribeInstanceRefreshes":
            members = "".join(_refresh_xml(r) for r in self.refreshes)
            body = f"<InstanceRefreshes>{members}</InstanceRefreshes>"
        else:
            raise ValueError(f"the fake answers no {action}")
        return (
            f'<{action}Response xmlns="{NS}"><{action}Result>{body}</{action}Result>'
            f"<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></{action}Response>"
        )


@contextmanager
def fake_auto_scaling() -> Iterator[tuple[FakeAutoScaling, str]]:
    fake = FakeAutoScaling()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            params = dict(urllib.parse.parse_qsl(body))
            credential = self.headers.get("Authorization", "").split("Credential=")[-1]
            fake.requests.append({**params, "access_key": credential.split("/")[0]})
            data = fake.answer(params).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def serialize(props: dict[str, Any]) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def deserialize(struct: Any) -> dict[str, Any]:
    result = rpc.deserialize_properties(struct)
    assert isinstance(result, dict)
    return result


@dataclass
class Said:
    """The host's stderr, line by line as the engine reads it."""

    lines: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def follow(self, stream: Any) -> None:
        for line in stream:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, text: str) -> str:
        """The line holding ``text``, once the host wrote it (a bound only against a hang)."""
        with self.changed:
            found = self.changed.wait_for(
                lambda: next((line for line in self.lines if text in line), None), timeout=120
            )
        assert found, f"the host never said {text!r}: {self.lines}"
        return str(found)


@dataclass
class RealHost:
    stub: Any
    stderr: Said

    def create(self, props: dict[str, Any]) -> Any:
        return self.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=serialize(props)))

    def update(self, id_: str, olds: Any, news: dict[str, Any]) -> Any:
        request = provider_pb2.UpdateRequest(id=id_, urn=URN, olds=olds, news=serialize(news))
        return self.stub.Update(request)

    def read(self, id_: str, state: Any, inputs: Any) -> Any:
        request = provider_pb2.ReadRequest(id=id_, urn=URN, properties=state, inputs=inputs)
        return self.stub.Read(request)

    def diff(self, id_: str, olds: Any, news: Any) -> str:
        """The answer's DiffChanges name (DIFF_NONE, DIFF_SOME, DIFF_UNKNOWN)."""
        answer = self.stub.Diff(provider_pb2.DiffRequest(id=id_, urn=URN, olds=olds, news=news))
        return str(provider_pb2.DiffResponse.DiffChanges.Name(answer.changes))

    def delete(self, id_: str, state: Any) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(id=id_, urn=URN, properties=state))


@contextmanager
def real_host(endpoint: str, config: dict[str, Any]) -> Iterator[RealHost]:
    """The provider host process, configured with the stack ``config``; AWS calls go to
    ``endpoint`` signed with the credentials in ``config`` (the environment has others)."""
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_AUTO_SCALING": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "AKIADEFAULTCHAIN00",
        "AWS_SECRET_ACCESS_KEY": "default-chain",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "PULUMI_PROJECT": "team",
    }
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.dynamic"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        preexec_fn=die_with_parent(),
    )
    said = Said()
    assert process.stdout is not None and process.stderr is not None
    reader = threading.Thread(target=said.follow, args=(process.stderr,), daemon=True)
    reader.start()
    try:
        port = process.stdout.readline().strip()
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = provider_pb2_grpc.ResourceProviderStub(channel)
        stub.Configure(provider_pb2.ConfigureRequest(args=serialize(config), acceptSecrets=True))
        yield RealHost(stub, said)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=60)
        reader.join(timeout=60)
