"""How a component takes its args: validated once into a resolved spec, refused as one
``ArgsError`` naming the component and each field, and (for Outputs) checked when they resolve.

Refusals in a preview wait for the end of the program, so a project with two clusters hears
about all of them at once: nothing is created in a preview, so going on costs nothing. That holds
for a refusal at construction (the refused cluster stands in with unknown Outputs, which what the
program reads from it keeps working with) and for a check of a value given as an Output (the
value stays unknown to what takes it): one Output, awaited after every check has run, fails the
program with all of them. The Python SDK awaits every pending Output before the program ends and
re-raises its error (pulumi/sdk/python/lib/pulumi/runtime/stack.py, wait_for_rpcs; pulumi >=
3.113). Outside a preview, `pulumi up` registers for real, so a refusal is raised at once (from
the check's apply for an Output) and nothing that takes the refused value is declared.

Each Output is checked on its own, as soon as it is known: a field still unknown on a first
preview (the id of a VPC the stack creates) never holds back the check of one already known (a
StackReference's subnets).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pulumi
from pydantic import BaseModel, ValidationError

from ...args import NeuronServingClusterArgs, ResolvedClusterArgs
from ...args.base import is_output
from ...args.cluster_rules import deploy_region_or_problems
from ...args.deferred import SEPARATELY_CHECKED, deferred_problems, output_fields
from ...args.identifiers import cluster_name_problems
from ...args.refusals import ArgsError, FieldProblem, from_problems, from_validation_error

Model = TypeVar("Model", bound=BaseModel)
_PENDING = "_graviton_llm_refused"


def validated(model: type[Model], name: str, args: object, kind: str) -> Model:
    """``args`` (a model or its dict form) validated, or an ArgsError naming ``name``."""
    try:
        return model.model_validate(args)
    except ValidationError as error:
        raise ArgsError(from_validation_error(error, model, name, kind)) from None


def merged_args(args: object, keywords: Mapping[str, Any]) -> object:
    """The args a component was given: the args object, or its keyword arguments."""
    if keywords and args is not None:
        raise TypeError("give either args or keyword arguments, not both")
    return dict(keywords) if args is None else args


def cluster_spec(
    name: str, args: object, *, explicit_provider: bool = False
) -> tuple[ResolvedClusterArgs, str]:
    """The cluster's resolved args and its deploy region, or one ArgsError with every problem
    (the name, the args, the region; ``explicit_provider``: the cluster was given an AWS
    provider, whose region the rollout checks)."""
    refused = from_problems(name, cluster_name_problems("name", name))
    try:
        spec = validated(NeuronServingClusterArgs, name, args, "cluster").resolved()
    except ArgsError as error:
        raise ArgsError([*refused, *error.problems]) from None
    region, problems = deploy_region_or_problems(
        spec, default_provider_region(), explicit_provider=explicit_provider
    )
    refused += from_problems(name, problems)
    if refused or region is None:
        raise ArgsError(refused)
    return spec, region


def default_provider_region() -> str | None:
    """The region the stack's default AWS provider deploys to: aws:region, else the environment
    the provider reads (AWS_REGION, AWS_DEFAULT_REGION)."""
    return (
        pulumi.Config("aws").get("region")
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
    )


@dataclass
class _Refusals:
    """A preview's refusals, raised together once the program has declared everything and
    every check of an Output has run (one per program run, kept on its root resource)."""

    found: list[tuple[int, ArgsError]] = field(default_factory=list)
    checks: list[Awaitable[Any]] = field(default_factory=list)
    declared: int = 0  # refusals and checks so far: their order in the combined error
    over: bool = False

    def place(self) -> int:
        self.declared += 1
        return self.declared

    async def fail(self) -> None:
        await asyncio.sleep(0)  # let every other component declare itself first
        while self.checks:
            running, self.checks = self.checks, []
            await asyncio.gather(*running, return_exceptions=True)
        self.over = True
        if self.found:
            raise ArgsError.combined(error for _, error in sorted(self.found, key=lambda f: f[0]))


def _preview_refusals() -> _Refusals | None:
    """This preview's refusals (None outside a preview: a refusal is raised at once)."""
    root = pulumi.runtime.get_root_resource()
    if not pulumi.runtime.is_dry_run() or root is None:
        return None
    refusals: _Refusals | None = getattr(root, _PENDING, None)
    if refusals is None or refusals.over:
        refusals = _Refusals()
        setattr(root, _PENDING, refusals)
        # An Output, so the SDK awaits it before the program ends and raises what it raises.
        pulumi.Output(set(), asyncio.ensure_future(refusals.fail()), _settled(True))
    return refusals


