"""Turning reports and plans into text, markdown and JSON, all through templates/ files."""
from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jinja2

from bot.model import DiffReport, Divergence, Plan

_KIND_COLOURS = {"added": "green", "removed": "red", "changed": "yellow"}
_OP_COLOURS = {"create": "green", "update": "yellow", "close": "red", "nothing": None}


def _one_line(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "), ensure_ascii=False)
    return " ⏎ ".join(text.split("\n"))


def show(value: Any, width: int = 72, other: Any = None) -> str:
    """A value on one line for a terminal; lists and maps as compact JSON.

    Given the value on the other side, a long value is cut so that the part where the two
    differ stays in view: a divergence must always show a difference a person can see.
    """
    if value is None:
        return "(absent)"
    text = _one_line(value)
    if len(text) <= width:
        return text
    start = 0
    if other is not None:
        theirs = _one_line(other)
        common = next((i for i, (x, y) in enumerate(zip(text, theirs)) if x != y), min(len(text), len(theirs)))
        start = max(0, common - width // 3)
    if start:
        text = "…" + text[start:]
    return text if len(text) <= width else text[: width - 1] + "…"


def md_code(value: Any) -> str:
    """Text inside an inline code span in a table cell: pipes and backticks must not end it."""
    return str(value).replace("|", "\\|").replace("`", "ˋ").replace("\n", " ")


def md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def md_value(value: Any, other: Any = None, width: int = 100) -> str:
    if value is None:
        return "—"
    return f"`{md_code(show(value, width, other))}`"


def groupby_child(items: Iterable[Divergence]) -> list[tuple[str | None, list[Divergence]]]:
    groups: dict[str | None, list[Divergence]] = {}
    for d in items:
        groups.setdefault(d.child, []).append(d)
    return sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))


def sort_child(items: Iterable[Divergence]) -> list[Divergence]:
    return sorted(items, key=lambda d: (d.child is None, d.child or "", d.file))


def _environment(color: bool, templates: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates)))  # a team's own templates win
    loaders.append(jinja2.FileSystemLoader(str(resources.files("bot.templates"))))
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters.update(
        style=(lambda s, **kw: click.style(str(s), **kw)) if color else (lambda s, **kw: str(s)),
        kind_style=lambda k: click.style(f"{k:<7}", fg=_KIND_COLOURS.get(k)) if color else f"{k:<7}",
        op_style=lambda o: click.style(f"{o:<7}", fg=_OP_COLOURS.get(o), bold=True) if color else f"{o:<7}",
        show=show, md_code=md_code, md_cell=md_cell, md_value=md_value,
        groupby_child=groupby_child, sort_child=sort_child,
    )
    return env


@lru_cache(maxsize=8)
def environment(color: bool = False, templates: str | None = None) -> jinja2.Environment:
    return _environment(color, Path(templates) if templates else None)


def render_template(name: str, *, color: bool = False, templates: str | None = None, **context: Any) -> str:
    return environment(color, templates).get_template(name).render(**context)


def render_report(report: DiffReport, fmt: str, *, color: bool = False, templates: str | None = None) -> str:
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
    name = {"text": "diff.txt.j2", "markdown": "diff.md.j2"}[fmt]
    return render_template(name, color=color, templates=templates, report=report)


def render_plan(plan: Plan, fmt: str, *, color: bool = False, templates: str | None = None) -> str:
    if fmt == "json":
        return json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"
    name = {"text": "plan.txt.j2", "markdown": "plan.md.j2"}[fmt]
    return render_template(name, color=color, templates=templates, plan=plan)
