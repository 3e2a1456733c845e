"""cycle: one GitHub-aware run, observe -> plan -> apply, as `drift plan`, `drift apply`,
`drift tracker`, `/drift` and the action all make it.

A run that plans nothing writes nothing, not even the lock. Otherwise it takes the lock on the
remote, reads GitHub again (the host is not captured again), plans again on what GitHub holds
now, and applies that plan.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.config import Config
from bot.errors import DriftError
from bot.github.access import BRANCH_PREFIX, author, run_lock, site, team_templates, title_from_template, today
from bot.github.apply import ApplyResult, apply_plan
from bot.github.observe import Link, observe
from bot.github.ops import AttachmentCommit, IssueClose, Plan
from bot.github.plan import plan_run, settle
from bot.github.world import World
from bot.attach import BRANCH as ATTACHMENTS, Prepared
from bot.github.attachments import attachment_writes
from bot.github.docs import DocsChange, docs_write
from bot.github.markers import BOT_LABEL, MEGA_MARKER
from bot.model import DiffReport, GitHubState, Snapshot


@dataclass(frozen=True)
class Ask:
    """What a run is asked to do beyond the default (everything `.drift.yml` configures)."""

    only: frozenset[str] | None = None  # the pull requests of these children alone
    reopen: frozenset[str] = frozenset()  # PR slugs a human's earlier close no longer holds back
    closed_now: Mapping[str, str] = field(default_factory=dict)  # `/drift close`: child -> why
    close: Mapping[int, tuple[str, str, str]] = field(default_factory=dict)  # issue -> (name, comment, why), closed first
    pulls: bool = True  # False: the tracker alone (`drift tracker`, `/drift close`)
    issues: tuple[int, ...] = ()  # more issues to read (a command's gates)


def plan_for(world: World, state: GitHubState, ask: Ask, failed: frozenset[str] = frozenset()) -> Plan:
    """The plan of `ask`: the issues a command closes first, then everything else on top of them."""
    first = [IssueClose(f"close:{n}", f"#{n}", why, n, name, comment)
             for n, (name, comment, why) in ask.close.items()
             if (issue := state.issues.get(n)) is None or issue.state != "closed"]
    for write in first:
        state = settle(state, write, world)
    rest = plan_run(world, state, reopen=ask.reopen, only=ask.only, closed_now=ask.closed_now or None, pulls=ask.pulls,
                    failed=failed)
    return Plan(tuple(first) + rest.operations, rest.unrouted, rest.github_visible, rest.later, rest.unread)


def plan_once(config: Config, repo: Path, snapshot: Snapshot, link: Link, ask: Ask = Ask(),
              instance: str | None = None) -> tuple[World, GitHubState, Plan]:
    world, state = observe(config, repo, snapshot, link, instance=instance, issues=ask.issues)
    return world, state, plan_for(world, state, ask)


@dataclass
class Outcome:
    world: World
    plan: Plan
    result: ApplyResult
    cleared_lock: bool = False


def apply_once(config: Config, repo: Path, snapshot: Snapshot, link: Link, ask: Ask = Ask(),
               instance: str | None = None, planned: tuple[World, GitHubState, Plan] | None = None) -> Outcome:
    world, state, plan = planned or plan_once(config, repo, snapshot, link, ask, instance)
    if not plan.writes:
        # Nothing to write; but a lock left by a run that was killed is cleared once it expired.
        blocked = [f"{op.target}: {op.reason}" for op in plan.operations if op.op == "blocked"]
        return Outcome(world, plan, _with_unread(ApplyResult(errors=blocked), plan), cleared_lock=link.git.clear_stale_lock())
    with run_lock(link.git, state.base_commit, link.github.workflow_run_status):
        world, state, plan = plan_once(config, repo, snapshot, link, ask, instance)
        result = apply_plan(plan, world, state, git=link.git, github=link.github,
                            replan=lambda now, failed: plan_for(world, now, _after_first(ask), failed))
    return Outcome(world, plan, _with_unread(result, plan))


def _after_first(ask: Ask) -> Ask:
    """Once its closes are made, a re-plan of the rest does not close them again."""
    return replace(ask, close={})


def _with_unread(result: ApplyResult, plan: Plan) -> ApplyResult:
    result.errors[:0] = [f"tracker: {line}" for line in plan.unread]
    return result


def carry_docs(config: Config, repo: Path, link: Link, change: DocsChange) -> str:
    """`drift handover --pr`, `drift docs migrate --pr`, `/drift handover`: one pull request
    carrying `change`, made from current main; run again with the same pages it writes nothing,
    with other pages it updates that pull request."""
    base_commit, branches = link.git.sync(config.base, BRANCH_PREFIX)
    state = GitHubState(base_commit, link.github.bot_pulls(BRANCH_PREFIX, [change.branch]), branches)
    world = pages_only(config, link)
    write = docs_write(world, state, change, keep_refusal=False)
    if write is None:
        number = next((p.number for p in state.pulls if p.head == change.branch and p.state == "open"), None)
        return f"nothing to do: #{number} already carries these pages"
    with run_lock(link.git, base_commit, link.github.workflow_run_status):
        plan = Plan((write,), (), True)
        result = apply_plan(plan, world, state, git=link.git, github=link.github, replan=lambda now, failed: plan)
    if result.errors:
        raise DriftError("; ".join(result.errors))
    return result.done[0]


def pages_only(config: Config, link: Link) -> World:
    """The world of a run that carries pages and reads no host: no snapshot, nothing compared."""
    nothing = Snapshot("", "", "", "", ())
    report = DiffReport(config.base, None, "", None, None, None, ())
    return World(config, nothing, report, {}, {}, title_from_template(None), author(config), team_templates(config),
                 None, *site(config), today())


def attach_once(config: Config, repo: Path, link: Link, prepared: Prepared, slot: str, label: str) -> tuple[int, str, bool]:
    """`drift attach`: (the MEGA's number, the file's link, whether anything was written)."""
    github = link.github
    if config.tracker.mega:
        mega = github.issue(config.tracker.mega)
    else:
        mega = next((i for i in github.issues_labelled(BOT_LABEL) if MEGA_MARKER in i.body), None)
        if mega is None:
            raise DriftError("no MEGA issue yet: run `drift tracker` first, or set `tracker: {mega: N}`")
    head = link.git.remote_head(ATTACHMENTS)
    files = {}
    if head is not None and (text := link.git.show(head, prepared.path)) is not None:
        files[prepared.path] = text
    base_commit, branches = link.git.sync(config.base, BRANCH_PREFIX)
    state = GitHubState(base_commit, (), branches, {mega.number: mega}, mega, attachments=(head or "", files) if head else None)
    world = pages_only(config, link)

    def plan(now: GitHubState, failed: frozenset[str] = frozenset()) -> Plan:
        return Plan(tuple(attachment_writes(now, prepared, slot, label, world.server, world.repository)[0]), (), True,
                    frozenset({"mega:body"}))

    first = plan(state)
    if not first.writes:
        return mega.number, attachment_writes(state, prepared, slot, label, world.server, world.repository)[1], False
    with run_lock(link.git, base_commit, link.github.workflow_run_status):
        result = apply_plan(first, world, state, git=link.git, github=link.github, replan=plan)
    if result.errors:
        raise DriftError("; ".join(result.errors))
    assert result.state is not None
    _, url = attachment_writes(result.state, prepared, slot, label, world.server, world.repository)
    return mega.number, url, any(isinstance(w, AttachmentCommit) for w in first.writes)