def refuse(error: ArgsError) -> None:
    """Raise ``error`` now, or (in a preview) once the program has declared everything."""
    refusals = _preview_refusals()
    if refusals is None:
        raise error
    refusals.found.append((refusals.place(), error))


def checked(
    value: pulumi.Input[Any], problems: Callable[[Any], list[FieldProblem]]
) -> pulumi.Output[Any]:
    """``value``, once ``problems`` found nothing in it. A refusal is raised from the apply, so
    nothing that takes the value is created; in a preview it waits for the end of the program,
    with every other cluster's, and the value stays unknown (nothing is created in a preview)."""
    refusals = _preview_refusals()
    place = refusals.place() if refusals is not None else 0

    def check(resolved: Any) -> Any:
        found = problems(resolved)
        if not found:
            return resolved
        if refusals is None:
            raise ArgsError(found)
        refusals.found.append((place, ArgsError(found)))
        return unknown_output()

    result = pulumi.Output.from_input(value).apply(check)
    if refusals is not None:
        refusals.checks.append(result.future(with_unknowns=True))
    return result


def unknown_output() -> pulumi.Output[Any]:
    """An Output no one will know before deploying (what a refused component hands out)."""
    return pulumi.Output(set(), _settled(None), _settled(False))


def stand_in(component: pulumi.ComponentResource, attributes: tuple[str, ...]) -> None:
    """A refused component in a preview: each attribute a program may read is unknown."""
    for attribute in attributes:
        setattr(component, attribute, unknown_output())


def _settled(value: Any) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
    future.set_result(value)
    return future


def gated(
    name: str, spec: ResolvedClusterArgs
) -> tuple[ResolvedClusterArgs, pulumi.Output[None] | None]:
    """``spec`` with each field that holds an Output replaced by one known only once that value
    passed its checks (a tag value on its own: each is checked as soon as it, and nothing else,
    is known), and the gate of them all (None when nothing waits), which the Auto Scaling group
    waits for. A failing check is refused as ``checked`` says: nothing that takes the value, and
    no node, is created."""
    waiting = {f: v for f, v in output_fields(spec).items() if f not in SEPARATELY_CHECKED}
    if not waiting:
        return spec, None

    def problems_of(path: str, put: Callable[[Any], Any]) -> Callable[[Any], list[FieldProblem]]:
        return lambda resolved: from_problems(name, deferred_problems(spec, {path: put(resolved)}))

    update: dict[str, Any] = {}
    every: list[pulumi.Output[Any]] = []
    for path, given in waiting.items():
        after: Any
        if isinstance(given, dict):  # tags: each Output value on its own
            after = dict(given)
            for key in [k for k, v in given.items() if is_output(v)]:
                value = checked(given[key], problems_of(path, _with(given, key)))
                after[key] = value
                every.append(value)
        else:
            after = checked(given, problems_of(path, lambda resolved: resolved))
            every.append(after)
        if "." in path:
            parent, child = path.split(".", 1)
            update[parent] = getattr(spec, parent).model_copy(update={child: after})
        else:
            update[path] = after
    # Unsecret: the gate carries no value, and must not make what waits for it secret.
    gate = pulumi.Output.unsecret(pulumi.Output.all(*every).apply(lambda _: None))
    return spec.model_copy(update=update), gate


def _with(mapping: dict[str, Any], key: str) -> Callable[[Any], dict[str, Any]]:
    """``mapping`` with ``key``'s value replaced by what resolved (the rest left as given)."""
    return lambda resolved: {**mapping, key: resolved}


def after_gate(gate: pulumi.Output[None] | None, value: pulumi.Input[Any]) -> pulumi.Input[Any]:
    """``value``, known only once ``gate`` passed (as it is when there is no gate)."""
    if gate is None:
        return value
    return pulumi.Output.all(gate, value).apply(lambda both: both[1])
