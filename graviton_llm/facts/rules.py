"""One rule over what a program sends to the engine, written once and adapted by each judge.

A rule reads resources as the engine sees them (type, logical name, camelCase inputs) and a
configuration, and returns what it finds. ``graviton-llm plan`` runs the security checks
(plan/findings.py) on a program's resources with the defaults; the strict mock harness runs the
AWS rules (facts/aws_rules.py) on each registration; the policy pack (graviton_llm/policy) runs
both on any stack, with the configuration a platform team gives it. Each judge adapts the same
``Rule``: change its function or a figure it reads, and every judge changes with it.

A "resource" rule judges each resource alone (the pack runs it as a resource policy, on each
resource's inputs before it is sent: it can refuse); a "stack" rule needs them together (a stack
policy, which the engine runs on every resource's outputs once the deployment is done: it
reports after the fact), so a rule is a stack rule only when it cannot be a resource rule.
``unknowns`` says how the rule meets a value only the deployment knows (an unknown on a
preview): "skipped" rules never report one; "absent" rules read it as missing, so what they
find on a resource where they read one is not decided until the value is known.
"""

from __future__ import annotations

import difflib
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
    def inputs(self) -> Mapping[str, Any]: ...


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
    spells it (camelCase), its JSON schema, whose "default" is what `plan` uses, and what it
    finds wrong in a value (each problem naming where, e.g. allowedCidrs[1], and the fix)."""

    name: str
    schema: Mapping[str, Any]
    problems: Callable[[Any], list[str]] | None = None


class RuleConfigError(ValueError):
    """Settings a rule cannot honour, each named with its fix. Pulumi checks settings against
    the option's schema (type only) and passes a misspelled name through unchecked (the
    engine's convertSchema sets no additionalProperties), so the rule refuses both itself."""

    def __init__(self, rule: str, problems: Sequence[str]) -> None:
        self.rule, self.problems = rule, tuple(problems)
        super().__init__(f"graviton-llm policy {rule!r} configuration: " + "; ".join(problems))


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
        """Each option's value: the one given, else its default. A name the rule has no option
        for, or a value an option refuses, raises RuleConfigError naming each."""
        given = given or {}
        names = [o.name for o in self.options]
        problems = [_unknown_option(key, names) for key in given if key not in names]
        for option in self.options:
            if option.name in given and option.problems is not None:
                problems += option.problems(given[option.name])
        if problems:
            raise RuleConfigError(self.id, problems)
        return {o.name: given.get(o.name, o.schema.get("default")) for o in self.options}

    def __call__(
        self, resources: Sequence[EngineResource], config: Mapping[str, Any] | None = None
    ) -> list[Reported]:
        return list(self.judge(resources, self.settings(config)))


def _unknown_option(key: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"options: {', '.join(names) or 'none'}"
    return f"{key!r} is not an option of this policy ({hint})"


def each_resource(
    check: Callable[[str, str, Mapping[str, Any]], list[str]],
) -> Judge:
    """A judge over resources from a check of one resource's (type, logical name, inputs)."""

    def judge(resources: Sequence[EngineResource], config: Mapping[str, Any]) -> list[Violation]:
        return [
            Violation(r.name, r.type, problem)
            for r in resources
            for problem in check(r.type, r.name, r.inputs)
        ]

    return judge
