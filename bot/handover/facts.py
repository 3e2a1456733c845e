"""The facts of a run gathered once, for the templates: changes, pull requests, findings,
research, gates, follow-ups and services."""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.config import Config
from bot.errors import DriftError
from bot.handover.architecture import _services
from bot.handover.changes import Change, PullItem, _change, _pull_items
from bot.handover.findings import _finding, _research, _vram
from bot.handover.follow_ups import FollowUp, _follow_ups
from bot.handover.issues import Ref, _Refs
from bot.model import DiffReport, IssueState, PullRequestState

# Frontmatter icons: lucide names, which Fumadocs' icon plugin shows beside the sidebar entry.
ICONS = {"handover": "ClipboardCheck", "architecture": "Server", "changelog": "History"}


@dataclass(frozen=True)
class Facts:
    """Everything the templates may say, gathered once."""

    date: str
    slug: str
    title: str
    report: DiffReport
    github: bool
    base_commit: str
    changes: tuple[Change, ...]
    by_file: tuple[tuple[str, tuple[Change, ...]], ...]
    pulls: tuple[PullItem, ...]
    unrouted: tuple[Change, ...]
    findings: tuple[dict[str, Any], ...]
    vram: dict[str, Any] | None
    caches: tuple[dict[str, Any], ...]
    research: tuple[dict[str, Any], ...]
    gates: tuple[dict[str, Any], ...]
    follow_ups: tuple[FollowUp, ...]
    parent: Ref | None
    mega: Ref | None
    services: tuple[dict[str, Any], ...] = ()
    contested: tuple[tuple[str, int], ...] = ()  # files more than one unmerged pull request edits
    pages: dict[str, str] = field(default_factory=dict)  # role -> repo path of the pages written
    titles: dict[str, str] = field(default_factory=dict)  # role -> page title
    links: dict[str, str] = field(default_factory=dict)  # role -> the page's URL in the docs site, when known
    icons: dict[str, str] = field(default_factory=lambda: dict(ICONS))  # role -> frontmatter icon


def gather(report: DiffReport, config: Config, *, date: str, slug: str | None = None,
           pulls: Sequence[PullRequestState] = (), issues: Mapping[int, IssueState] | None = None,
           live: Mapping[str, str] | None = None, github_url: str = "https://github.com") -> Facts:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise ValueError(date)
        _dt.date.fromisoformat(date)
    except (TypeError, ValueError):
        raise DriftError(f"--date must be a date like 2026-04-24, not {date!r}") from None
    slug = _slug(slug or "bring-up")
    if not slug:
        raise DriftError("--slug must contain letters or digits (it names the page file)")
    refs = _Refs(config, issues, github_url)
    doc_only = config.docs.doc_only

    changes = tuple(_change(d) for d in report.divergences)
    by_file: dict[str, list[Change]] = {}
    for c in changes:
        by_file.setdefault(c.file, []).append(c)
    items = _pull_items(report, config, refs, pulls, doc_only)
    findings = tuple(_finding(f) for f in report.findings)
    research = _research(config, refs, report.findings)
    # A gate that waits only for gated work (R-0 after R-10) closes a chain: said with that work.
    gates = tuple({"item": refs.by_name(k), "after": tuple(refs.by_name(a) for a in after),
                   "closes_chain": bool(after) and all(a in config.gates for a in after)} for k, after in config.gates.items())
    parent = refs.by_number(config.tracker.parent) if config.tracker.parent else None
    mega = refs.by_number(config.tracker.mega) if config.tracker.mega else None
    follow = _follow_ups(config, refs, items, doc_only, parent, mega, issues)
    return Facts(
        date=date, slug=slug, title=slug.replace("-", " "), report=report, github=issues is not None,
        base_commit=(report.base_commit or "")[:7], changes=changes,
        by_file=tuple((f, tuple(cs)) for f, cs in by_file.items()), pulls=items,
        unrouted=tuple(c for c in changes if c.child is None), findings=findings,
        vram=_vram(report.findings), caches=tuple(f for f in findings if f["check"] == "model_cache"),
        research=research, gates=gates, follow_ups=follow, parent=parent, mega=mega,
        services=_services(live or {}, report.findings),
        contested=_contested(items),
    )


def _contested(items: Sequence[PullItem]) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    for item in items:
        if item.state != "merged":
            for f in item.files:
                counts[f] = counts.get(f, 0) + 1
    return tuple((f, n) for f, n in counts.items() if n > 1)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
