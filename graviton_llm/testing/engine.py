"""Run a Pulumi dynamic provider the way `pulumi up` and `pulumi refresh` run it, for tests.

Mocks hand a dynamic provider's methods the Python values the program built; the real engine
does not. `pulumi.dynamic`'s provider host (pulumi/pulumi `sdk/python/lib/pulumi/dynamic/
__main__.py`) receives every property as a protobuf Struct, so:

- every number arrives as a float (66 -> 66.0), and a None value disappears;
- on `diff` and `check` (preview), a value not known yet arrives as `Unknown` (the host
  deserializes with keep_unknowns);
- secrets arrive in plain text: the host answers Configure with acceptSecrets false, so the
  engine strips them, and afterwards marks an output secret only where the same path held one
  before (pulumi `sdk/go/common/resource/plugin/provider_plugin.go`, annotateSecrets: the
  inputs for create and update, the stored outputs for read): a secret copied under another
  name is stored in plain text;
- the provider object is rebuilt from a dill pickle and `configure`d with the whole stack
  config (`aws:region`, ...; pulumi/pulumi#17673), once per pickle per process. Which pickle
  depends on the call: `check`, `diff`, `create` and `update` use the one in the new inputs
  (the program's; the old one when the new is unknown), `read` and `delete` the one in the
  stored outputs (a stack deployed by an older version holds its own);
- `read` answers with the id it returns: a blank id tells the engine the resource is gone, and
  no outputs at all crash the host; its outputs keep the secrets the stored outputs had;
- the outputs are serialized again, and are what the next `diff`/`update` gets as `olds`;
- `pulumi refresh` (RefreshStep.Apply, pulumi/pulumi#16146, v3.120 on) reads the resource, then
  asks the provider's `diff` with the refreshed outputs as olds and the stored inputs as news:
  drift is whatever that diff reports, and DIFF_NONE hides what `read` found.

`DynamicProviderHost` does each of these steps with the SDK's own `rpc.serialize_properties`,
`rpc.deserialize_properties` and `serialize_provider`, so a provider that only works on
Python ints or leaks a secret fails here as it would under the engine. Pair it with
`graviton_llm.testing.aws_stubs` so every AWS call is validated by botocore's Stubber.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import dill
from pulumi.dynamic import ConfigureRequest, DiffResult, ResourceProvider
from pulumi.dynamic.config import Config
from pulumi.output import Unknown
from pulumi.runtime import rpc

from .pickling import pickled_provider

PROVIDER_KEY = "__provider"
UNKNOWN = rpc.UNKNOWN
"""Put this where an input is not known yet (a first preview): `diff` gets `Unknown`."""


def secret(value: Any) -> dict[str, Any]:
    """An input the program marked secret (`pulumi.Output.secret`), as the engine carries it."""
    wrapped: dict[str, Any] = rpc.wrap_rpc_secret(value)
    return wrapped


class SecretLeakError(AssertionError):
    """A provider returned a secret input's value where the engine stores it in plain text."""


class ProviderHostError(RuntimeError):
    """What the real provider host fails on (e.g. `read` returning no outputs)."""


@dataclass(frozen=True)
class Outputs:
    """What the engine stores for the resource: its id, the outputs as the next call gets them
    (`props`, with the provider's pickle), the output paths it encrypts (`secret_paths`), and
    the inputs it recorded beside them (`inputs`, secrets still wrapped), which `pulumi
    refresh` diffs against."""

    id: str
    props: dict[str, Any]
    secret_paths: frozenset[str] = field(default_factory=frozenset)
    inputs: dict[str, Any] = field(default_factory=dict)

    def with_provider(self, pickled: str) -> Outputs:
        """This state as a stack deployed with another provider pickle holds it (in both its
        outputs and its inputs), e.g. one naming a class path an older release used."""
        return dataclasses.replace(
            self,
            props={**self.props, PROVIDER_KEY: pickled},
            inputs={**self.inputs, PROVIDER_KEY: pickled},
        )


