"""The component package's folder started as the engine starts a plugin (`python <folder>
<engine>`, pulumi-language-python's RunPlugin): it serves pulumi's ResourceProvider service on
127.0.0.1 and answers GetSchema with the package's schema, which is what `pulumi package add`
generates an SDK from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from graviton_llm.package import schema
from support_process import plugin_channel

# Starts the component provider host as a plugin.
pytestmark = pytest.mark.slow

FOLDER = Path(__file__).resolve().parents[2] / "component-package"


def test_the_folder_serves_the_schema_over_grpc() -> None:
    with plugin_channel([str(FOLDER), "127.0.0.1:1"], FOLDER) as channel:
        provider = provider_pb2_grpc.ResourceProviderStub(channel)
        info = provider.GetPluginInfo(empty_pb2.Empty())
        served = json.loads(provider.GetSchema(provider_pb2.GetSchemaRequest()).schema)
    assert info.version == served["version"]
    assert served == schema()
