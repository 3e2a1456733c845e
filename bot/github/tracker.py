"""tracker: the writes that keep the MEGA, its research sub-issues and the child comments true.

Pure: from `GitHubState` (the MEGA, the sub-issues, the issues, the reviews and the comments
`observe` read) to the writes, in the order apply makes them: the MEGA created when there is
none, linked under R-0; research issues created and linked in their configured order; the
issues whose work has landed closed; each child's comment posted or edited; the MEGA's body.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.gates import issue_names
from bot.github.markers import BOT_LABEL, MEGA_MARKER, child_marker, has_sections, read_state, research_marker
from bot.github.ops import (CommentCreate, CommentEdit, IssueClose, IssueCreate, IssueEdit, SubIssueLink,
                            SubIssueMove, Write)
from bot.github.world import World
from bot.model import GitHubState, IssueState
from bot.render import render_template
from bot.tracker import Review, TrackerView, plan_tracker, record_comment_ids, review_summary


@dataclass(frozen=True)
class ResearchItem:
    key: str
    issue: int | None  # None: declared by title, created by the bot
    title: str | None = None
    body: str | None = None


def research_items(config: Any) -> list[ResearchItem]:
    """`tracker.research` in the configured order: issue numbers, or {key, title, body} to create."""
    out = []
    for i, entry in enumerate(config.tracker.research):
        if isinstance(entry, int):
            out.append(ResearchItem(f"#{entry}", entry))  # its title names it
        elif isinstance(entry, dict):
            out.append(ResearchItem(str(entry.get("key") or entry.get("title") or f"research-{i + 1}"),
                                    entry.get("issue"), entry.get("title"), entry.get("body")))
    return out


class Numbers:
    """Placeholders for numbers and ids GitHub gives only when it creates something."""

    def __init__(self, start: int = -1_000_001):
        self.next = start
        self.labels: dict[int, str] = {}

    def new(self, label: str) -> int:
        n = self.next
        self.next -= 1
        self.labels[n] = label
        return n

    def name(self, number: int) -> str:
        return self.labels.get(number, f"#{number}")


def wanted_issues(world: World) -> set[int]:
    """The issues the tracker reads besides the MEGA's sub-issues: children, gates, verification."""
    config = world.config
    gated = {n for item, after in config.gates.items() for n in (item, *after)}
    if config.verify_closes:
        gated.add(config.verify_closes)
    names = issue_names(config)
    return {c.issue for c in config.children if c.issue} | {names[n] for n in gated if n in names}


def mega_writes(world: World, state: GitHubState, numbers: Numbers) -> list[Write]:
    """The MEGA made when GitHub holds none (and no number is configured), and kept under R-0."""
    tracker = world.config.tracker
    out: list[Write] = []
    mega = state.mega
    if mega is None:
        if tracker.mega or "mega" in " ".join(state.unread):
            return out  # the configured MEGA could not be read: nothing is made in its place
        n = numbers.new("the new MEGA")
        out.append(IssueCreate("mega", "the new MEGA", "no issue carries the MEGA marker yet", n,
                               _render(world, "mega-title.txt.j2").strip(), MEGA_MARKER + "\n", (BOT_LABEL,), MEGA_MARKER))
        return out
    if tracker.parent and state.parent_subs is not None and mega.number not in {i.number for i in state.parent_subs}:
        out.append(SubIssueLink("link:mega", f"#{tracker.parent}", f"the MEGA ({numbers.name(mega.number)}) is not a sub-issue of #{tracker.parent}",
                                tracker.parent, mega.number, mega.id))
    return out


