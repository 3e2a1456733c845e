"""handover_entry: which facts a handover entry was written "as of", kept in the page itself.

A page that names its capture time and main's commit changes on every run, even when nothing
it reports did. So each handover page ends with a hidden line holding the date, capture time
and commit it was written with; a later run renders the page again with those same values,
and only when that differs from the page (a PR merged, the host changed, a finding appeared)
is there anything new to say.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from bot.config import Config
from bot.github.markers import entry_fields, with_entry_line
from bot.model import DiffReport, Snapshot

_PAGE = re.compile(r"handover-(\d{4}-\d{2}-\d{2})-(.+)\.mdx")


@dataclass(frozen=True)
class AsOf:
    date: str
    captured_at: str
    base_commit: str


def with_entry(text: str, as_of: AsOf) -> str:
    """The page with its as-of line at the end (the site shows nothing of it)."""
    return with_entry_line(text, {"date": as_of.date, "captured_at": as_of.captured_at, "base_commit": as_of.base_commit})


def read_entry(text: str | None) -> AsOf | None:
    data = entry_fields(text)
    if data is None or not {"date", "captured_at", "base_commit"} <= set(data):
        return None
    return AsOf(data["date"], data["captured_at"], data["base_commit"])


def newest_page(paths: Iterable[str], slug: str) -> str | None:
    """The newest `handover-<date>-<slug>.mdx` among `paths`."""
    dated = [(m.group(1), p) for p in paths if (m := _PAGE.fullmatch(posixpath.basename(p))) and m.group(2) == slug]
    return max(dated)[1] if dated else None


def page_host(config: Config, snapshot: Snapshot, instance: str | None) -> str | None:
    """The instance's name on its pages. `host:` of the instance (or, with none named, of
    `.drift.yml`) first; else what the capture recorded. A `dir:` source records the machine that
    read the folder, not the instance: its record counts only when nothing else is known (the
    instance's own name in `instances:` comes before it)."""
    chosen = config.instance(instance) if instance else None
    if chosen is not None and chosen.host:
        return chosen.host
    if chosen is None and config.host:
        return config.host
    local = snapshot.source.startswith("dir:")
    if snapshot.host and not local:
        return snapshot.host
    if chosen is not None:
        return chosen.name
    return snapshot.host or None


def as_of_report(report: DiffReport, captured_at: str, base_commit: str) -> DiffReport:
    """The report as if captured then, against main at that commit (its evidence in main too)."""
    fresh = report.base_commit

    def moved(f: Any) -> Any:
        if f.evidence.get("at") == fresh and f.evidence.get("side") == "main":
            return replace(f, evidence={**f.evidence, "at": base_commit})
        return f

    return replace(report, captured_at=captured_at, base_commit=base_commit, findings=tuple(moved(f) for f in report.findings))
