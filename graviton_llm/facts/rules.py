"""One rule over what a program sends to the engine, written once and adapted by each judge.

A rule reads resources as the engine sees them (type, logical name, camelCase inputs) and a
configuration, and returns what it finds. ``graviton-llm plan`` runs the security checks
(plan/findings.py) on a program's resources with the defaults; the strict mock harness runs the
AWS rules (facts/aws_rules.py) on each registration; the policy pack (graviton_llm/policy) runs
both on any stack, with the configuration a platform team gives it. Each judge adapts the same
``Rule``: change its function or a figure it reads, and every judge changes with it.

A "resource" rule judges each resource alone (the pack runs it as a resource policy, one
resource at a time); a "stack" rule needs them together (a stack policy). ``unknowns`` says how
the rule meets a value only the deployment knows (an unknown on a preview): "skipped" rules
never report one; "absent" rules read it as missing, so what they report on a resource holding
one is not decided until the value is known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Level = Literal["advisory", "mandatory"]
Scope = Literal["resource", "stack"]
Unknowns = Literal["skipped", "absent"]


class EngineResource(Protocol):
    """A resource as the engine sends it: its type token, logical name and inputs."""

    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def inputs(self) -> dict[str, Any]: ...


class Reported(Protocol):
    """What a rule found: the resource (logical name and type) and why."""

    @property
    def resource(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def detail(self) -> str: ...


@dataclass(frozen=True)
class Violation:
    resource: str
    type: str
    detail: str


@dataclass(frozen=True)
class Option:
    """A setting a platform team may give the rule: its name as Pulumi policy configuration
    spells it (camelCase) and its JSON schema, whose "default" is what `plan` uses."""

    name: str
    schema: Mapping[str, Any]


Judge = Callable[[Sequence[EngineResource], Mapping[str, Any]], Sequence[Reported]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    scope: Scope
    level: Level  # the policy pack's default enforcement; `plan` fails on every rule
    unknowns: Unknowns
    judge: Judge
    options: tuple[Option, ...] = ()

    def settings(self, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Each option's value: the one given, else its default (unknown names are ignored:
        Pulumi validates configuration against ``options`` before the pack sees it)."""
        given = given or {}
        return {o.name: given.get(o.name, o.schema.get("default")) for o in self.options}

    def __call__(
        self, resources: Sequence[EngineResource], config: Mapping[str, Any] | None = None
    ) -> list[Reported]:
        return list(self.judge(resources, self.settings(config)))


def each_resource(
    check: Callable[[str, str, dict[str, Any]], list[str]],
) -> Judge:
    """A judge over resources from a check of one resource's (type, logical name, inputs)."""

    def judge(resources: Sequence[EngineResource], config: Mapping[str, Any]) -> list[Violation]:
        return [
            Violation(r.name, r.type, problem)
            for r in resources
            for problem in check(r.type, r.name, r.inputs)
        ]

    return judge