def tracker_writes(world: World, state: GitHubState, numbers: Numbers,
                   closed_now: Mapping[str, str] | None = None, failed: frozenset[str] = frozenset()) -> list[Write]:
    """Everything after the MEGA exists: research, closes, comments, the MEGA's body. A write in
    `failed` (GitHub refused it this run) is not made, and the body shows the state without it."""
    mega = state.mega
    if mega is None or state.mega_subs is None:
        return []
    out: list[Write] = []
    subs = list(state.mega_subs)
    issues: dict[int, IssueState] = {**state.issues, **{i.number: i for i in subs}, mega.number: mega}
    issues.update({i.number: i for i in state.parent_subs or ()})
    research: dict[str, int] = {}
    for item in research_items(world.config):
        number = item.issue
        if not number:
            marker = research_marker(item.key)
            existing = next((i for i in subs if marker in i.body), None) or \
                next((i for i in issues.values() if marker in i.body), None)
            if existing is None:
                n = numbers.new(f"the new research issue {item.key}")
                body = marker + "\n" + _render(world, "research-body.md.j2", key=item.key, title=item.title,
                                               body=item.body, mega=mega.number)
                out.append(IssueCreate(f"research:{item.key}", numbers.name(n), f"research item {item.key} has no issue yet",
                                       n, str(item.title or item.key), body, (BOT_LABEL,), marker))
                continue  # linked and ordered once GitHub has given it a number
            number = existing.number
            issues[number] = existing
        research[item.key] = int(number)
    out += _research_links(mega, subs, research, issues, numbers)

    parent_subs = tuple(i.number for i in state.parent_subs or ())
    pulls = state.pulls
    reviews = _reviews(world, state, mega)

    def planned(issues: Mapping[int, IssueState]) -> Any:
        return plan_tracker(world.report, world.config, TrackerView(mega, issues, pulls, parent_subs, reviews), research,
                            lambda name, **context: _render(world, name, **context), instance=world.instance,
                            closed_now=closed_now)

    plan = planned(issues)
    if plan.closures:
        # Close first, then render the MEGA with those issues closed: one run settles it.
        for closure in plan.closures:
            if f"close:{closure.issue}" in failed:
                continue
            why = ("everything it carried has landed" if closure.name != "R-0" else "its gates are satisfied")
            out.append(IssueClose(f"close:{closure.issue}", f"#{closure.issue}", why, closure.issue, closure.name,
                                  closure.comment))
            if closure.issue in issues:
                issues[closure.issue] = dataclasses.replace(issues[closure.issue], state="closed", state_reason="completed")
        plan = planned(issues)

    new_ids: dict[str, int] = {}
    for comment in plan.comments:
        marker = child_marker(comment.child, world.instance)
        key = f"comment:{comment.child}"
        if comment.comment_id:
            if comment.changed:
                out.append(CommentEdit(key, f"#{comment.issue}", f"the {comment.child} comment is out of date",
                                       comment.comment_id, comment.issue, comment.body))
            continue
        # No id remembered (a first run, or a MEGA whose state line was lost): the comment found
        # by its marker is edited, so a child never gets two.
        found = state.comments.get(marker)
        if found is not None:
            new_ids[comment.child] = found[0]
            if found[1] != comment.body:
                out.append(CommentEdit(key, f"#{comment.issue}", f"the {comment.child} comment is out of date",
                                       found[0], comment.issue, comment.body))
            continue
        if key in failed:
            continue
        new_ids[comment.child] = numbers.new(f"the new {comment.child} comment")
        out.append(CommentCreate(key, f"#{comment.issue}", f"{comment.child} has no drift-bot comment yet",
                                 comment.issue, comment.body, marker))
    body = record_comment_ids(plan.body, new_ids, world.instance) if new_ids else plan.body
    if body != mega.body:
        out.append(IssueEdit("mega:body", numbers.name(mega.number), _why_body(mega.body, body), mega.number, body))
    return out


def _why_body(old: str, new: str) -> str:
    if MEGA_MARKER not in (old or "") or not has_sections(old):
        return "its sections are not written yet"
    return "what it shows changed (status, backlog, children, research or gates)"


def _research_links(mega: IssueState, subs: list[IssueState], research: Mapping[str, int],
                    issues: Mapping[int, IssueState], numbers: Numbers) -> list[Write]:
    """Each research issue a sub-issue of the MEGA, and among them the configured order."""
    out: list[Write] = []
    subs = list(subs)
    linked = {i.number for i in subs}
    for key, number in research.items():
        if number in linked:
            continue
        state = issues.get(number)
        if state is None:
            continue  # could not be read: `unread` says so
        out.append(SubIssueLink(f"link:research:{key}", numbers.name(mega.number), f"research {key} ({numbers.name(number)}) "
                                "is not a sub-issue of the MEGA", mega.number, number, state.id))
        subs.append(state)
        linked.add(number)
    wanted = [n for n in research.values() if n in linked]
    if [i.number for i in subs if i.number in wanted] == wanted:
        return out
    ids = {i.number: i.id for i in subs}
    for previous, number in zip([None, *wanted], wanted):
        why = "the research sub-issues are not in the configured order"
        if previous is None:
            if subs[0].number != number:
                out.append(SubIssueMove(f"move:{number}", numbers.name(mega.number), why, mega.number, ids[number],
                                        before_id=subs[0].id))
        else:
            out.append(SubIssueMove(f"move:{number}", numbers.name(mega.number), why, mega.number, ids[number],
                                    after_id=ids[previous]))
    return out


def _reviews(world: World, state: GitHubState, mega: IssueState) -> dict[int, Review]:
    """Where the reviews of the bot's open pull requests stand: what `observe` read for those whose
    `updated_at` moved since the MEGA remembered them, else what the MEGA remembers. A move made by
    this run's own write (an update) is no review; a pull request opened now awaits one."""
    remembered = read_state(mega.body, "state" + (f":{world.instance}" if world.instance else "")).get("reviews") or {}
    out = {}
    for pull in state.pulls:
        if pull.state != "open" or pull.marker is None:
            continue
        raw = state.reviews.get(pull.number)
        old = (remembered.get(str(pull.number)) or {}).get("review")
        summary = review_summary(list(raw)) if raw is not None else old if isinstance(old, str) else "awaiting review"
        out[pull.number] = Review(pull.updated_at, summary)
    return out


def _render(world: World, name: str, **context: object) -> str:
    return render_template(name, templates=world.templates, **context)
