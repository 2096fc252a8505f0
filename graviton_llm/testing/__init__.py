"""Mock harness: run a Pulumi program in-process, no engine, no cloud, and see what it declares.

Public so teams that compose our components can unit-test their own stacks::

    from graviton_llm.testing import run_program

    def program():
        NeuronServingCluster("llm", {...})

    result = run_program(program)
    role = result.one("aws:iam/role:Role")
    assert role.protect

Every registered resource comes back with its type, name, inputs (camelCase, as the engine sees
them), parent and options (protect, ignore_changes, retain_on_delete, ...). Provider functions
(SSM AMI lookup, VPC lookup) answer with fixed, plausible values; pass ``calls`` to add more.

The harness is strict: mocks accept any input, AWS does not, so every registration is checked
against the rules AWS and its provider apply (graviton_llm/facts/aws_rules.py: name lengths and
characters, duplicate security-group permissions, user data size, tag limits, group sizes, a
role's inline policy size) and a violation fails the registration with an ``AwsRuleViolation``,
as `pulumi up` would fail.
``strict=False`` turns that off. What the engine itself refuses stays refused either way: a second
resource with a URN seen before (two clusters of one name) fails with a ``DuplicateResourceUrn``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.output import Unknown
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from .answers import MOCK_ACCOUNT, MOCK_AMI_ID, MOCK_VPC_CIDR, MOCK_VPC_ID, CallHandler
from .config import engine_config, secret_placeholder
from .mocks import AwsMocks, AwsRuleViolation, StrictAwsMocks
from .pickling import restore_pickler
from .urns import ROOT_STACK_TYPE, DuplicateResourceUrn, declared_at, engine_urn

__all__ = [
    "MOCK_ACCOUNT",
    "MOCK_AMI_ID",
    "MOCK_VPC_CIDR",
    "MOCK_VPC_ID",
    "AwsMocks",
    "AwsRuleViolation",
    "CallHandler",
    "DuplicateResourceUrn",
    "ProgramResult",
    "RegisteredResource",
    "Unknown",
    "resolve",
    "run_program",
    "secret_placeholder",
]


@dataclass
class RegisteredResource:
    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    parent_urn: str | None
    custom: bool
    protect: bool
    ignore_changes: list[str]
    retain_on_delete: bool
    delete_before_replace: bool
    dependencies: list[str]
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def parent_name(self) -> str | None:
        return self.parent_urn.rsplit("::", 1)[-1] if self.parent_urn else None


@dataclass
class ProgramResult:
    resources: list[RegisteredResource]
    # Each export's value; an export only the deployment will know (first preview) is Unknown.
    stack_outputs: dict[str, Any]
    value: Any = None
    error: BaseException | None = None
    secret_outputs: frozenset[str] = frozenset()  # exports that are secret Outputs

    def of_type(self, type_: str) -> list[RegisteredResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> RegisteredResource:
        found = self.of_type(type_)
        if len(found) != 1:
            raise AssertionError(f"expected one {type_}, found {len(found)}")
        return found[0]

    def named(self, name: str) -> RegisteredResource:
        for resource in self.resources:
            if resource.name == name:
                return resource
        raise KeyError(name)

    def children_of(self, parent: RegisteredResource) -> list[RegisteredResource]:
        return [r for r in self.resources if r.parent_urn == parent.urn]


class _CapturingMonitor(pulumi_mocks.MockMonitor):
    """Records each registration's options, which MockMonitor's own bookkeeping drops, under
    the URN the engine would give it; refuses a URN seen before, as the engine does (urns.py)."""

    def __init__(self, mocks: AwsMocks) -> None:
        super().__init__(mocks)
        self.captured: list[RegisteredResource] = []
        self.refused: list[DuplicateResourceUrn] = []
        self._declared: dict[str, str | None] = {}  # URN -> where the program declared it
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return engine_urn(pulumi.get_stack(), pulumi.get_project(), parent, type_, name)

    def _claim(self, request: Any) -> None:
        if request.type == ROOT_STACK_TYPE:
            return
        urn = self.make_urn(request.parent, request.type, request.name)
        with self._lock:
            if urn in self._declared:
                refused = DuplicateResourceUrn(
                    urn, request.type, request.name, self._declared[urn], declared_at(request)
                )
                self.refused.append(refused)
                raise refused
            self._declared[urn] = declared_at(request)

    def ReadResource(self, request: Any) -> Any:
        self._claim(request)
        return super().ReadResource(request)  # type: ignore[no-untyped-call]

    def RegisterResource(self, request: Any) -> Any:
        self._claim(request)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs = pulumi.runtime.rpc.deserialize_properties(request.object)
        registration = self.resources.get(response.urn)
        with self._lock:
            self.captured.append(
                RegisteredResource(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    inputs=dict(inputs),
                    parent_urn=request.parent or None,
                    custom=request.custom,
                    protect=bool(request.protect),
                    ignore_changes=list(request.ignoreChanges),
                    retain_on_delete=bool(request.retainOnDelete),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    dependencies=list(request.dependencies),
                    outputs=dict(registration.state) if registration else {},
                )
            )
        return response


def _ensure_event_loop() -> None:
    """Pulumi's runtime drives its RPCs on the thread's current event loop; a test that ran
    `asyncio.run` before (it closes and unsets the loop) must not break the next program."""
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
        if not loop.is_closed():
            return
    except RuntimeError:
        pass
    asyncio.set_event_loop(asyncio.new_event_loop())


_REPORTED = "_graviton_llm_reported"


def _mark_reported(error: BaseException) -> None:
    """``error`` and the errors it wraps (Pulumi re-raises an apply's error once per input and
    resource, each stored in futures of its own): all reach the caller as this one. Walked with
    a visited set: a chain may loop."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        with contextlib.suppress(AttributeError):
            setattr(current, _REPORTED, True)
        todo += [current.__cause__, current.__context__]


