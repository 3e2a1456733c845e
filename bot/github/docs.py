"""docs: the docs pull requests (handover entry, legacy migration) as writes of the one plan.

Pure: the pages are rendered from the report and what `observe` read of main and of the docs
branch (`GitHubState.files`); a pull request is written only when its branch does not already
hold exactly those pages. A docs pull request a human closed without merging is not opened
again for the same content (its body names that content by fingerprint).
"""
from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.docs_meta import meta_updates
from bot.gates import issue_names
from bot.github.blobs import blob_ids
from bot.github.markers import docs_fingerprint_of, docs_marker
from bot.github.ops import DocsPull
from bot.github.world import World
from bot.handover import handover_pages
from bot.handover_entry import as_of_report, newest_page, page_host, read_entry
from bot.migrate import migration_files
from bot.model import BranchState, GitHubState

HANDOVER_BRANCH = "drift/handover-{slug}"
MIGRATION_BRANCH = "drift/docs-migration"
MIGRATION_TITLE = "docs: migrate the legacy deployment docs into the docs site"


@dataclass(frozen=True)
class DocsChange:
    """What a docs pull request must carry: its branch, title, body and files (None: deleted)."""

    branch: str
    title: str
    body: str
    files: dict[str, str | None]
    fingerprint: str  # names the content whatever the clock: a human's close is kept by it


def docs_fingerprint(files: Mapping[str, str | None]) -> str:
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(f"\0{path}\0{files[path]}".encode())
    return h.hexdigest()[:16]


def docs_folders(world: World) -> list[str]:
    """The folders the docs pages and their `meta.json` live in: what `observe` reads of them."""
    docs = world.config.docs
    return [f for f in (docs.dir.strip("/"), (docs.changelog or "").strip("/")) if f]


def handover_branch(world: World) -> str | None:
    handover = world.config.docs.handover
    return HANDOVER_BRANCH.format(slug=handover.slug) if handover else None


def handover_title(date: str, slug: str) -> str:
    return f"docs: handover {date} ({slug})"


def handover_body(mega: int | None) -> str:
    return ("The handover of the live host, written by drift-bot from the snapshot, the findings and the "
            "tracker: review it as you would a colleague's page.\n" + (f"\nPart of #{mega}\n" if mega else ""))


def migration_body(config: Any, files: Mapping[str, str | None]) -> str:
    names = issue_names(config)
    refs = f"Refs #{names['R-12']}\n" if "R-12" in names else ""
    removed = ", ".join(f"`{p}`" for p, t in files.items() if t is None)
    return (f"{refs}\nMoves {removed} into MDX pages of the docs site (escaped for MDX, links rewritten, "
            "secret values redacted) and lists them in `meta.json`.\n")


def handover_change(world: World, state: GitHubState) -> DocsChange | None:
    """The handover entry `docs.handover` asks `drift apply` to keep in a pull request; None when
    the newest entry already says all the current state would.

    An entry is rendered again with the date, capture time and commit it was written as of
    (`bot.handover_entry`): a new clock alone is no news. While its pull request is open the
    entry is rewritten in place; once merged, the next news starts an entry of its own day.
    """
    branch, settings = handover_branch(world), world.config.docs.handover
    if branch is None or settings is None:
        return None
    slug, architecture = settings.slug, settings.architecture
    config, base = world.config, state.base_commit
    pending = next((p for p in state.pulls if p.head == branch and p.state == "open"), None)
    on_branch = state.branches.get(branch)
    ref = on_branch.head if pending is not None and on_branch is not None else base
    tree = state.files.get(ref, {})
    main = state.files.get(base, {})
    folder = config.docs.dir.strip("/")
    latest = newest_page((p for p in tree if posixpath.dirname(p) == folder), slug)
    as_of = read_entry(tree.get(latest)) if latest else None
    names = set(issue_names(config).values()) | ({config.tracker.mega} if config.tracker.mega else set())
    issues = {n: state.issues[n] for n in sorted(names) if n in state.issues}
    live = {f.repo_path: f.text for f in world.snapshot.files if f.text is not None}
    report = replace(world.report, host=page_host(config, world.snapshot, world.instance))

    def files(date: str, report: Any) -> dict[str, str]:
        pages = handover_pages(report, config, date=date, slug=slug, pulls=state.pulls, issues=issues,
                               architecture=architecture, live=live, templates=world.templates)
        return {**pages, **meta_updates(pages, config.docs, main.get)}

    fingerprint = docs_fingerprint(files("2000-01-01", as_of_report(report, "", "")))
    mega = state.mega.number if state.mega is not None else config.tracker.mega
    if as_of is not None:
        again = files(as_of.date, as_of_report(report, as_of.captured_at, as_of.base_commit))
        if all(tree.get(path) == text for path, text in again.items()):
            # Nothing new to say; an open entry is still rebuilt on main when main moved on.
            if pending is None:
                return None
            return DocsChange(branch, handover_title(as_of.date, slug), handover_body(mega), dict(again), fingerprint)
    day = as_of.date if pending is not None and as_of is not None else world.today
    return DocsChange(branch, handover_title(day, slug), handover_body(mega), dict(files(day, report)), fingerprint)


