"""tracker: the MEGA close-out issue and the per-child comments, re-rendered from state.

Pure: given the report, the pull requests and issues GitHub holds, and the MEGA's current
body, it returns the body the MEGA should have and the comments each child should carry.
The bot owns only its marked sections; a box a human ticked stays ticked; the attachment
slots are written once and then belong to the humans.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.config import Config
from bot.model import DiffReport, IssueState, PullRequestState
from bot.fleet import fleet_facts, fleet_overlaps, fleet_rows, with_fleet
from bot.plan import proposed_prs
from bot.github.markers import MEGA_MARKER, child_marker, has_slots, read_section, read_state, replace_section, write_state
from bot.render import fit

SLOTS = (("session-memory", "Session memory"), ("transcript", "Raw session transcript"))
Render = Callable[..., str]


@dataclass(frozen=True)
class BacklogItem:
    id: str
    child: str
    file: str
    pointer: str
    pr: int | None
    pr_state: str  # open | merged | closed | none
    ticked: bool
    gone: bool = False  # no longer live: kept only because its PR merged


@dataclass(frozen=True)
class ChildComment:
    child: str
    issue: int
    comment_id: int | None
    body: str
    changed: bool


@dataclass(frozen=True)
class Review:
    """Where the reviews of one open pull request stand, as of its `updated_at`."""

    updated_at: str
    summary: str  # "approved by alice", "changes requested by bob; approved by alice", "awaiting review"


@dataclass(frozen=True)
class TrackerView:
    mega: IssueState | None
    issues: Mapping[int, IssueState]  # children, research items and whatever the gates name
    pulls: tuple[PullRequestState, ...]
    parent_subs: tuple[int, ...] = ()  # every native sub-issue of R-0, in its order
    reviews: Mapping[int, Review] = field(default_factory=dict)  # open bot PRs only


def review_summary(reviews: list[tuple[str, str]]) -> str:
    """Each reviewer's standing is their latest approval, request for changes or dismissal, as
    GitHub counts it; comments and pending reviews leave it as it was."""
    standing: dict[str, str] = {}
    for login, state in reviews:  # oldest first, as GitHub lists them
        if state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            standing[login] = state
    changes = sorted(login for login, state in standing.items() if state == "CHANGES_REQUESTED")
    approved = sorted(login for login, state in standing.items() if state == "APPROVED")
    parts = ([f"changes requested by {', '.join(changes)}"] if changes else []) + \
            ([f"approved by {', '.join(approved)}"] if approved else [])
    return "; ".join(parts) or "awaiting review"


def known_reviews(body: str | None, pulls: tuple[PullRequestState, ...], instance: str | None = None) -> dict[int, Review]:
    """The reviews the MEGA remembers for pull requests GitHub has not touched since:
    a pull request whose `updated_at` moved (a review, a push) must be read again."""
    remembered = read_state(body, "state" + (f":{instance}" if instance else "")).get("reviews") or {}
    out = {}
    for pull in pulls:
        old = remembered.get(str(pull.number)) or {}
        if pull.updated_at and old.get("updated_at") == pull.updated_at and isinstance(old.get("review"), str):
            out[pull.number] = Review(pull.updated_at, old["review"])
    return out


@dataclass(frozen=True)
class Closure:
    """An issue the bot closes, with the comment that says why."""

    name: str
    issue: int
    comment: str


@dataclass(frozen=True)
class TrackerPlan:
    body: str
    body_changed: bool
    comments: tuple[ChildComment, ...]
    state: dict[str, Any] = field(default_factory=dict)
    closures: tuple[Closure, ...] = ()


def _pr_state(pull: PullRequestState | None) -> str:
    if pull is None:
        return "none"
    return "merged" if pull.merged else pull.state


def _pulls_by_branch(pulls: tuple[PullRequestState, ...]) -> dict[str, PullRequestState]:
    """The pull request that speaks for each bot branch: an open one, else the latest."""
    out: dict[str, PullRequestState] = {}
    for pull in sorted(pulls, key=lambda p: p.number):
        if pull.marker is None:
            continue
        current = out.get(pull.head)
        if current is None or current.state != "open":
            out[pull.head] = pull
    return out


def _ticked_by_humans(body: str | None, name: str = "backlog") -> set[str]:
    section = read_section(body, name) or ""
    return set(re.findall(r"^- \[[xX]\] .*?<!-- d:([0-9a-f]+) -->", section, re.M))


def backlog(report: DiffReport, config: Config, view: TrackerView, previous: Mapping[str, Any],
            section: str = "backlog") -> list[BacklogItem]:
    by_branch = _pulls_by_branch(view.pulls)
    pulls_by_number = {p.number: p for p in view.pulls}
    branch_of = {child: pr.branch for pr in proposed_prs(report, config) for child in pr.children}
    human = _ticked_by_humans(view.mega.body if view.mega else None, section)
    items, seen = [], set()
    order = {c.name: i for i, c in enumerate(config.children)}
    for d in sorted(report.routed, key=lambda d: order.get(d.child or "", len(order))):
        pull = by_branch.get(branch_of.get(d.child or "", ""))
        state = _pr_state(pull)
        items.append(BacklogItem(d.id, d.child or "", d.file, d.pointer, pull.number if pull else None, state,
                                 ticked=state == "merged" or d.id in human))
        seen.add(d.id)
    # A divergence that left the diff because its PR merged stays on the list, ticked.
    for div_id, old in (previous.get("backlog") or {}).items():
        if div_id in seen:
            continue
        pull = pulls_by_number.get(old.get("pr") or -1)
        if pull is not None and pull.merged:
            items.append(BacklogItem(div_id, old["child"], old["file"], old["pointer"], pull.number, "merged", True, gone=True))
    return items


def _verification_closure(config: Config, report: DiffReport, view: TrackerView, gates: list[Any],
                          render: Render) -> Closure | None:
    """The verification child (`verify_closes:`) once every probe passed and its gate is open."""
    from bot.gates import issue_names

    name = config.verify_closes
    number = issue_names(config).get(str(name)) if name else None
    probes = [f for f in report.findings if f.check == "verify"]
    issue = view.issues.get(number) if number else None
    if not probes or issue is None or issue.state == "closed" or any(f.severity != "info" for f in probes):
        return None
    if any(g.item == name and g.state == "blocked" for g in gates):
        return None
    return Closure(str(name), int(number), render("close-verified.md.j2", child=name, probes=probes, report=report))


def _closures(config: Config, view: TrackerView, children: list[dict[str, Any]], gates: list[Any],
              reasons: Mapping[str, str], render: Render, report: DiffReport | None = None) -> list[Closure]:
    """Children whose live-only changes have all landed (a merged PR, none open, nothing left),
    and R-0 once its gates are satisfied and its children closed — when `close_children` is on."""
    held = {g.item for g in gates if g.state == "blocked"}
    out = []
    # `verify_closes:` is its own opt-in: a passing verification closes that child either way.
    verified = _verification_closure(config, report, view, gates, render) if report is not None else None
    if verified is not None:
        out.append(verified)
        held.discard(verified.name)
    if not config.close_children:
        return out
    for row in children:
        issue = view.issues.get(row["issue"]) if row["issue"] else None
        if issue is None or issue.state == "closed" or row["child"] in held:
            continue
        if row["divergences"] == 0 and row["pr_state"] == "merged":
            pulls = [p for p in view.pulls if p.merged and p.marker and row["child"] in (p.marker.get("children") or [])]
            out.append(Closure(row["child"], row["issue"], render("close-child.md.j2", row=row, pulls=pulls,
                                                                     reason=reasons.get(row["child"]))))
    parent = view.issues.get(config.tracker.parent) if config.tracker.parent else None
    closing = {c.issue for c in out}
    mega = view.mega.number if view.mega else None
    # Every sub-issue of R-0 counts, not only the configured children (R-12, say); the MEGA,
    # R-0's own close-out tracker, is the one that may stay open with it.
    under_parent = set(view.parent_subs) | {r["issue"] for r in children if r["issue"]}
    children_open = [n for n in under_parent - closing - {mega}
                     if n in view.issues and view.issues[n].state != "closed"]
    gates_wait = {a for g in gates if g.item == "R-0" for a in g.blocked_by}
    if verified is not None and gates_wait <= {verified.name}:
        held.discard("R-0")  # what R-0 waited for closes in this same run
    if parent is not None and parent.state != "closed" and "R-0" not in held and not children_open:
        out.append(Closure("R-0", parent.number, render("close-child.md.j2", row={"child": "R-0"}, pulls=[],
                                                          reason="every child is closed and its gates are satisfied")))
    return out


def _child_rows(report: DiffReport, config: Config, view: TrackerView) -> list[dict[str, Any]]:
    by_branch = _pulls_by_branch(view.pulls)
    branch_of = {child: pr.branch for pr in proposed_prs(report, config) for child in pr.children}
    rows = []
    for child in config.children:
        count = sum(1 for d in report.routed if d.child == child.name)
        pull = by_branch.get(branch_of.get(child.name, ""))
        if pull is None:
            # A child whose PR merged no longer has a proposed branch; find its last PR by marker.
            pull = next((p for p in sorted(view.pulls, key=lambda p: -p.number)
                         if p.marker and child.name in (p.marker.get("children") or [])), None)
        issue = view.issues.get(child.issue) if child.issue else None
        review = view.reviews.get(pull.number) if pull is not None and pull.state == "open" else None
        rows.append({"child": child.name, "title": child.title, "issue": child.issue,
                     "issue_state": issue.state if issue else "unknown", "divergences": count,
                     "pr": pull.number if pull else None, "pr_state": _pr_state(pull),
                     "merge_commit": pull.merge_commit if pull else None,
                     "review": review.summary if review else None})
    return rows


def _research_rows(config: Config, view: TrackerView, research: Mapping[str, int]) -> list[dict[str, Any]]:
    rows = []
    for key, number in research.items():
        issue = view.issues.get(number)
        rows.append({"key": key, "number": number, "title": issue.title if issue else f"#{number}",
                     "closed": bool(issue and issue.state == "closed"),
                     "reason": issue.state_reason if issue else None})
    return rows


def _fits(render: Callable[[int], str]) -> str:
    """Render with ever shorter lists until the body is under GitHub's limit."""
    return fit(render, 500)


