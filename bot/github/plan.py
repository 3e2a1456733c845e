"""plan: what GitHub holds (`GitHubState`) and what the live host calls for (`World`) -> one `Plan`.

Pure. Every write the run would make is in the plan, in the order apply makes it: the MEGA
(when there is none yet), the pull requests, the tracker, the docs pull requests. Each stage
plans on the state the earlier writes leave behind (`settle`), so the MEGA shows the pull
requests this same run opens. A number GitHub gives only on creation is a placeholder
(`Numbers`); the writes that hold one are listed in `Plan.later` and filled in by apply.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.github.blobs import blob_ids
from bot.github.docs import docs_writes
from bot.github.markers import pr_marker
from bot.github.ops import (AttachmentCommit, CommentCreate, CommentEdit, DocsPull, IssueClose, IssueCreate, IssueEdit,
                            Operation, Plan, SubIssueLink, SubIssueMove)
from bot.github.pulls import pull_writes
from bot.github.tracker import Numbers, mega_writes, tracker_writes
from bot.github.world import World
from bot.model import BranchState, DiffReport, GitHubState, IssueState, PullRequestState
from bot.config import Config
from bot.plan import TitleFn, default_title, proposed_prs

UPDATED = "known-after-apply"  # GitHub's `updated_at` of a pull request this run writes
_PENDING = re.compile(r"-1\d{6}\b|" + UPDATED)


def pending(write: Any) -> bool:
    """Whether a write holds a placeholder: a value only GitHub's answer to an earlier write gives."""
    if isinstance(write, IssueCreate):
        write = dataclasses.replace(write, number=0)  # the number it is about to be given is its own
    return bool(_PENDING.search(repr(write)))


def plan_run(world: World, state: GitHubState, *, reopen: frozenset[str] = frozenset(),
             only: frozenset[str] | None = None, closed_now: Mapping[str, str] | None = None,
             pulls: bool = True, failed: frozenset[str] = frozenset()) -> Plan:
    """`only` acts on the pull requests of those children alone (no tracker, no docs, no closes);
    `closed_now` names issues a `/drift close` closes in this run, with why; `pulls=False` plans
    the tracker alone (`drift tracker`); `failed` names writes apply tried and GitHub refused in
    this run: planning again, the rest is planned on a state without them."""
    numbers = Numbers()
    ops: list[Any] = []
    tracks = world.tracks and only is None

    def add(writes: Iterable[Any]) -> None:
        nonlocal state
        for write in writes:
            if write.key in failed:
                continue
            ops.append(write)
            state = settle(state, write, world, numbers)

    if tracks:
        first = mega_writes(world, state, numbers)
        add(first)
        if any(isinstance(w, IssueCreate) for w in first):
            add(mega_writes(world, state, numbers))  # now it exists: kept under R-0
    if pulls and world.applies:
        add(pull_writes(world, state, reopen=reopen, only=only))
    if tracks:
        writes = tracker_writes(world, state, numbers, closed_now, failed)
        created = [w for w in writes if isinstance(w, IssueCreate) and w.key not in failed]
        if created:
            add(created)  # the research issues declared by title; then linked, ordered and shown
            writes = tracker_writes(world, state, numbers, closed_now, failed)
        add(writes)
    if pulls and world.applies and only is None:
        add(docs_writes(world, state))
    later = frozenset(op.key for op in ops if op.op not in ("nothing", "blocked") and pending(op))
    return Plan(tuple(ops), world.report.unrouted, github_visible=True, later=later, unread=state.unread)


def offline_plan(report: DiffReport, config: Config, title: TitleFn = default_title) -> Plan:
    """Without GitHub: assume no pull request exists yet, so every proposed PR is a create."""
    ops = tuple(
        Operation("create", pr.branch, "GitHub not consulted (no GITHUB_TOKEN): assuming no pull request exists", pr)
        for pr in proposed_prs(report, config, title)
    )
    return Plan(ops, report.unrouted, github_visible=False)


