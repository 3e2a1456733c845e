"""pulls: the pull requests that carry each child's live fixes, compared with what GitHub holds.

Pure: from the report, the config and `GitHubState` to one `Operation` per proposed pull
request (create, update, nothing, blocked) and a close for each of the bot's open pull requests
nothing calls for any more. Bodies and commit messages are rendered in.
"""
from __future__ import annotations

from dataclasses import replace

from bot.config import Config
from bot.gates import blocked, issue_names
from bot.github.blobs import blob_ids
from bot.github.markers import closed_by_bot
from bot.github.ops import Operation
from bot.github.texts import close_comment, commit_message, pr_body
from bot.github.world import World
from bot.model import GitHubState, ProposedPR
from bot.plan import proposed_prs

BRANCH_PREFIX = "drift/"


def pull_writes(world: World, state: GitHubState, *, reopen: frozenset[str] = frozenset(),
                only: frozenset[str] | None = None) -> list[Operation]:
    """`reopen` names slugs whose earlier closed-unmerged PR no longer holds them back; `only`
    restricts the plan to PRs that carry one of the named children (and then closes nothing else)."""
    report, config = world.report, world.config
    ops: list[Operation] = []
    # A file that could not be read this run says nothing about whether its drift is gone:
    # pull requests that touch it are left as they are, and none is closed.
    unreadable = {e.file for e in report.errors}
    proposed = proposed_prs(report, config, world.title)
    if only is not None:
        proposed = tuple(p for p in proposed if set(p.children) & only)
    wanted = {p.branch for p in proposed}
    held = held_by_gates(config, state, proposed)
    for pr in proposed:
        op = _plan_one(pr, state, dict(world.changes.get(pr.slug, {})), world.author[1], pr.slug in reopen, unreadable)
        if op.op == "create" and pr.slug in held:
            op = Operation("nothing", pr.branch, f"held back: {held[pr.slug]} (gates in .drift.yml); "
                           "it is opened once that is closed", pr)
        if op.op in ("create", "update"):
            op = _with_texts(op, world, state)
        ops.append(op)
    if only is None:
        for pull in state.pulls:
            if pull.state == "open" and pull.marker is not None and pull.head.startswith(BRANCH_PREFIX) \
                    and pull.head not in wanted:
                if unreadable:
                    ops.append(Operation("nothing", f"#{pull.number}", "kept: " + ", ".join(sorted(unreadable)) +
                                         " could not be read this run, so its drift may not be gone", number=pull.number,
                                         branch=pull.head))
                    continue
                branch = state.branches.get(pull.head)
                reason = "none of its divergences is left: main caught up or the host was reverted"
                ops.append(Operation("close", f"#{pull.number}", reason, number=pull.number, branch=pull.head,
                                     branch_head=branch.head if branch else None,
                                     body=closed_by_bot(pull.body) if pull.body else None,
                                     comment=close_comment(world, reason, pull.head)))
    return ops


def _with_texts(op: Operation, world: World, state: GitHubState) -> Operation:
    assert op.pr is not None
    return replace(op, body=pr_body(world, state, op.pr),
                   message=commit_message(world, state, op.pr) if op.push else None)


def gated_issues(config: Config, proposed: tuple[ProposedPR, ...]) -> set[int]:
    """The issues whose state decides whether a gate holds one of `proposed` back."""
    names = issue_names(config)
    gated = {c for pr in proposed for c in pr.children if c in config.gates}
    return {names[n] for c in gated for n in (c, *config.gates[c]) if n in names}


def held_by_gates(config: Config, state: GitHubState, proposed: tuple[ProposedPR, ...]) -> dict[str, str]:
    """slug -> why: a pull request for a child whose gate is closed is not opened (R-10 before RT-1)."""
    out = {}
    for pr in proposed:
        reasons = [g.reason for c in pr.children if c in config.gates and (g := blocked(config, state.issues, c))]
        if reasons:
            out[pr.slug] = "; ".join(reasons)
    return out


def _plan_one(pr: ProposedPR, state: GitHubState, files: dict[str, str | None], bot_email: str, reopened: bool,
              unreadable: set[str]) -> Operation:
    on_branch = [p for p in state.pulls if p.head == pr.branch]
    branch = state.branches.get(pr.branch)
    open_pulls = [p for p in on_branch if p.state == "open"]
    foreign = [p for p in open_pulls if p.marker is None]
    if foreign:
        return Operation("blocked", pr.branch, f"open pull request #{foreign[0].number} on {pr.branch} was not opened by drift-bot; "
                         "close it or rename its branch", pr)
    ours = [p for p in on_branch if p.marker is not None]
    if branch is not None and not ours and branch.author_email != bot_email:
        return Operation("blocked", pr.branch, f"branch {pr.branch} exists and is not drift-bot's ({branch.author_email}); "
                         "delete or rename it", pr)
    if not files:
        return Operation("nothing", pr.branch, "its divergences need no change in main's files (secrets stay on the host)", pr)
    up_to_date = branch is not None and branch.parent == state.base_commit and branch.changes == blob_ids(files)
    head = branch.head if branch else None
    if open_pulls:
        pull = open_pulls[0]
        touched = sorted(unreadable & (set(branch.changes) if branch else set()))
        if touched:
            return Operation("nothing", f"#{pull.number}", f"kept: {', '.join(touched)} could not be read this run", pr,
                             number=pull.number, branch_head=head)
        reasons = []
        if (pull.marker or {}).get("fingerprint") != pr.fingerprint:
            reasons.append("the live fixes changed since it was written")
        if branch is not None and branch.parent != state.base_commit:
            reasons.append(f"main moved on ({state.base_commit[:7]})")
        elif not up_to_date:
            reasons.append("its branch does not hold the live fixes")
        if pull.title != pr.title:
            reasons.append("its title is out of date")
        if not reasons:
            return Operation("nothing", f"#{pull.number}", "up to date", pr, number=pull.number, branch_head=head)
        return Operation("update", f"#{pull.number}", "; ".join(reasons), pr, number=pull.number, files=files,
                         branch_head=head, push=not up_to_date)
    # Only a human's close holds the same changes back; the bot marks the ones it closed itself.
    closed = [p for p in on_branch if p.state == "closed" and not p.merged and p.marker is not None
              and not p.marker.get("closed_by_bot") and p.marker.get("fingerprint") == pr.fingerprint]
    if closed and not reopened:
        children = " ".join(pr.children)
        return Operation("nothing", pr.branch, f"#{closed[0].number} with these same fixes was closed without merging; "
                         f"not proposed again until the live values change (`/drift reopen {children}` lifts this)", pr,
                         number=closed[0].number)
    reason = "reopened on request" if closed else "no pull request carries these live fixes yet"
    return Operation("create", pr.branch, reason, pr, files=files, branch_head=head, push=True)