def plan_tracker(report: DiffReport, config: Config, view: TrackerView, research: Mapping[str, int], render: Render,
                 first_seen: str | None = None, instance: str | None = None,
                 closed_now: Mapping[str, str] | None = None) -> TrackerPlan:
    """The MEGA body and the child comments the current state calls for.

    In a fleet (`instance` given), each host keeps its own status, findings and backlog
    sections and its own state line, so the jobs of a matrix never overwrite each other.
    """
    suffix = f":{instance}" if instance else ""
    state_name = "state" + suffix
    current = view.mega.body if view.mega else ""
    previous = read_state(current, state_name)
    items = backlog(report, config, view, previous, "backlog" + suffix)
    from bot.gates import gate_states

    children = _child_rows(report, config, view)
    research_rows = _research_rows(config, view, research)
    gates = gate_states(config, view.issues)
    reasons = {**((read_state(current, "state") or {}).get("closed") or {}), **(closed_now or {})}
    # The status shows when this live state was first seen, so an unchanged host changes nothing.
    seen_at = previous.get("seen_at") if previous.get("snapshot") == report.snapshot_id else None
    seen_at = seen_at or first_seen or report.captured_at
    fleet = len(config.instances) > 1
    applies = next((i.apply for i in config.instances if i.name == instance), True)

    comments = []
    old_comments = previous.get("comments") or {}
    for row in children:
        mine = [d for d in report.routed if d.child == row["child"]]
        old = old_comments.get(row["child"]) or {}
        if not row["issue"] or (not mine and not old):
            continue
        body = _fits(lambda limit: render("child-comment.md.j2", marker=child_marker(row["child"], instance), row=row,
                                          instance=instance,
                                          divergences=mine, limit=limit, mega=view.mega.number if view.mega else None,
                                          report=report))
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        comments.append(ChildComment(row["child"], row["issue"], old.get("id"), body, changed=old.get("hash") != digest))

    comments_state = {c.child: {"id": old_comments.get(c.child, {}).get("id"), "issue": c.issue,
                                "hash": hashlib.sha256(c.body.encode()).hexdigest()[:16]} for c in comments}

    def body_with(limit: int) -> str:
        body = current if MEGA_MARKER in (current or "") else MEGA_MARKER + "\n" + (current or "")
        context = dict(report=report, config=config, items=items, children=children, research=research_rows,
                       seen_at=seen_at, limit=limit, instance=instance, gates=gates, reasons=reasons)
        for name in ("status", "findings", "backlog", "children", "research", "gates"):
            own = name in ("status", "findings", "backlog", "children")
            body = replace_section(body, name + (suffix if own else ""), render(f"tracker-{name}.md.j2", **context))
        if not has_slots(body):
            body = replace_section(body, "attachments", render("tracker-attachments.md.j2", slots=SLOTS))
        # Only the items the body shows are remembered: what is cut is listed by `drift diff` anyway.
        remembered = {i.id: {"child": i.child, "file": i.file, "pointer": i.pointer, "pr": i.pr}
                      for i in items[:limit] if i.pr is not None}
        reviews = {str(n): {"updated_at": r.updated_at, "review": r.summary} for n, r in sorted(view.reviews.items())}
        facts = {"fleet": fleet_facts(report, items, applies, limit)} if fleet and instance else {}
        body = write_state(body, {"snapshot": report.snapshot_id, "seen_at": seen_at, "backlog": remembered,
                                  "comments": comments_state, **({"reviews": reviews} if reviews else {}), **facts},
                           state_name)
        if fleet:
            # Owned by no host: every run rewrites it whole from all the state lines, its own included.
            rows = fleet_rows(config, body)
            shared, different = fleet_overlaps(rows)
            body = with_fleet(body, render("tracker-fleet.md.j2", rows=rows, shared=shared, different=different,
                                            limit=limit))
        if reasons:
            # Why children were closed by hand is the whole MEGA's memory, not one host's.
            body = write_state(body, {**read_state(body, "state"), "closed": reasons}, "state")
        return body

    body = _fits(body_with)
    closures = _closures(config, view, children, gates, reasons, render, report)
    return TrackerPlan(body, body != current, tuple(comments), read_state(body, state_name), tuple(closures))


def record_comment_ids(body: str, ids: Mapping[str, int], instance: str | None = None) -> str:
    """After posting comments: remember their ids so later runs edit them in place."""
    name = "state" + (f":{instance}" if instance else "")
    state = read_state(body, name)
    for child, comment_id in ids.items():
        state.setdefault("comments", {}).setdefault(child, {})["id"] = comment_id
    return write_state(body, state, name)
