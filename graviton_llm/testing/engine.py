"""Run a Pulumi dynamic provider the way `pulumi up` runs it, for tests.

Mocks hand a dynamic provider's methods the Python values the program built; the real engine
does not. `pulumi.dynamic`'s provider host (pulumi/pulumi `sdk/python/lib/pulumi/dynamic/
__main__.py`) receives every property as a protobuf Struct, so:

- every number arrives as a float (66 -> 66.0), and a None value disappears;
- on `diff` and `check` (preview), a value not known yet arrives as `Unknown` (the host
  deserializes with keep_unknowns);
- secrets arrive in plain text: the host answers Configure with acceptSecrets false, so the
  engine strips them, and afterwards marks an output secret only where the input of the same
  name was (pulumi `sdk/go/common/resource/plugin/provider_plugin.go`, annotateSecrets): a
  secret copied under another name is stored in plain text;
- the provider object itself is rebuilt from its dill pickle and `configure`d with the whole
  stack config (`aws:region`, ...; pulumi/pulumi#17673) before its first call;
- the outputs are serialized again, and are what the next `diff`/`update` gets as `olds`.

`DynamicProviderHost` does each of these steps with the SDK's own `rpc.serialize_properties`,
`rpc.deserialize_properties` and `serialize_provider`, so a provider that only works on
Python ints or leaks a secret fails here as it would under the engine. Pair it with
`graviton_llm.testing.aws_stubs` so every AWS call is validated by botocore's Stubber.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dill
from pulumi.dynamic import ConfigureRequest, ResourceProvider
from pulumi.dynamic.config import Config
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown
from pulumi.runtime import rpc

PROVIDER_KEY = "__provider"
UNKNOWN = rpc.UNKNOWN
"""Put this where an input is not known yet (a first preview): `diff` gets `Unknown`."""


def secret(value: Any) -> dict[str, Any]:
    """An input the program marked secret (`pulumi.Output.secret`), as the engine carries it."""
    wrapped: dict[str, Any] = rpc.wrap_rpc_secret(value)
    return wrapped


class SecretLeakError(AssertionError):
    """A provider returned a secret input's value where the engine stores it in plain text."""


@dataclass(frozen=True)
class Outputs:
    """What the engine stores after create/update/read: the outputs as the next call gets
    them (`props`), and the property paths it encrypts (`secret_paths`)."""

    id: str
    props: dict[str, Any]
    secret_paths: frozenset[str] = field(default_factory=frozenset)


def round_trip(props: Mapping[str, Any], *, keep_unknowns: bool = False) -> dict[str, Any]:
    """``props`` after the engine's protobuf round trip (serialize, then deserialize as the
    dynamic host does); secrets stay wrapped (`rpc.is_rpc_secret`)."""

    async def serialize() -> Any:
        return await rpc.serialize_properties(dict(props), {})

    loop = asyncio.new_event_loop()
    try:
        struct = loop.run_until_complete(serialize())
    finally:
        loop.close()
    result = rpc.deserialize_properties(struct, keep_unknowns)
    assert isinstance(result, dict)
    return result


def _strip_secrets(value: Any, path: str, found: set[str]) -> Any:
    """The plain value the provider sees (acceptSecrets false), noting each secret's path."""
    if rpc.is_rpc_secret(value):
        found.add(path)
        return _strip_secrets(rpc.unwrap_rpc_secret(value), path, set())
    if isinstance(value, dict):
        return {k: _strip_secrets(v, _join(path, k), found) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_secrets(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def _secret_texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _secret_texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _secret_texts(item)]
    return [value] if isinstance(value, str) and value else []


def _annotated(outs: dict[str, Any], ins: dict[str, Any], secrets: set[str], path: str) -> set[str]:
    """The output paths the engine marks secret: where the input at the same path held one
    (annotateSecrets recurses only where both sides are objects)."""
    marked: set[str] = set()
    for key, value in ins.items():
        if key not in outs:
            continue
        here = _join(path, key)
        if isinstance(value, dict) and isinstance(outs[key], dict) and here not in secrets:
            marked |= _annotated(outs[key], value, secrets, here)
        elif any(p == here or p.startswith((here + ".", here + "[")) for p in secrets):
            marked.add(here)
    return marked


def _plain_leaves(value: Any, path: str, marked: set[str]) -> list[tuple[str, str]]:
    if path in marked:
        return []
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _plain_leaves(v, _join(path, k), marked)]
    if isinstance(value, list):
        return [
            leaf for i, v in enumerate(value) for leaf in _plain_leaves(v, f"{path}[{i}]", marked)
        ]
    return [(path, str(value))]


