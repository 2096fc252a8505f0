"""Every AWS call a test makes, answered by botocore's Stubber and validated by botocore.

`with aws_stubs() as aws:` patches botocore's client factory, so any client created inside,
by boto3 or botocore, directly or by a provider deep in its own code (credential providers
included), is stubbed: its parameters go through botocore's own validation against the
service model (the step that refused 66.0 for an integer), each call must be one the test
queued, in order per service, and a call nobody queued fails the test. `aws.calls` records what
was sent, with the region and the access key the client signed it with (read when the call
is made, as signing reads it: refreshable credentials refresh then).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import botocore.session
from botocore.stub import Stubber

_DUMMY = {"aws_access_key_id": "stub", "aws_secret_access_key": "stub"}


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    region: str | None
    access_key: str | None


@dataclass
class StubbedAws:
    """Queued answers per service, and the calls made."""

    calls: list[Call] = field(default_factory=list)
    _queues: dict[str, deque[Any]] = field(default_factory=dict)
    _templates: dict[str, Stubber] = field(default_factory=dict)

    def _template(self, service: str) -> Stubber:
        if service not in self._templates:
            client = _ORIGINAL_CREATE(botocore.session.Session(), service, "us-east-1", **_DUMMY)
            stubber = Stubber(client)
            stubber._queue = self._queues.setdefault(service, deque())
            self._templates[service] = stubber
        return self._templates[service]

    def add(
        self,
        service: str,
        method: str,
        response: dict[str, Any],
        expected_params: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``method`` call (snake_case) of ``service`` with ``response``
        (validated against the model now); ``expected_params`` must then match exactly."""
        self._template(service).add_response(method, response, expected_params)

    def add_error(
        self,
        service: str,
        method: str,
        code: str,
        message: str = "",
        expected_params: dict[str, Any] | None = None,
    ) -> None:
        self._template(service).add_client_error(
            method,
            service_error_code=code,
            service_message=message,
            http_status_code=400,
            expected_params=expected_params,
        )

    def pending(self) -> list[str]:
        return [
            f"{service}.{entry['operation_name']}"
            for service, queue in self._queues.items()
            for entry in queue
        ]

    def made(self, service: str, operation: str) -> list[Call]:
        """The calls of ``operation`` (PascalCase, e.g. StartInstanceRefresh) made so far."""
        return [c for c in self.calls if c.service == service and c.operation == operation]

    def _stub(self, client: Any, service: str) -> None:
        stubber = Stubber(client)
        stubber._queue = self._queues.setdefault(service, deque())
        stubber.activate()
        region = client.meta.region_name

        asked: list[dict[str, Any]] = []

        def note(params: dict[str, Any], **_: Any) -> None:
            asked[:] = [dict(params)]

        def record(model: Any, **_: Any) -> None:
            # Reached only once botocore has validated the parameters noted above. The
            # Stubber answers before the request is signed: read the credentials as signing
            # would, now (refreshable ones refresh here, as they do before a real request).
            params = asked.pop()
            self.calls.append(Call(service, model.name, params, region, _access_key(client)))

        client.meta.events.register_first("before-parameter-build.*.*", note)
        # First, so it runs before the stubber's own handler answers the call.
        client.meta.events.register_first("before-call.*.*", record)


_ORIGINAL_CREATE = botocore.session.Session.create_client


def _access_key(client: Any) -> str | None:
    credentials = getattr(client._request_signer, "_credentials", None)
    if credentials is None:
        return None
    key: str | None = credentials.get_frozen_credentials().access_key
    return key


@contextmanager
def aws_stubs(*, strict: bool = True) -> Iterator[StubbedAws]:
    """Stub every botocore client created inside; with ``strict``, leaving a queued answer
    unused fails the test too."""
    stubs = StubbedAws()

    def create_client(session: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = _ORIGINAL_CREATE(session, service_name, *args, **kwargs)
        stubs._stub(client, service_name)
        return client

    with mock.patch.object(botocore.session.Session, "create_client", create_client):
        yield stubs
    if strict and stubs.pending():
        raise AssertionError(f"queued AWS answers never asked for: {stubs.pending()}")