@dataclass(frozen=True)
class Refreshed:
    """What `pulumi refresh` makes of the resource: the state it stores (None: deleted), what
    it shows (`same` hides any change read found, `update` shows drift, `delete`), and the
    provider's diff of the refreshed outputs against the stored inputs."""

    state: Outputs | None
    op: Literal["same", "update", "delete"]
    diff: DiffResult | None = None


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


def secrets_stripped(value: Any) -> Any:
    return _strip_secrets(value, "", set())


def _secret_texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _secret_texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _secret_texts(item)]
    return [value] if isinstance(value, str) and value else []


def _annotated(outs: dict[str, Any], ins: dict[str, Any], secrets: set[str], path: str) -> set[str]:
    """The output paths the engine marks secret: where the same path of ``ins`` (the inputs,
    or on read the stored outputs) held one (annotateSecrets recurses only where both sides
    are objects)."""
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
    """Providers as the engine hosts them: rebuilt from their pickles, configured with
    ``config`` (the stack's config, `namespace:key` -> value), called with round-tripped
    props. ``provider`` is the one the program declares the resource with."""

    def __init__(
        self,
        provider: ResourceProvider,
        config: Mapping[str, Any] | None = None,
        project: str = "project",
    ) -> None:
        self._config = dict(config or {})
        self._project = project
        self._pickled: str = pickled_provider(provider)
        self._loaded: dict[str, ResourceProvider] = {}

    @property
    def pickled(self) -> str:
        """The program's provider, as the resource's inputs carry it."""
        return self._pickled

    @property
    def provider(self) -> ResourceProvider:
        """The program's provider as the host rebuilt and configured it."""
        return self._provider_of(self._pickled)

    def _provider_of(self, pickled: Any) -> ResourceProvider:
        """get_provider: one provider per pickle per process, configured once."""
        if not isinstance(pickled, str):
            raise ProviderHostError(f"no provider pickle in the properties ({pickled!r})")
        if pickled not in self._loaded:
            rebuilt = dill.loads(base64.b64decode(pickled))
            rebuilt.configure(ConfigureRequest(Config(dict(self._config), self._project)))
            self._loaded[pickled] = rebuilt
        return self._loaded[pickled]

    def _inputs(self, props: Mapping[str, Any], *, preview: bool) -> dict[str, Any]:
        """The program's inputs as the engine carries them: round-tripped, with the pickle."""
        if PROVIDER_KEY in props:
            raise ValueError("a dynamic resource must not define the __provider key")
        return round_trip({**props, PROVIDER_KEY: self._pickled}, keep_unknowns=preview)

    def _store(
        self,
        id_: str,
        outs: dict[str, Any],
        before: dict[str, Any],
        secrets: set[str],
        *,
        pickled: Any,
        inputs: dict[str, Any],
    ) -> Outputs:
        """The outputs the engine stores; ``before`` and ``secrets``: what annotateSecrets
        marks them from (the inputs with their secret paths, or the stored outputs)."""
        stored = round_trip({**outs, PROVIDER_KEY: pickled})
        plain = secrets_stripped(stored)
        marked = _annotated(plain, before, secrets, "")
        texts = {t for p in secrets for t in _secret_texts(_at(before, p))}
        for where, text in _plain_leaves(plain, "", marked | {PROVIDER_KEY}):
            if any(secret_text in text for secret_text in texts):
                raise SecretLeakError(
                    f"output {where!r} holds a secret input in plain text: the engine marks "
                    "an output secret only under the input's own name"
                )
        return Outputs(id_, plain, frozenset(marked), inputs)

    def check(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
        old = secrets_stripped(self._inputs(olds, preview=True))
        new = secrets_stripped(self._inputs(news, preview=True))
        return self.provider.check(old, new)

    def create(self, inputs: Mapping[str, Any]) -> Outputs:
        crossed = self._inputs(inputs, preview=False)
        secrets: set[str] = set()
        ins = _strip_secrets(crossed, "", secrets)
        result = self._provider_of(ins[PROVIDER_KEY]).create(ins)
        outs = dict(result.outs or {})
        return self._store(str(result.id), outs, ins, secrets, pickled=ins[PROVIDER_KEY],
                           inputs=crossed)  # fmt: skip

    def _old(self, olds: Outputs | Mapping[str, Any], preview: bool) -> dict[str, Any]:
        """The stored state a step compares against: a provider's outputs as they are, or
        inputs crossed through the engine's serialization."""
        if isinstance(olds, Outputs):
            return dict(olds.props)
        return dict(secrets_stripped(self._inputs(olds, preview=preview)))

    def _diff(self, id_: str, old: dict[str, Any], new: dict[str, Any]) -> DiffResult:
        pickled = old.get(PROVIDER_KEY) if is_unknown(new.get(PROVIDER_KEY)) else new[PROVIDER_KEY]
        result: DiffResult = self._provider_of(pickled).diff(id_, old, new)
        return result

    def diff(
        self, id_: str, olds: Outputs | Mapping[str, Any], news: Mapping[str, Any]
    ) -> DiffResult:
        old = self._old(olds, preview=True)
        return self._diff(id_, old, secrets_stripped(self._inputs(news, preview=True)))

    def update(
        self, id_: str, olds: Outputs | Mapping[str, Any], news: Mapping[str, Any]
    ) -> Outputs:
        old = self._old(olds, preview=False)
        crossed = self._inputs(news, preview=False)
        secrets: set[str] = set()
        new = _strip_secrets(crossed, "", secrets)
        result = self._provider_of(new[PROVIDER_KEY]).update(id_, old, new)
        outs = dict(result.outs or {})
        return self._store(id_, outs, new, secrets, pickled=new[PROVIDER_KEY], inputs=crossed)

    def _state(self, state: Outputs | Mapping[str, Any]) -> Outputs:
        if isinstance(state, Outputs):
            return state
        crossed = self._inputs(state, preview=False)
        secrets: set[str] = set()
        return Outputs("", _strip_secrets(crossed, "", secrets), frozenset(secrets), crossed)

    def read(self, id_: str, state: Outputs | Mapping[str, Any]) -> Outputs | None:
        """`Read` as the host answers it: None when the provider returned a blank id (the
        engine then drops the resource from the stack)."""
        stored = self._state(state)
        current = stored.props
        result = self._provider_of(current.get(PROVIDER_KEY)).read(id_, dict(current))
        if result.outs is None:
            raise ProviderHostError(
                "read returned no outputs: the dynamic provider host fails (it adds the "
                "provider's pickle to them); return the outputs, or a blank id when it is gone"
            )
        if not result.id:
            return None
        inputs = stored.inputs
        if result.inputs is not None:
            inputs = round_trip({**result.inputs, PROVIDER_KEY: current.get(PROVIDER_KEY)})
        return self._store(str(result.id), dict(result.outs), current, set(stored.secret_paths),
                           pickled=current.get(PROVIDER_KEY), inputs=inputs)  # fmt: skip

    def delete(self, id_: str, state: Outputs | Mapping[str, Any]) -> None:
        current = self._state(state).props
        self._provider_of(current.get(PROVIDER_KEY)).delete(id_, dict(current))

    def refresh(self, state: Outputs) -> Refreshed:
        """`pulumi refresh` of a resource the engine stores as ``state``: read it, then diff
        the refreshed outputs (as olds) against the stored inputs (as news) with the provider
        the stored inputs name; the engine inverts that diff and shows it only when it is not
        DIFF_NONE (an unknown answer falls back to comparing the inputs, which refresh did
        not change unless read returned some)."""
        if not state.inputs:
            raise ValueError("the state has no inputs (keep the Outputs create/update returned)")
        refreshed = self.read(state.id, state)
        if refreshed is None:
            return Refreshed(None, "delete")
        news = secrets_stripped(state.inputs)
        diff = self._diff(refreshed.id, refreshed.props, news)
        changes = diff.changes
        if changes is None:
            changes = secrets_stripped(refreshed.inputs) != news
        return Refreshed(refreshed, "update" if changes else "same", diff)


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def _at(value: Any, path: str) -> Any:
    for part in [p for p in path.replace("[", ".").replace("]", "").split(".") if p]:
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
