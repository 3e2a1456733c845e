"""The handover's facts gathered from the live side and (with a token) GitHub, as files to write."""
from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.model import DiffReport, Snapshot


def handover_files(config: Config, repo: Path, snapshot: Snapshot, *, date: str | None, slug: str | None,
                   architecture: bool, instance: str | None, local_report: Callable[[], DiffReport]
                   ) -> tuple[dict[str, str], str, str]:
    """(repo path -> text of every page and changed meta.json, the date, the slug).

    Like `drift apply`, a run with nothing new to say gives the pages back as they are: the
    entry (the `--date` one, or else the newest of its slug in the working tree) is rendered
    again as of the capture time and commit it names, and when that is the page byte for byte,
    those are the pages. Only news (a PR merged, a finding came or went) writes a new capture
    time, into today's entry unless `--date` names one.
    """
    from bot.docs_meta import meta_updates
    from bot.handover import DOCS_DIR, entry_slug, handover_pages
    from bot.handover_entry import newest_page, read_entry
    from bot.reconcile import github_access, observe

    access = github_access(config)
    pulls: Any = ()
    issues: Any = None
    if access is None:
        report = local_report()
    else:
        run = observe(config, repo, snapshot, access, instance=instance)
        report, pulls = run.report, run.state.pulls
        issues = _issues(config, run.github)
    report = replace(report, host=page_host(config, snapshot, instance))
    templates = config.extra.get("templates")

    def read(path: str) -> str | None:
        target = repo / path
        return target.read_text(encoding="utf-8") if target.is_file() else None

    def files(day: str, as_of: DiffReport) -> dict[str, str]:
        pages = handover_pages(as_of, config, date=day, slug=slug, pulls=pulls, issues=issues, architecture=architecture,
                               live={f.repo_path: f.text for f in snapshot.files if f.text is not None},
                               templates=str(config.root / templates) if templates else None)
        return {**pages, **meta_updates(pages, config.docs, read)}

    name = entry_slug(slug)
    folder = str(config.docs.get("dir") or DOCS_DIR).strip("/")
    if date is not None:
        entry: str | None = f"{folder}/handover-{date}-{name}.mdx"
    else:
        listed = repo / folder
        entry = newest_page((f"{folder}/{p.name}" for p in listed.glob("handover-*.mdx")) if listed.is_dir() else (), name)
    written = read(entry) if entry else None
    as_of = read_entry(written)
    if as_of is not None and (date is None or as_of.date == date):
        again = files(as_of.date, _as_of(report, as_of.captured_at, as_of.base_commit))
        if again.get(entry or "") == written:
            return again, as_of.date, name
    day = date or _today()
    return files(day, report), day, name


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


HANDOVER_BRANCH = "drift/handover-{slug}"


def handover_for_apply(run: Any) -> Any:
    """The handover pull request (a `bot.reconcile.DocsPull`) `drift apply` keeps when
    `docs.handover` asks for one; None when the newest entry already says all the current state
    would. Its fingerprint names what the entry says, whatever the clock.

    An entry is rendered again with the date, capture time and commit it was written as of
    (`bot.handover_entry`): a new clock alone is no news. While its pull request is open the
    entry is rewritten in place; once merged, the next news starts an entry of its own day.
    """
    from bot.docs_meta import meta_updates
    from bot.handover import DOCS_DIR, handover_pages
    from bot.handover_entry import newest_page, read_entry

    config = run.config
    settings = config.docs.get("handover")
    if not settings:
        return None
    settings = settings if isinstance(settings, dict) else {}
    slug = str(settings.get("slug") or "bring-up")
    branch = HANDOVER_BRANCH.format(slug=slug)
    base = run.state.base_commit
    pending = next((p for p in run.state.pulls if p.head == branch and p.state == "open"), None)
    on_branch = run.state.branches.get(branch)
    ref = on_branch.head if pending is not None and on_branch is not None else base
    folder = str(config.docs.get("dir") or DOCS_DIR).strip("/")
    latest = newest_page(run.git.files_under(ref, folder), slug)
    as_of = read_entry(run.git.show(ref, latest)) if latest else None

    issues = _issues(config, run.github)
    templates = config.extra.get("templates")
    live = {f.repo_path: f.text for f in run.snapshot.files if f.text is not None}
    report = replace(run.report, host=page_host(config, run.snapshot, run.instance))

    def files(date: str, report: DiffReport) -> dict[str, str]:
        pages = handover_pages(report, config, date=date, slug=slug, pulls=run.state.pulls, issues=issues,
                               architecture=bool(settings.get("architecture")), live=live,
                               templates=str(config.root / templates) if templates else None)
        return {**pages, **meta_updates(pages, config.docs, lambda path: run.git.show(base, path))}

    from bot.reconcile import DocsPull, docs_fingerprint, handover_title

    fingerprint = docs_fingerprint(dict(files("2000-01-01", _as_of(report, "", ""))))
    if as_of is not None:
        again = files(as_of.date, _as_of(report, as_of.captured_at, as_of.base_commit))
        if all(run.git.show(ref, path) == text for path, text in again.items()):
            # Nothing new to say; an open entry is still rebuilt on main when main moved on.
            return DocsPull(branch, handover_title(as_of.date, slug), dict(again), fingerprint) if pending else None
    day = as_of.date if pending is not None and as_of is not None else _today()
    return DocsPull(branch, handover_title(day, slug), dict(files(day, report)), fingerprint)


def _as_of(report: DiffReport, captured_at: str, base_commit: str) -> DiffReport:
    """The report as if captured then, against main at that commit (its evidence in main too)."""
    fresh = report.base_commit

    def moved(f: Any) -> Any:
        if f.evidence.get("at") == fresh and f.evidence.get("side") == "main":
            return replace(f, evidence={**f.evidence, "at": base_commit})
        return f

    return replace(report, captured_at=captured_at, base_commit=base_commit, findings=tuple(moved(f) for f in report.findings))


def _today() -> str:
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def _issues(config: Config, github: Any) -> dict[int, Any]:
    """The issues a handover names; one that cannot be read is left out (the page claims no state for it)."""
    from bot.errors import DriftError
    from bot.gates import issue_names

    numbers = set(issue_names(config).values()) | ({config.tracker.mega} if config.tracker.mega else set())
    issues = {}
    for number in sorted(numbers):
        try:
            issues[number] = github.issue(number)
        except DriftError:
            pass
    return issues
