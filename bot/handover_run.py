"""The handover's facts gathered from the live side and (with a token) GitHub, as files to write."""
from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.model import DiffReport, Snapshot


def handover_files(config: Config, repo: Path, snapshot: Snapshot, *, date: str | None, slug: str | None,
                   architecture: bool, instance: str | None, local_report: Callable[[], DiffReport]
                   ) -> tuple[dict[str, str], str, str]:
    """(repo path -> text of every page and changed meta.json, the date, the slug)."""
    from bot.docs_meta import meta_updates
    from bot.gates import issue_names
    from bot.handover import handover_pages
    from bot.reconcile import github_access, observe

    access = github_access(config)
    pulls: Any = ()
    issues: Any = None
    if access is None:
        report = local_report()
    else:
        run = observe(config, repo, snapshot, access, instance=instance)
        report, pulls = run.report, run.state.pulls
        from bot.errors import DriftError

        numbers = set(issue_names(config).values()) | ({config.tracker.mega} if config.tracker.mega else set())
        issues = {}
        for number in sorted(numbers):
            try:
                issues[number] = run.github.issue(number)  # type: ignore[attr-defined]
            except DriftError:
                pass  # an issue that cannot be read: the page claims no state for it
    day = date or datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    templates = config.extra.get("templates")
    pages = handover_pages(report, config, date=day, slug=slug, pulls=pulls, issues=issues, architecture=architecture,
                           live={f.repo_path: f.text for f in snapshot.files if f.text is not None},
                           templates=str(config.root / templates) if templates else None)

    def read(path: str) -> str | None:
        target = repo / path
        return target.read_text(encoding="utf-8") if target.is_file() else None

    name = next(iter(pages)).rsplit("/", 1)[-1].removesuffix(".mdx").split("-", 4)[-1] if pages else (slug or "bring-up")
    return {**pages, **meta_updates(pages, config.docs, read)}, day, name