def _quiet_reported_failures() -> None:
    """A failed program's error reaches the caller once, from run_program. Pulumi also stores it
    in every output future of the failed resource, which nobody awaits: without this, asyncio
    prints each one as "Future exception was never retrieved" whenever it is collected, often
    in a later, unrelated test. Anything else still goes to the handler in place before."""
    loop = asyncio.get_event_loop_policy().get_event_loop()
    previous = loop.get_exception_handler()
    if getattr(previous, _REPORTED, False):
        return

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if getattr(context.get("exception"), _REPORTED, False) and "future" in context:
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    setattr(handler, _REPORTED, True)
    loop.set_exception_handler(handler)


def run_program(
    program: Callable[[], Any],
    *,
    config: Mapping[str, Any] | None = None,
    secret_keys: Iterable[str] = (),
    project: str = "graviton-llm",
    stack: str = "test",
    region: str = "us-east-1",
    calls: Mapping[str, CallHandler] | None = None,
    stack_references: Mapping[str, Mapping[str, Any]] | None = None,
    preview: bool = True,
    first_preview: bool = False,
    catch: bool = False,
    strict: bool = True,
) -> ProgramResult:
    """Run ``program`` under Pulumi mocks and return every resource it registered.

    ``config`` maps "namespace:key" to a value, as a stack file's ``config:`` does (objects are
    JSON-encoded as the CLI does; a ``{"secure": ...}`` value becomes a placeholder under a secret
    key, see ``config.py``); ``secret_keys`` marks further keys secret; ``aws:region`` defaults
    to ``region``. ``stack_references`` maps a stack's name ("org/project/stack") to the outputs
    a ``pulumi.StackReference`` to it reads; a stack not listed has unknown outputs.
    ``preview=False`` runs as `pulumi up` deploys; ``first_preview=True`` as the first
    `pulumi preview` of a stack: every attribute AWS computes on create is unknown. An exception
    from the program propagates after the runtime has settled; with ``catch=True`` it is returned
    in ``error`` instead, beside the resources registered before it (to prove a failed program
    created nothing).
    """
    if first_preview and not preview:
        raise ValueError("first_preview=True is a preview: leave preview=True")
    _ensure_event_loop()
    _quiet_reported_failures()
    values, secret = engine_config({"aws:region": region, **(config or {})}, secret_keys)
    pulumi.runtime.set_all_config(values, secret or None)
    mock_type = StrictAwsMocks if strict else AwsMocks
    mocks = mock_type(region, calls, first_preview=first_preview, stack_references=stack_references)
    monitor = _CapturingMonitor(mocks)
    # A fresh root stack per run, so exports of one run do not leak into the next.
    pulumi_settings.ROOT.set(None)
    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()
    pulumi.runtime.set_mocks(
        monitor.mocks, project=project, stack=stack, preview=preview, monitor=monitor
    )
    holder: dict[str, Any] = {}

    async def main() -> None:
        value = program()
        # An async program (one that awaits the engine's machinery, e.g. construct.py) runs to
        # its end inside the runtime, as `pulumi up` would run it.
        holder["value"] = await value if inspect.isawaitable(value) else value

    error: BaseException | None = None
    try:
        _sync_await(run_pulumi_func(main))
    except Exception as exc:
        error = exc
    finally:
        pulumi.runtime.set_all_config({}, [] if secret else None)
        restore_pickler()
    if error is not None and error.__cause__ is error:
        # The SDK re-raises a failed registration's error `from` itself (runtime/stack.py,
        # wait_for_rpcs): a chain that never ends for whoever walks it.
        error.__cause__ = None
    violations: list[Exception] = [*monitor.refused]
    if isinstance(mocks, StrictAwsMocks):
        violations += mocks.violations
    for reported in [error, *violations] if error is not None else []:
        _mark_reported(reported)
    # The engine reports a failed registration in its own words: raise the rule behind it.
    if violations:
        error = violations[0]
    if error is not None and not catch:
        raise error
    root = pulumi_settings.get_root_resource()
    exported: dict[str, Any] = getattr(root, "outputs", {}) if error is None else {}
    return ProgramResult(
        resources=list(monitor.captured),
        stack_outputs={key: resolve(value, unknowns=True) for key, value in exported.items()},
        value=holder.get("value"),
        error=error,
        secret_outputs=frozenset(name for name, value in exported.items() if _secret(value)),
    )


def resolve(value: Any, *, unknowns: bool = False) -> Any:
    """The plain value of an Output (or of any input) created in the last ``run_program``. A
    value only the deployment will know is None, or ``Unknown()`` with ``unknowns=True``."""
    output: pulumi.Output[Any] = pulumi.Output.from_input(value)
    return _sync_await(output.future(with_unknowns=unknowns))


def _secret(value: Any) -> bool:
    if not isinstance(value, pulumi.Output):
        return False
    return bool(_sync_await(value.is_secret()))
