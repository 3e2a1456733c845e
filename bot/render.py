"""Turning reports and plans into terminal text, markdown and JSON.

Documents (markdown here; PR bodies, tracker sections and MDX pages elsewhere) come from the
Jinja2 templates in templates/, which a team may override. The terminal text is written in
code: it is not a document anyone forks, and `drift diff` should not pay for Jinja2's import.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import click

from bot.model import DiffReport, Divergence

_KIND_COLOURS = {"added": "green", "removed": "red", "changed": "yellow"}
_OP_COLOURS = {"create": "green", "update": "yellow", "close": "red", "nothing": None, "issue-create": "green",
               "comment-create": "green", "issue-close": "red", "docs-pull": "yellow", "attachment-commit": "green"}


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


def evidence(ev: dict[str, Any], moment: bool = True) -> str:
    """Where a finding can be checked: a file and line in the snapshot or in main at a commit.
    `moment=False` leaves out when a probe ran: the MEGA would otherwise change on every run."""
    if not ev:
        return ""
    if "probe" in ev:  # a verification probe: what was asked, what came back, when
        seen = [f"`{md_code(ev.get('method', ''))} {md_code(ev.get('url', ''))}` → {ev.get('status') or 'no answer'}"]
        if ev.get("sample_rate"):
            seen.append(f"{ev['sample_rate']} Hz, {ev.get('channels')} ch, {ev.get('seconds')} s")
        if ev.get("bytes") is not None:
            seen.append(f"{ev['bytes']} bytes")
        return ", ".join(seen) + (f" at {ev['time']}" if moment and ev.get("time") else "")
    where = ev.get("file")
    if where and ev.get("line"):
        where = f"{where}:{ev['line']}"
    side = ev.get("side")
    at = str(ev.get("at") or "")
    if side == "main":
        place = f"`{md_code(where)}` in main at `{at[:7]}`" if where else f"main at `{at[:7]}`"
    elif where:
        place = f"`{md_code(where)}` in snapshot `{md_code(at)}`"
    else:
        place = f"snapshot `{md_code(at)}`" if at else ""
    container = ev.get("container")
    if container:
        # A runtime fact shows when the container started, not when it was seen: the capture
        # time changes every run and would rewrite the MEGA each time (it stays in the JSON).
        place += (f"{'; ' if place else ''}container `{md_code(container)}`"
                  + (f" started {md_cell(ev['started_at'])}" if ev.get("started_at") else "")
                  + (f" at {ev['time']}" if moment and ev.get("time") else ""))
    return place


def groupby_child(items: Iterable[Divergence]) -> list[tuple[str | None, list[Divergence]]]:
    groups: dict[str | None, list[Divergence]] = {}
    for d in items:
        groups.setdefault(d.child, []).append(d)
    return sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))


def sort_child(items: Iterable[Divergence]) -> list[Divergence]:
    return sorted(items, key=lambda d: (d.child is None, d.child or "", d.file))


def _environment(templates: Path | None) -> Any:
    from importlib import resources

    import jinja2

    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates)))  # a team's own templates win
    loaders.append(jinja2.FileSystemLoader(str(resources.files("bot.templates"))))
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters.update(
        show=show, md_code=md_code, md_cell=md_cell, md_value=md_value, evidence=evidence,
        groupby_child=groupby_child, sort_child=sort_child,
    )
    return env


@lru_cache(maxsize=8)
def environment(templates: str | None = None) -> Any:
    return _environment(Path(templates) if templates else None)


def render_template(name: str, *, templates: str | None = None, **context: Any) -> str:
    return environment(templates).get_template(name).render(**context)


class _Text:
    """A terminal page: lines, with colour only when the output is a terminal."""

    def __init__(self, color: bool):
        self.color, self.lines = color, []

    def style(self, text: str, **kw: Any) -> str:
        return click.style(text, **kw) if self.color else text

    def add(self, line: str = "") -> None:
        self.lines.append(line)

    def page(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _values(t: _Text, d: Divergence, indent: str, width: int = 72) -> None:
    if d.kind != "added":
        t.add(f"{indent}main: {show(d.before, width, d.after)}")
    if d.kind != "removed":
        t.add(f"{indent}live: {show(d.after, width, d.before)}")


def _report_text(report: DiffReport, color: bool) -> str:
    t = _Text(color)
    main = report.base + (f" ({report.base_commit[:7]})" if report.base_commit else "")
    if not report.divergences:
        t.add(f"{t.style('no drift', fg='green', bold=True)}: live {report.source} matches {main}")
    else:
        t.add(f"{t.style(_plural(len(report.divergences), 'divergence'), fg='yellow', bold=True)} between {main} and {report.source}")
    if report.snapshot_id:
        t.add(f"snapshot {report.snapshot_id} · host {report.host} · captured {report.captured_at}")
    files: dict[str, list[Divergence]] = {}
    for d in report.divergences:
        files.setdefault(d.file, []).append(d)
    for file in sorted(files):
        t.add()
        t.add(t.style(file, bold=True))
        for child, group in groupby_child(files[file]):
            t.add("  " + t.style(child or "unrouted", fg="cyan" if child else "red"))
            for d in group:
                kind = t.style(f"{d.kind:<7}", fg=_KIND_COLOURS[d.kind])
                where = f"  (line {d.line})" if d.line else ""
                secret = "  " + t.style("[secret]", fg="magenta") if d.secret else ""
                t.add(f"    {kind} {d.pointer or '(whole file)'}{where}{secret}")
                _values(t, d, "      ")
    if report.unrouted:
        t.add()
        it = "it" if len(report.unrouted) == 1 else "them"
        t.add(f"{t.style(f'{len(report.unrouted)} unrouted', fg='red', bold=True)}: no `children:` rule in .drift.yml claims {it}")
        for d in report.unrouted:
            t.add(f"  {d.file}#{d.pointer}")
    if report.runtime:
        t.add()
        t.add(t.style("runtime", bold=True))
        for r in report.runtime:
            stale = " " + t.style("stale", fg="yellow") if r.stale else ""
            t.add(f"  {r.service}: {r.state}{stale} - {r.detail}")
    if report.findings:
        t.add()
        t.add(t.style("findings", bold=True))
        for f in report.findings:
            t.add(f"  [{f.severity}] {f.message}")
    if report.errors:
        t.add()
        t.add(f"{t.style(_plural(len(report.errors), 'error'), fg='red', bold=True)} (the other files were compared)")
        for e in report.errors:
            t.add(f"  {e.message}")
    return t.page()


def _plan_text(plan: Any, color: bool) -> str:
    t = _Text(color)
    if not plan.github_visible:
        t.add(f"{t.style('GitHub not consulted', fg='yellow')}: no GITHUB_TOKEN, so no pull request is assumed to exist yet.")
    pulls = [op for op in plan.operations if not hasattr(op, "kind")]  # the child pull requests
    others = [op for op in plan.operations if hasattr(op, "kind")]
    if not plan.has_changes:
        t.add("nothing to do" + (" for routed divergences" if plan.unrouted else ""))
    else:
        counts = [_plural(len(pulls), "pull request")] if pulls else []
        counts += [_plural(len(others), "tracker or docs write")] if others else []
        t.add(t.style(", ".join(counts), bold=True))
    for op in plan.operations:
        t.add()
        if hasattr(op, "kind"):
            later = "  (known after apply)" if op.key in plan.later else ""
            t.add(f"{t.style(f'{op.op:<7}', fg=_OP_COLOURS.get(op.op), bold=True)} {op.target}{later}")
            t.add(f"  why: {op.reason}")
            continue
        number = f" (#{op.number})" if op.number else ""
        t.add(f"{t.style(f'{op.op:<7}', fg=_OP_COLOURS.get(op.op), bold=True)} {op.target}{number}")
        if op.pr is not None:
            issues = f" (issues {', '.join(f'#{i}' for i in op.pr.issues)})" if op.pr.issues else ""
            t.add(f"  title: {op.pr.title}")
            t.add(f"  children: {', '.join(op.pr.children)}{issues}")
            for d in op.pr.divergences:
                t.add(f"  - {d.kind} {d.file}#{d.pointer or '(whole file)'}: {show(d.before, 40, d.after)} -> {show(d.after, 40, d.before)}")
        t.add(f"  why: {op.reason}")
    if plan.unrouted:
        t.add()
        t.add(f"{t.style(f'{len(plan.unrouted)} unrouted', fg='red', bold=True)} (no PR; add a `children:` rule to route them)")
        for d in plan.unrouted:
            t.add(f"  - {d.kind} {d.file}#{d.pointer or '(whole file)'}")
    return t.page()


BODY_LIMIT = 65_536  # characters GitHub takes in an issue, pull request or comment body


def fit(render: Callable[[int], str], rows: int, limit: int = BODY_LIMIT) -> str:
    """`render(n)` with n rows shown, n halved from `rows` until the text is under `limit`
    characters (with room for the markers the bot adds); the template says how many it left out."""
    while True:
        text = render(rows)
        if len(text) < limit - 512 or rows == 0:
            return text
        rows //= 2


def render_report(report: DiffReport, fmt: str, *, color: bool = False, templates: str | None = None) -> str:
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        return _report_text(report, color)
    return render_template("diff.md.j2", templates=templates, report=report)


def render_plan(plan: Any, fmt: str, *, color: bool = False, templates: str | None = None) -> str:
    if fmt == "json":
        return json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        return _plan_text(plan, color)
    return render_template("plan.md.j2", templates=templates, plan=plan)