def migration_change(world: World, state: GitHubState) -> DocsChange | None:
    """The migration `docs.migrate` asks `drift apply` to keep: the legacy files still on main
    become pages; once merged (they are gone) nothing is left."""
    main = state.files.get(state.base_commit, {})
    sources = {path: main[path] for path in world.config.docs.migrate if path in main}
    if not sources:
        return None
    pages, _ = migration_files(world.config, sources, main.get, world.server, world.repository)
    return migration_change_of(world.config, {**pages, **{src: None for src in sources}})


def migration_change_of(config: Any, files: dict[str, str | None]) -> DocsChange:
    """The pages added and the legacy files removed (None), in one pull request for R-12."""
    return DocsChange(MIGRATION_BRANCH, MIGRATION_TITLE, migration_body(config, files), files, docs_fingerprint(files))


def handover_change_of(config: Any, files: Mapping[str, str], date: str, slug: str, state: GitHubState | None) -> DocsChange:
    """`drift handover --pr`: the pages it wrote, in the pull request of their slug."""
    mega = state.mega.number if state is not None and state.mega is not None else config.tracker.mega
    return DocsChange(HANDOVER_BRANCH.format(slug=slug), handover_title(date, slug), handover_body(mega), dict(files),
                      docs_fingerprint(files))


def holds(branch: BranchState | None, base: str, files: Mapping[str, str | None]) -> bool:
    """Whether a branch is one commit on `base` changing exactly `files`."""
    return branch is not None and branch.parent == base and branch.changes == blob_ids(files)


def docs_write(world: World, state: GitHubState, change: DocsChange, *, keep_refusal: bool = True) -> DocsPull | None:
    """The write that makes `change.branch` hold its files on current main and one open pull
    request show it; None when both already do, or when (`keep_refusal`) a human closed a pull
    request of this same content without merging."""
    on_branch = [p for p in state.pulls if p.head == change.branch]
    pending = next((p for p in sorted(on_branch, key=lambda p: -p.number) if p.state == "open"), None)
    current = state.branches.get(change.branch)
    if pending is None and keep_refusal and any(
            p.state == "closed" and not p.merged and docs_fingerprint_of(p.body) == change.fingerprint for p in on_branch):
        return None
    up_to_date = holds(current, state.base_commit, change.files)
    if pending is not None and up_to_date:
        return None
    body = change.body.rstrip("\n") + "\n\n" + docs_marker(change.fingerprint) + "\n"
    head = current.head if current else None
    if pending is not None:
        return DocsPull(f"docs:{change.branch}", f"#{pending.number}", "its branch does not hold the current pages",
                        "update", change.branch, change.title, body, change.files, pending.number, head, not up_to_date,
                        change.title + "\n\n" + change.body)
    return DocsPull(f"docs:{change.branch}", change.branch, "no open pull request carries these pages", "create",
                    change.branch, change.title, body, change.files, None, head, not up_to_date,
                    change.title + "\n\n" + change.body)


def docs_writes(world: World, state: GitHubState) -> list[DocsPull]:
    """`drift apply`'s docs pull requests, as `docs:` in .drift.yml asks for them."""
    out = []
    for change in (migration_change(world, state), handover_change(world, state)):
        if change is not None and (write := docs_write(world, state, change)) is not None:
            out.append(write)
    return out
