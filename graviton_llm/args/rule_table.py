"""A rule over a cluster's args, declared as a row (id, the fields it reads, what it requires,
its check), and the one loop that runs a table of them.

Like ``facts/rules.py`` for the plan's checks: each rule is written once, listed in
docs/args-rules.md (tests/args/test_rule_table.py keeps the two in step, and gives every rule a
refused and an accepted case), and run in table order so the problems come out in that order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..facts import catalog
from .problems import Problem
from .views import ClusterView


@dataclass(frozen=True)
class ArgsRule:
    id: str
    reads: tuple[str, ...]
    """The fields the check reads (dotted for nested ones)."""
    requires: str
    """What it requires, as the docs list it (the refusal itself says the fix)."""
    check: Callable[[ClusterView], list[Problem]]
    needs_instance_type: bool = False
    """Skipped while instance_type is not in the catalog: it reads the instance's row, and the
    instance-type rule already refuses the field."""
    unless_refused: tuple[str, ...] = ()
    """Skipped when an earlier rule refused one of these fields (it would judge a combination
    the user must change anyway, e.g. the memory fit of a tensor-parallel degree refused)."""


def judge(rules: Sequence[ArgsRule], args: ClusterView) -> list[Problem]:
    """Every problem the rules find, in table order."""
    known = catalog.instance_spec(args.instance_type) is not None
    problems: list[Problem] = []
    for rule in rules:
        if rule.needs_instance_type and not known:
            continue
        if any(p.field in rule.unless_refused for p in problems):
            continue
        problems += rule.check(args)
    return problems
