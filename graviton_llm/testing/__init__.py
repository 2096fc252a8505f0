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
``strict=False`` turns that off.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from ..facts import aws_rules
from .answers import (
    MOCK_ACCOUNT,
    MOCK_AMI_ID,
    MOCK_VPC_CIDR,
    MOCK_VPC_ID,
    CallHandler,
    computed_outputs,
    default_calls,
    mock_id,
    vpc_answer,
)

__all__ = [
    "MOCK_ACCOUNT",
    "MOCK_AMI_ID",
    "MOCK_VPC_CIDR",
    "MOCK_VPC_ID",
    "AwsRuleViolation",
    "CallHandler",
    "ProgramResult",
    "RegisteredResource",
    "resolve",
    "run_program",
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
    stack_outputs: dict[str, Any]
    value: Any = None
    error: BaseException | None = None

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


class AwsRuleViolation(Exception):
    """A resource AWS or its provider would refuse, named with every reason."""

    def __init__(self, type_: str, name: str, problems: list[str]) -> None:
        self.type, self.name, self.problems = type_, name, problems
        super().__init__(f"{type_} {name!r}: " + "; ".join(problems))


class _Mocks(pulumi_mocks.Mocks):
    def __init__(self, region: str, calls: Mapping[str, CallHandler], strict: bool):
        self.region = region
        self.calls = {**default_calls(region), **calls}
        self.strict = strict
        self.violations: list[AwsRuleViolation] = []
        self.vpcs: dict[str, str] = {}
        self.inline_policy_chars: Counter[str] = Counter()  # per role, as IAM counts them

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        inputs = dict(args.inputs)
        if self.strict:
            problems = aws_rules.violations(args.typ, args.name, inputs)
            size = aws_rules.inline_policy_size(args.typ, inputs)
            if size is not None:
                role, chars = size
                self.inline_policy_chars[role] += chars
                problems += aws_rules.role_policy_problems(role, self.inline_policy_chars[role])
            if problems:
                violation = AwsRuleViolation(args.typ, args.name, problems)
                self.violations.append(violation)
                raise violation
        outputs = computed_outputs(args.typ, args.name, inputs, self.region)
        if args.typ == "aws:ec2/vpc:Vpc" and isinstance(inputs.get("cidrBlock"), str):
            # A lookup of a VPC the program created answers with that VPC's own CIDR.
            self.vpcs[mock_id(args.name)] = inputs["cidrBlock"]
        return mock_id(args.name), outputs

    def call(self, args: pulumi_mocks.MockCallArgs):
        call_args = dict(args.args)
        if args.token == "aws:ec2/getVpc:getVpc" and call_args.get("id") in self.vpcs:
            return vpc_answer(call_args["id"], self.vpcs[call_args["id"]], self.region)
        handler = self.calls.get(args.token)
        if handler is None:
            raise NotImplementedError(f"graviton_llm.testing: no mock for {args.token}")
        return handler(call_args)


class _CapturingMonitor(pulumi_mocks.MockMonitor):
    """Records each registration's options, which MockMonitor's own bookkeeping drops."""

    def __init__(self, mocks: _Mocks):
        super().__init__(mocks)
        self.captured: list[RegisteredResource] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
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
    project: str = "graviton-llm",
    stack: str = "test",
    region: str = "us-east-1",
    calls: Mapping[str, CallHandler] | None = None,
    preview: bool = True,
    catch: bool = False,
    strict: bool = True,
) -> ProgramResult:
    """Run ``program`` under Pulumi mocks and return every resource it registered.

    ``config`` maps "namespace:key" to a value (objects are JSON-encoded as the CLI does);
    ``aws:region`` defaults to ``region``. An exception from the program propagates after the
    runtime has settled; with ``catch=True`` it is returned in ``error`` instead, beside the
    resources registered before it (to prove a failed program created nothing).
    """
    import json

    _ensure_event_loop()
    _quiet_reported_failures()
    all_config = {"aws:region": region, **(config or {})}
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in all_config.items()}
    )
    mocks = _Mocks(region, calls or {}, strict)
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
        holder["value"] = program()

    error: BaseException | None = None
    try:
        _sync_await(run_pulumi_func(main))
    except Exception as exc:
        error = exc
    finally:
        pulumi.runtime.set_all_config({})
    for reported in [error, *mocks.violations] if error is not None else []:
        _mark_reported(reported)
    # The engine reports a failed registration in its own words: raise the rule behind it.
    if mocks.violations:
        error = mocks.violations[0]
    if error is not None and not catch:
        raise error
    root = pulumi_settings.get_root_resource()
    exported = getattr(root, "outputs", {}) if error is None else {}
    return ProgramResult(
        resources=list(monitor.captured),
        stack_outputs={key: resolve(value) for key, value in exported.items()},
        value=holder.get("value"),
        error=error,
    )


def resolve(value: Any) -> Any:
    """The plain value of an Output (or of any input) created in the last ``run_program``."""
    return _sync_await(pulumi.Output.from_input(value).future())