def settle(state: GitHubState, write: Any, world: World, numbers: Numbers | None = None,
           answer: Mapping[str, Any] | None = None) -> GitHubState:
    """The state GitHub holds once `write` is made: with GitHub's `answer` when apply has it,
    else as predicted, with placeholders for what only GitHub can say."""
    answer = answer or {}
    numbers = numbers or Numbers()
    if isinstance(write, Operation):
        return _settle_pull(state, write, world, numbers, answer)
    if isinstance(write, DocsPull):
        pull = answer.get("pull") or PullRequestState(
            write.number or numbers.new(f"the new pull request for {write.branch}"), "open", False, write.branch,
            world.config.base, write.title, "", None, None, write.body, UPDATED)
        branches = dict(state.branches)
        if write.push:
            branches[write.branch] = BranchState(write.branch, answer.get("commit") or f"{UPDATED}:{write.branch}",
                                                 state.base_commit, world.author[1], blob_ids(write.files))
        return dataclasses.replace(state, pulls=_put(state.pulls, pull), branches=branches)
    if isinstance(write, IssueCreate):
        issue = answer.get("issue") or IssueState(write.number, numbers.new("its id"), write.title, "open", write.body)
        changes: dict[str, Any] = {"issues": {**state.issues, issue.number: issue}}
        if write.key == "mega":
            changes.update(mega=issue, mega_subs=())
        return dataclasses.replace(state, **changes)
    if isinstance(write, IssueEdit):
        return _issue(state, write.number, body=write.body)
    if isinstance(write, IssueClose):
        return _issue(state, write.number, state="closed", state_reason=write.state_reason)
    if isinstance(write, SubIssueLink):
        child = state.issues.get(write.child) or IssueState(write.child, write.child_id, "", "open")
        if state.mega is not None and write.parent == state.mega.number:
            return dataclasses.replace(state, mega_subs=(*(state.mega_subs or ()), child))
        return dataclasses.replace(state, parent_subs=(*(state.parent_subs or ()), child))
    if isinstance(write, SubIssueMove):
        subs = [i for i in state.mega_subs or () if i.id != write.child_id]
        moved = next((i for i in state.mega_subs or () if i.id == write.child_id), None)
        if moved is not None:
            at = next((n + 1 for n, i in enumerate(subs) if i.id == write.after_id), None) if write.after_id is not None \
                else next((n for n, i in enumerate(subs) if i.id == write.before_id), 0)
            subs.insert(len(subs) if at is None else at, moved)
        return dataclasses.replace(state, mega_subs=tuple(subs))
    if isinstance(write, CommentCreate):
        comment_id = answer.get("id") or numbers.new("its comment id")
        return dataclasses.replace(state, comments={**state.comments, write.marker: (comment_id, write.body)})
    if isinstance(write, CommentEdit):
        comments = {m: ((i, write.body) if i == write.comment_id else (i, b)) for m, (i, b) in state.comments.items()}
        return dataclasses.replace(state, comments=comments)
    if isinstance(write, AttachmentCommit):
        head = answer.get("commit") or f"{UPDATED}:{write.branch}"
        files = {**(state.attachments[1] if state.attachments else {}), write.path: write.text}
        return dataclasses.replace(state, attachments=(head, files))
    return state


def _settle_pull(state: GitHubState, op: Operation, world: World, numbers: Numbers,
                 answer: Mapping[str, Any]) -> GitHubState:
    if op.op not in ("create", "update", "close"):
        return state
    branches = dict(state.branches)
    if op.op == "close":
        old = next((p for p in state.pulls if p.number == op.number), None)
        pull = answer.get("pull") or (dataclasses.replace(old, state="closed", body=op.body or old.body,
                                                          marker=pr_marker(op.body or old.body), updated_at=UPDATED)
                                      if old is not None else None)
        if op.branch and op.branch_head:
            branches.pop(op.branch, None)
        return dataclasses.replace(state, pulls=_put(state.pulls, pull) if pull else state.pulls, branches=branches)
    assert op.pr is not None
    old = next((p for p in state.pulls if p.number == op.number), None) if op.op == "update" else None
    if old is not None:
        predicted = dataclasses.replace(old, title=op.pr.title, body=op.body or "", marker=pr_marker(op.body),
                                        updated_at=UPDATED)
    else:
        predicted = PullRequestState(op.number or numbers.new(f"the new pull request for {op.pr.branch}"), "open", False,
                                     op.pr.branch, world.config.base, op.pr.title, "", pr_marker(op.body), None,
                                     op.body or "", UPDATED)
    pull = answer.get("pull") or predicted
    if op.push:
        branches[op.pr.branch] = BranchState(op.pr.branch, answer.get("commit") or f"{UPDATED}:{op.pr.branch}",
                                             state.base_commit, world.author[1], blob_ids(op.files or {}))
    return dataclasses.replace(state, pulls=_put(state.pulls, pull), branches=branches)


def _put(pulls: tuple[PullRequestState, ...], pull: PullRequestState) -> tuple[PullRequestState, ...]:
    return tuple(p for p in pulls if p.number != pull.number) + (pull,)


def _issue(held: GitHubState, number: int, **changes: Any) -> GitHubState:
    def edited(issue: Any) -> Any:
        return dataclasses.replace(issue, **changes) if issue is not None and issue.number == number else issue

    return dataclasses.replace(held, issues={n: edited(i) for n, i in held.issues.items()}, mega=edited(held.mega),
                               mega_subs=None if held.mega_subs is None else tuple(edited(i) for i in held.mega_subs),
                               parent_subs=None if held.parent_subs is None else tuple(edited(i) for i in held.parent_subs))
