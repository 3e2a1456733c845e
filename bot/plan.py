"""The pull request units: one per child with live fixes, or per atomic group of children. Pure."""
from __future__ import annotations

from collections.abc import Callable

from bot.config import Config, slug_for
from bot.model import DiffReport, Divergence, ProposedPR

TitleFn = Callable[[tuple[str, ...], str], str]


def default_title(children: tuple[str, ...], base: str) -> str:
    return f"drift: bring the live fixes of {' + '.join(children)} back to {base}"


def proposed_prs(report: DiffReport, config: Config, title: TitleFn = default_title) -> tuple[ProposedPR, ...]:
    """One PR per child with divergences, or per atomic group when any member has some."""
    by_child: dict[str, list[Divergence]] = {}
    for d in report.routed:
        by_child.setdefault(d.child, []).append(d)  # type: ignore[arg-type]
    order = [c.name for c in config.children]
    units: list[tuple[str, ...]] = []
    for name in order:
        group = next((g for g in config.groups if name in g), (name,))
        if group not in units and any(member in by_child for member in group):
            units.append(group)
    prs = []
    for unit in units:
        members = tuple(m for m in unit if m in by_child) if len(unit) == 1 else unit
        divergences = tuple(d for m in unit for d in by_child.get(m, ()))
        issues = tuple(c.issue for m in unit if (c := config.child(m)) is not None and c.issue is not None)
        slug = slug_for(members)
        prs.append(ProposedPR(slug, f"drift/{slug}", title(members, config.base), members, issues, divergences))
    return tuple(prs)
