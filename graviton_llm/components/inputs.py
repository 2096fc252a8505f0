"""How a component takes its args: validated once into a resolved spec, refused as one
``ArgsError`` naming the component and each field, and (for Outputs) checked when they resolve.

Refusals in a preview wait for the end of the program, so a project with two clusters hears
about both at once: nothing is created in a preview, so going on costs nothing. The refused
cluster stands in with unknown Outputs (what the program reads from it keeps working), and one
failing Output fails the program after everything was declared: the Python SDK awaits every
pending Output before the program ends and re-raises its error (pulumi/sdk/python/lib/pulumi/
runtime/stack.py, wait_for_rpcs; pulumi >= 3.113). Outside a preview, `pulumi up` registers for
real, so a refusal is raised at once and nothing after it is declared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, TypeVar

import pulumi
from pydantic import BaseModel, ValidationError

from ..args import NeuronServingClusterArgs, ResolvedClusterArgs
from ..args.base import is_output
from ..args.cluster import deploy_region_or_problems
from ..args.deferred import SEPARATELY_CHECKED, deferred_problems, output_fields
from ..args.identifiers import cluster_name_problems
from ..args.refusals import ArgsError, from_problems, from_validation_error

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
    region, problems = deploy_region_or_problems(spec, explicit_provider=explicit_provider)
    refused += from_problems(name, problems)
    if refused or region is None:
        raise ArgsError(refused)
    return spec, region


def refuse(error: ArgsError) -> None:
    """Raise ``error`` now, or (in a preview) once the program has declared everything."""
    root = pulumi.runtime.get_root_resource()
    if not pulumi.runtime.is_dry_run() or root is None:
        raise error
    pending: list[ArgsError] | None = getattr(root, _PENDING, None)
    if pending:
        pending.append(error)
        return
    pending = [error]
    setattr(root, _PENDING, pending)

    async def fail() -> None:
        await asyncio.sleep(0)  # let every other component declare itself first
        refused = list(pending)
        pending.clear()
        raise ArgsError.combined(refused)

    pulumi.Output(set(), asyncio.ensure_future(fail()), _settled(True))


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
    """``spec`` with each field that holds an Output replaced by one that resolves only once
    every such field passed its checks, and that gate itself (None when nothing waits). A
    failing check raises the ArgsError from the gate's apply, so every resource that takes one
    of those values (and the Auto Scaling group, which waits for the gate) is never created."""
    waiting = {f: v for f, v in output_fields(spec).items() if f not in SEPARATELY_CHECKED}
    if not waiting:
        return spec, None
    fields = list(waiting)

    def check(values: list[Any]) -> None:
        problems = deferred_problems(spec, dict(zip(fields, values, strict=True)))
        if problems:
            raise ArgsError(from_problems(name, problems))

    values = [pulumi.Output.from_input(value) for value in waiting.values()]
    # Unsecret: the gate carries no value, and must not make every field it guards secret.
    gate = pulumi.Output.unsecret(pulumi.Output.all(*values).apply(check))
    update: dict[str, Any] = {}
    for field, given, value in zip(fields, waiting.values(), values, strict=True):
        # A mapping (tags) stays a mapping: each Output value waits for the gate.
        after = (
            {k: after_gate(gate, v) if is_output(v) else v for k, v in given.items()}
            if isinstance(given, dict)
            else after_gate(gate, value)
        )
        if "." in field:
            parent, child = field.split(".", 1)
            update[parent] = getattr(spec, parent).model_copy(update={child: after})
        else:
            update[field] = after
    return spec.model_copy(update=update), gate


def after_gate(gate: pulumi.Output[None] | None, value: pulumi.Input[Any]) -> pulumi.Input[Any]:
    """``value``, known only once ``gate`` passed (as it is when there is no gate)."""
    if gate is None:
        return value
    return pulumi.Output.all(gate, value).apply(lambda both: both[1])
