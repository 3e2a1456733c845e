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


def show(value: Any, width: int = 72) -> str:
    """A value on one line for a terminal: absent is `-`, lists and maps as compact JSON."""
    if value is None:
        return "(absent)"
    text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "), ensure_ascii=False)
    lines = text.split("\n")
    first = lines[0] + (f" … (+{len(lines) - 1} lines)" if len(lines) > 1 else "")
    return first if len(first) <= width else first[: width - 1] + "…"


def md_code(value: Any) -> str:
    """Text inside an inline code span in a table cell: pipes and backticks must not end it."""
    return str(value).replace("|", "\\|").replace("`", "ˋ").replace("\n", " ")


def md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def md_value(value: Any, width: int = 100) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "), ensure_ascii=False)
    text = " ⏎ ".join(text.split("\n"))
    if len(text) > width:
        text = text[: width - 1] + "…"
    return f"`{md_code(text)}`"


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
