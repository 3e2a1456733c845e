"""route: each divergence to exactly one child, by the first `children:` rule that claims it."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.config import ChildRule
from bot.globs import rule_matches
from bot.model import Divergence


def child_for(divergence: Divergence, children: Sequence[ChildRule]) -> str | None:
    for child in children:
        if any(rule_matches(rule, divergence.file, divergence.pointer) for rule in child.match):
            return child.name
    return None


def route_divergences(divergences: Iterable[Divergence], children: Sequence[ChildRule]) -> tuple[Divergence, ...]:
    """Divergences no rule claims keep `child=None`: they are reported as unrouted, never dropped."""
    return tuple(replace(d, child=child_for(d, children)) for d in divergences)
