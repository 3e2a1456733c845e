"""plan: (routed divergences, children and groups, what GitHub holds) -> Plan. No I/O here."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from bot.config import Config
from bot.model import DiffReport, Divergence, GitHubState, Operation, Plan, ProposedPR

TitleFn = Callable[[tuple[str, ...], str], str]


def default_title(children: tuple[str, ...], base: str) -> str:
    return f"drift: bring the live fixes of {' + '.join(children)} back to {base}"


def slug_for(children: Sequence[str]) -> str:
    return "-".join(re.sub(r"[^a-z0-9]+", "-", c.lower()).strip("-") for c in children)


def proposed_prs(report: DiffReport, config: Config, title: TitleFn = default_title) -> tuple[ProposedPR, ...]:
    """One PR per child with divergences, or per atomic group when any member has some."""
    by_child: dict[str, list[Divergence]] = {}
    for d in report.routed:
        by_child.setdefault(d.child, []).append(d)  # type: ignore[arg-type]
    order = [c.name for c in config.children]
    units: list[tuple[str, ...]] = []
    for name in order:
        group = next((g for g in config.groups if name in g), (name,))
        if group not in units and any(member in by_child for member in group):
            units.append(group)
    prs = []
    for unit in units:
        members = tuple(m for m in unit if m in by_child) if len(unit) == 1 else unit
        divergences = tuple(d for m in unit for d in by_child.get(m, ()))
        issues = tuple(c.issue for m in unit if (c := config.child(m)) is not None and c.issue is not None)
        slug = slug_for(members)
        prs.append(ProposedPR(slug, f"drift/{slug}", title(members, config.base), members, issues, divergences))
    return tuple(prs)


def offline_plan(report: DiffReport, config: Config, title: TitleFn = default_title) -> Plan:
    """Without GitHub: assume no pull request exists yet, so every proposed PR is a create."""
    ops = tuple(
        Operation("create", pr.branch, "GitHub not consulted (no GITHUB_TOKEN): assuming no pull request exists", pr)
        for pr in proposed_prs(report, config, title)
    )
    return Plan(ops, report.unrouted, github_visible=False)


def _blob(text: str | None) -> str | None:
    from bot.adapters.git import blob_sha  # a pure function of the text

    return None if text is None else blob_sha(text)


def github_plan(
    report: DiffReport,
    config: Config,
    state: GitHubState,
    changes: Mapping[str, Mapping[str, str | None]],
    *,
    bot_email: str,
    title: TitleFn = default_title,
    reopen: frozenset[str] = frozenset(),
    only: frozenset[str] | None = None,
) -> Plan:
    """Compare what GitHub holds with what the divergences call for, PR by PR.

    `changes` holds, per PR slug, the files its branch must carry (from `bot.edit`). `reopen`
    names slugs whose earlier closed-unmerged PR no longer holds them back; `only` restricts
    the plan to PRs that carry one of the named children (and then closes nothing else).
    """
    ops: list[Operation] = []
    # A file that could not be read this run says nothing about whether its drift is gone:
    # pull requests that touch it are left as they are, and none is closed.
    unreadable = {e.file for e in report.errors}
    proposed = proposed_prs(report, config, title)
    if only is not None:
        proposed = tuple(p for p in proposed if set(p.children) & only)
    wanted = {p.branch for p in proposed}
    held = _held_by_gates(config, state, proposed)
    for pr in proposed:
        op = _plan_one(pr, state, dict(changes.get(pr.slug, {})), bot_email, pr.slug in reopen, unreadable)
        if op.op == "create" and pr.slug in held:
            op = Operation("nothing", pr.branch, f"held back: {held[pr.slug]} (gates in .drift.yml); "
                           "it is opened once that is closed", pr)
        ops.append(op)
    if only is None:
        for pull in state.pulls:
            if pull.state == "open" and pull.marker is not None and pull.head.startswith("drift/") and pull.head not in wanted:
                if unreadable:
                    ops.append(Operation("nothing", f"#{pull.number}", "kept: " + ", ".join(sorted(unreadable)) +
                                         " could not be read this run, so its drift may not be gone", number=pull.number))
                    continue
                from bot.adapters.github import closed_by_bot  # a pure rewrite of the body's marker

                branch = state.branches.get(pull.head)
                ops.append(Operation("close", f"#{pull.number}", "none of its divergences is left: main caught up or the host was reverted",
                                     number=pull.number, branch=pull.head, branch_head=branch.head if branch else None,
                                     body=closed_by_bot(pull.body) if pull.body else None))
    return Plan(tuple(ops), report.unrouted, github_visible=True)


def gated_issues(config: Config, proposed: tuple[ProposedPR, ...]) -> set[int]:
    """The issues whose state decides whether a gate holds one of `proposed` back."""
    from bot.gates import issue_names

    names = issue_names(config)
    gated = {c for pr in proposed for c in pr.children if c in config.gates}
    return {names[n] for c in gated for n in (c, *config.gates[c]) if n in names}


def _held_by_gates(config: Config, state: GitHubState, proposed: tuple[ProposedPR, ...]) -> dict[str, str]:
    """slug -> why: a pull request for a child whose gate is closed is not opened (R-10 before RT-1)."""
    from bot.gates import blocked

    out = {}
    for pr in proposed:
        reasons = [g.reason for c in pr.children if c in config.gates and (g := blocked(config, state.issues, c))]
        if reasons:
            out[pr.slug] = "; ".join(reasons)
    return out


def _plan_one(pr: ProposedPR, state: GitHubState, files: dict[str, str | None], bot_email: str, reopened: bool,
              unreadable: set[str] = frozenset()) -> Operation:  # type: ignore[assignment]
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
    desired = {path: _blob(text) for path, text in files.items()}
    up_to_date = branch is not None and branch.parent == state.base_commit and branch.changes == desired
    head = branch.head if branch else None
    if open_pulls:
        pull = open_pulls[0]
        touched = sorted(unreadable & (set(branch.changes) if branch else set()))
        if touched:
            return Operation("nothing", f"#{pull.number}", f"kept: {', '.join(touched)} could not be read this run", pr,
                             number=pull.number, branch_head=head)
        reasons = []
        if pull.marker.get("fingerprint") != pr.fingerprint:  # type: ignore[union-attr]
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
