"""What a verification run says: a finding per probe for the snapshot and the MEGA, the exit
code of `drift verify`, and the results as text, json or markdown."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from bot.checks.base import finding_id
from bot.model import Finding
from bot.verify.judge import ProbeResult

CHECK = "verify"


def probe_findings(results: Iterable[ProbeResult]) -> tuple[Finding, ...]:
    """One finding per probe: `error` when it failed, `info` when it passed; the id depends on
    the probe's name only, so a probe that starts passing updates the same finding."""
    out = []
    for r in results:
        verdict = "passed" if r.ok else "failed"
        out.append(Finding(finding_id(CHECK, r.name), CHECK, "info" if r.ok else "error",
                           f"probe {r.name} {verdict}: {r.detail}", {"probe": r.name, "ok": r.ok, **r.evidence}))
    return tuple(out)


def all_passed(results: Sequence[ProbeResult]) -> bool:
    """True when there were probes and every one passed (what may close the verification child)."""
    return bool(results) and all(r.ok for r in results)


def exit_code(results: Sequence[ProbeResult]) -> int:
    """`drift verify`'s exit code for a finished run: 0 all passed, 2 a probe failed."""
    return 0 if all(r.ok for r in results) else 2


def render_probes(results: Sequence[ProbeResult], fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return json.dumps({"probes": [r.to_json() for r in results]}, indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        return _text(results, color)
    if fmt == "markdown":
        return _markdown(results)
    raise ValueError(f"unknown format {fmt!r} (text, json or markdown)")


def _text(results: Sequence[ProbeResult], color: bool) -> str:
    import click

    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    if not results:
        return "no probes: add a `verify:` list to .drift.yml\n"
    width = max(len(r.name) for r in results)
    lines = []
    for r in results:
        mark = style("ok  ", fg="green") if r.ok else style("FAIL", fg="red", bold=True)
        method = r.evidence.get("method", "")
        lines.append(f"{mark} {r.name:<{width}}  {method} {r.url}".rstrip())
        lines.append(f"     {'':<{width}}  {r.detail}  ({r.evidence.get('elapsed_s', 0):.2f} s)")
    failed = sum(not r.ok for r in results)
    total = f"{len(results)} probe{'' if len(results) == 1 else 's'}"
    lines.append(style(f"{total}: all passed", fg="green", bold=True) if not failed
                 else style(f"{total}: {failed} failed", fg="red", bold=True))
    return "\n".join(lines) + "\n"


def _markdown(results: Sequence[ProbeResult]) -> str:
    from bot.render import md_cell, md_code

    if not results:
        return "No verification probes are declared.\n"
    rows = ["| probe | result | request | status | detail |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        request = f"`{md_code(str(r.evidence.get('method', '')) + ' ' + r.url)}`"
        rows.append(f"| {md_cell(r.name)} | {'✅ pass' if r.ok else '❌ fail'} | {request} | "
                    f"{r.status if r.status is not None else '—'} | {md_cell(r.detail)} |")
    return "\n".join(rows) + "\n"
