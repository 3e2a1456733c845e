"""The `drift handover` pages for the working tree: the facts of the run (and, with a token,
what GitHub holds), rendered as files to write."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.config import Config
from bot.docs_meta import meta_updates
from bot.gates import issue_names
from bot.handover import entry_slug, handover_pages
from bot.handover_entry import as_of_report, newest_page, page_host, read_entry
from bot.model import DiffReport, GitHubState, Snapshot


def handover_files(config: Config, repo: Path, snapshot: Snapshot, report: DiffReport, state: GitHubState | None, *,
                   date: str | None, slug: str | None, architecture: bool, instance: str | None, today: str,
                   templates: str | None) -> tuple[dict[str, str], str, str]:
    """(repo path -> text of every page and changed meta.json, the date, the slug).

    Like `drift apply`, a run with nothing new to say gives the pages back as they are: the
    entry (the `--date` one, or else the newest of its slug in the working tree) is rendered
    again as of the capture time and commit it names, and when that is the page byte for byte,
    those are the pages. Only news (a PR merged, a finding came or went) writes a new capture
    time, into today's entry unless `--date` names one.
    """
    pulls = state.pulls if state is not None else ()
    issues = None
    if state is not None:
        # An issue that could not be read is left out: the page claims no state for it.
        names = set(issue_names(config).values()) | ({config.tracker.mega} if config.tracker.mega else set())
        issues = {n: state.issues[n] for n in sorted(names) if n in state.issues}
    report = replace(report, host=page_host(config, snapshot, instance))

    def read(path: str) -> str | None:
        target = repo / path
        return target.read_text(encoding="utf-8") if target.is_file() else None

    def files(day: str, as_of: DiffReport) -> dict[str, str]:
        pages = handover_pages(as_of, config, date=day, slug=slug, pulls=pulls, issues=issues, architecture=architecture,
                               live={f.repo_path: f.text for f in snapshot.files if f.text is not None},
                               templates=templates)
        return {**pages, **meta_updates(pages, config.docs, read)}

    name = entry_slug(slug)
    folder = config.docs.dir.strip("/")
    if date is not None:
        entry: str | None = f"{folder}/handover-{date}-{name}.mdx"
    else:
        listed = repo / folder
        entry = newest_page((f"{folder}/{p.name}" for p in listed.glob("handover-*.mdx")) if listed.is_dir() else (), name)
    written = read(entry) if entry else None
    as_of = read_entry(written)
    if as_of is not None and (date is None or as_of.date == date):
        again = files(as_of.date, as_of_report(report, as_of.captured_at, as_of.base_commit))
        if again.get(entry or "") == written:
            return again, as_of.date, name
    day = date or today
    return files(day, report), day, name