class DynamicProviderHost:
    """One provider as the engine hosts it: pickled and rebuilt, configured with ``config``
    (the stack's config, `namespace:key` -> value), then called with round-tripped props."""

    def __init__(
        self,
        provider: ResourceProvider,
        config: Mapping[str, Any] | None = None,
        project: str = "project",
    ) -> None:
        self._pickled = serialize_provider(provider)
        rebuilt = dill.loads(base64.b64decode(self._pickled))
        rebuilt.configure(ConfigureRequest(Config(dict(config or {}), project)))
        self.provider: ResourceProvider = rebuilt

    def _inputs(
        self, props: Mapping[str, Any], *, preview: bool
    ) -> tuple[dict[str, Any], set[str]]:
        if PROVIDER_KEY in props:
            raise ValueError("a dynamic resource must not define the __provider key")
        crossed = round_trip({**props, PROVIDER_KEY: self._pickled}, keep_unknowns=preview)
        secrets: set[str] = set()
        return _strip_secrets(crossed, "", secrets), secrets

    def _store(
        self, id_: str, outs: dict[str, Any], ins: dict[str, Any], secrets: set[str]
    ) -> Outputs:
        stored = round_trip({**outs, PROVIDER_KEY: self._pickled})
        plain = _strip_secrets(stored, "", set())
        marked = _annotated(plain, ins, secrets, "")
        texts = {t for p in secrets for t in _secret_texts(_at(ins, p))}
        for where, text in _plain_leaves(plain, "", marked | {PROVIDER_KEY}):
            if any(secret_text in text for secret_text in texts):
                raise SecretLeakError(
                    f"output {where!r} holds a secret input in plain text: the engine marks "
                    "an output secret only under the input's own name"
                )
        return Outputs(id_, plain, frozenset(marked))

    def check(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
        old, _ = self._inputs(olds, preview=True)
        new, _ = self._inputs(news, preview=True)
        return self.provider.check(old, new)

    def create(self, inputs: Mapping[str, Any]) -> Outputs:
        ins, secrets = self._inputs(inputs, preview=False)
        result = self.provider.create(ins)
        return self._store(str(result.id), dict(result.outs or {}), ins, secrets)

    def diff(self, id_: str, olds: Outputs | Mapping[str, Any], news: Mapping[str, Any]) -> Any:
        old = olds.props if isinstance(olds, Outputs) else self._inputs(olds, preview=True)[0]
        new, _ = self._inputs(news, preview=True)
        return self.provider.diff(id_, old, new)

    def update(
        self, id_: str, olds: Outputs | Mapping[str, Any], news: Mapping[str, Any]
    ) -> Outputs:
        old = olds.props if isinstance(olds, Outputs) else self._inputs(olds, preview=False)[0]
        new, secrets = self._inputs(news, preview=False)
        result = self.provider.update(id_, old, new)
        return self._store(id_, dict(result.outs or {}), new, secrets)

    def read(self, id_: str, props: Outputs | Mapping[str, Any]) -> Outputs:
        current = (
            props.props if isinstance(props, Outputs) else self._inputs(props, preview=False)[0]
        )
        result = self.provider.read(id_, current)
        return self._store(str(result.id or id_), dict(result.outs or {}), current, set())

    def delete(self, id_: str, props: Outputs | Mapping[str, Any]) -> None:
        current = (
            props.props if isinstance(props, Outputs) else self._inputs(props, preview=False)[0]
        )
        self.provider.delete(id_, current)


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def _at(value: Any, path: str) -> Any:
    for part in [p for p in path.replace("[", ".").replace("]", "").split(".") if p]:
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
