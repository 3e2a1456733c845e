"""observe: one read of GitHub and of the remote's branches into a frozen `GitHubState`.

The only stage of a GitHub-aware run that reads: main and the bot's branches (one fetch), the
bot's pull requests, and what the tracker and the docs pull requests need (the MEGA and its
sub-issues, the issues `.drift.yml` names, reviews, comments found by marker, the docs folders).
A tracker or docs read that fails is one line in `unread`; the plan leaves out what needed it.
The snapshot is taken before and handed in: the host is captured once per run, and under the
lock only this is done again.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot.adapters.git import Git
from bot.adapters.git_base import read_base
from bot.adapters.github import GitHub
from bot.attach import BRANCH as ATTACHMENTS
from bot.config import Config
from bot.edit import edited_files
from bot.errors import DriftError
from bot.gates import issue_names
from bot.github.access import BRANCH_PREFIX, GitHubAccess, author, site, team_templates, title_from_template, today
from bot.github.docs import MIGRATION_BRANCH, docs_folders, handover_branch
from bot.github.markers import BOT_LABEL, MEGA_MARKER, child_marker, read_state
from bot.github.pulls import gated_issues
from bot.github.tracker import research_items, wanted_issues
from bot.github.world import World
from bot.model import GitHubState, IssueState, Snapshot
from bot.pipeline import build_report
from bot.plan import proposed_prs
from bot.tracker import known_reviews

T = TypeVar("T")


@dataclass(frozen=True)
class Link:
    """The two adapters a run writes through, and the access they were made with."""

    git: Git
    github: GitHub
    access: GitHubAccess


def connect(config: Config, repo: Path, access: GitHubAccess) -> Link:
    return Link(Git(repo, config.remote, access.token, author(config)),
                GitHub(access.token, access.repository, access.api_url), access)


def observe(config: Config, repo: Path, snapshot: Snapshot, link: Link, *, instance: str | None = None,
            issues: Iterable[int] = (), attachment: str | None = None) -> tuple[World, GitHubState]:
    """`issues` names more issues to read (a `/drift` command's gates); `attachment` a path on
    the attachments branch whose text is read (`drift attach`)."""
    git, github = link.git, link.github
    base_commit, branches = git.sync(config.base, BRANCH_PREFIX)
    _, base_files = read_base(repo, base_commit, [p for _, p in config.files])
    report = build_report(config, snapshot, config.base, base_commit, base_files)
    templates = team_templates(config)
    title = title_from_template(templates)
    proposed = proposed_prs(report, config, title)
    changes = {pr.slug: edited_files(snapshot, base_files, pr.divergences) for pr in proposed}
    server, repository = site(config)
    fleet = instance if len(config.instances) > 1 else None
    world = World(config, snapshot, report, base_files, changes, title, author(config), templates, fleet, server,
                  link.access.repository or repository, today())
    docs_branches = [b for b in (handover_branch(world), MIGRATION_BRANCH if config.docs.migrate else None) if b]
    pulls = github.bot_pulls(BRANCH_PREFIX, [pr.branch for pr in proposed] + docs_branches)
    unread: list[str] = []

    def read(what: str, fn: Callable[[], T]) -> T | None:
        try:
            return fn()
        except DriftError as exc:
            unread.append(f"{what}: {exc}")
            return None

    tracked = _tracker(world, github, pulls, read) if world.tracks else {}
    # Only when a gated child has something to carry: a quiet run reads no issue for the gates.
    numbers = set(gated_issues(config, proposed)) | set(issues)
    if world.tracks:
        numbers |= wanted_issues(world) | {i.issue for i in research_items(config) if i.issue}
    # The issues a handover page names: one that cannot be read is left out (the page claims no state for it).
    named = set(issue_names(config).values()) | ({config.tracker.mega} if config.tracker.mega else set()) \
        if config.docs.handover else set()
    known: dict[int, IssueState] = {i.number: i for i in tracked.get("known", ())}
    for number in sorted((numbers | named) - set(known)):
        if number in numbers:
            found = read(f"read issue #{number}", lambda: github.issue(number))
        else:
            try:
                found = github.issue(number)
            except DriftError:
                found = None
        if found is not None:
            known[number] = found
    files = _docs_files(world, git, base_commit, branches) if world.applies and (
        config.docs.handover or config.docs.migrate) else {}
    attached = None
    if attachment is not None:
        head = git.remote_head(ATTACHMENTS)
        attached = (head, {attachment: text} if head and (text := git.show(head, attachment)) is not None else {}) \
            if head else None
    state = GitHubState(base_commit, pulls, branches, known, tracked.get("mega"), tracked.get("mega_subs"),
                        tracked.get("parent_subs"), tracked.get("reviews", {}), tracked.get("comments", {}), files,
                        attached, tuple(unread))
    return world, state


def _tracker(world: World, github: GitHub, pulls: tuple[Any, ...], read: Callable[..., Any]) -> dict[str, Any]:
    """The MEGA (the configured one, else the one carrying its marker), its sub-issues and R-0's,
    the reviews the MEGA does not remember, and the child comments it has lost the ids of."""
    config = world.config
    tracker = config.tracker
    out: dict[str, Any] = {}
    if tracker.mega:
        mega = read(f"read the MEGA #{tracker.mega}", lambda: github.issue(tracker.mega))
    else:
        labelled = read(f"look for the MEGA (issues labelled {BOT_LABEL})", lambda: github.issues_labelled(BOT_LABEL))
        if labelled is None:
            return out
        mega = next((i for i in labelled if MEGA_MARKER in i.body), None)
    known: list[IssueState] = []
    if tracker.parent:
        subs = read(f"list the sub-issues of #{tracker.parent}", lambda: github.sub_issues(tracker.parent))
        if subs is not None:
            out["parent_subs"] = tuple(subs)
            known += subs
    out["mega"] = mega
    if mega is not None:
        subs = read(f"list the sub-issues of #{mega.number}", lambda: github.sub_issues(mega.number))
        if subs is not None:
            out["mega_subs"] = tuple(subs)
            known += subs
    out["known"] = tuple(known)
    body = mega.body if mega is not None else ""
    open_pulls = tuple(p for p in pulls if p.state == "open" and p.marker is not None)
    remembered = known_reviews(body, open_pulls, world.instance)
    reviews = {}
    for pull in open_pulls:
        if pull.number not in remembered:
            raw = read(f"list the reviews of #{pull.number}", lambda: github.reviews(pull.number))
            if raw is not None:
                reviews[pull.number] = tuple(raw)
    out["reviews"] = reviews
    # A comment whose id the MEGA remembers is edited by it; another is looked for by marker.
    ids = read_state(body, "state" + (f":{world.instance}" if world.instance else "")).get("comments") or {}
    carrying = {d.child for d in world.report.routed}
    comments = {}
    for child in config.children:
        remembered_id = (ids.get(child.name) or {}).get("id")
        if not child.issue or remembered_id or (child.name not in carrying and child.name not in ids):
            continue
        marker = child_marker(child.name, world.instance)
        found = read(f"list the comments of #{child.issue}", lambda: github.find_comment(child.issue, marker))
        if found is not None:
            comments[marker] = found
    out["comments"] = comments
    return out


def _docs_files(world: World, git: Git, base: str, branches: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The docs folders on main and on the handover branch, and the legacy files to migrate."""
    folders = docs_folders(world)
    files = {base: git.read_folders(base, folders)}
    for path in world.config.docs.migrate:
        text = git.show(base, path)
        if text is not None:
            files[base][path] = text
    branch = handover_branch(world)
    if branch and branch in branches:
        head = branches[branch].head
        files[head] = git.read_folders(head, folders)
    return files
