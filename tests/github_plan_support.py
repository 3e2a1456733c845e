"""Plain values for planning the bring-up's GitHub writes: a `World` built from the bundled
example instance, `GitHubState`s as GitHub would hold them, and an in-memory apply that settles
a plan's writes with answers giving real numbers, as GitHub would."""
from __future__ import annotations

import dataclasses
from dataclasses import replace
from functools import lru_cache
from typing import Any

from bot.adapters.git_base import read_base
from bot.capture import capture
from bot.config import Config
from bot.edit import edited_files
from bot.github.access import author
from bot.github.blobs import blob_ids
from bot.github.markers import pr_marker
from bot.github.ops import CommentCreate, DocsPull, IssueCreate, Operation, Plan
from bot.github.plan import pending, plan_run, settle
from bot.github.world import World
from bot.model import BranchState, DiffReport, GitHubState, IssueState, ProposedPR, PullRequestState, Snapshot
from bot.pipeline import build_report
from bot.plan import default_title, proposed_prs
from tests.test_tracker import CONFIG, ISSUES, MEGA, ROOT

BASE = "0123456789abcdef0123"  # main's commit, fixed as in tests/test_tracker.py
PARENT = IssueState(660, 10_660, "R-0: voice stack on the L4", "open")
NOW = "2026-04-24T19:00:00Z"  # GitHub's `updated_at` in the fake answers


@lru_cache(maxsize=1)
def _example() -> tuple[Snapshot, DiffReport, dict[str, str | None]]:
    snapshot = capture("dir:examples/instance", CONFIG.files, relative_to=ROOT)
    snapshot = replace(snapshot, host="gpu-l4-01", captured_at="2026-04-24T18:40:00Z")
    _, base_files = read_base(ROOT, "HEAD", [p for _, p in CONFIG.files])
    return snapshot, build_report(CONFIG, snapshot, "main", BASE, base_files), dict(base_files)


_EDITED: dict[str, dict[str, str | None]] = {}


def _edited(pr: ProposedPR) -> dict[str, str | None]:
    """Main's files edited by exactly `pr`'s divergences (its fingerprint names them)."""
    if pr.fingerprint not in _EDITED:
        snapshot, _, base_files = _example()
        _EDITED[pr.fingerprint] = edited_files(snapshot, base_files, pr.divergences)
    return dict(_EDITED[pr.fingerprint])


def bring_up() -> DiffReport:
    return _example()[1]


def world_of(config: Config = CONFIG, report: DiffReport | None = None, *, instance: str | None = None,
             **more: Any) -> World:
    """What the run knows besides GitHub: each PR's files are main's files edited by exactly its
    divergences, as `observe` computes them."""
    report = report or bring_up()
    changes = {pr.slug: _edited(pr) for pr in proposed_prs(report, config)}
    snapshot, _, base_files = _example()
    return World(config, snapshot, report, base_files, changes, default_title, author(config), None,
                 instance=instance, **more)


def github_of(*, mega: IssueState | None = MEGA, **fields: Any) -> GitHubState:
    """GitHub holding the bring-up's issues (children and research, all open), the MEGA with a
    human's words only, R-0 with no sub-issues yet, and no pull request."""
    values: dict[str, Any] = dict(base_commit=BASE, pulls=(), branches={}, issues={**ISSUES, PARENT.number: PARENT},
                                  mega=mega, mega_subs=() if mega is not None else None, parent_subs=())
    return GitHubState(**{**values, **fields})


def tracked(**fields: Any) -> GitHubState:
    """GitHub once the tracker is in place: the MEGA under R-0, RT-1 and RT-2 under the MEGA in order."""
    return github_of(**{"mega_subs": (ISSUES[673], ISSUES[674]), "parent_subs": (MEGA,), **fields})


def no_mega(config: Config = CONFIG) -> Config:
    return replace(config, tracker=replace(config.tracker, mega=None))


def keys(plan: Plan) -> list[str]:
    return [w.key for w in plan.writes]


def by_key(plan: Plan) -> dict[str, Any]:
    return {op.key: op for op in plan.operations}


def ops_of(plan: Plan, kind: str) -> list[Any]:
    return [op for op in plan.operations if op.op == kind]


class GitHubAnswers:
    """What GitHub answers each write with: real numbers, counted up from 900."""

    def __init__(self) -> None:
        self.next = 900

    def number(self) -> int:
        self.next += 1
        return self.next

    def __call__(self, write: Any, world: World) -> dict[str, Any]:
        if isinstance(write, Operation) and write.op in ("create", "update"):
            assert write.pr is not None
            number = write.number or self.number()
            pull = PullRequestState(number, "open", False, write.pr.branch, world.config.base, write.pr.title,
                                    "drift-bot[bot]", pr_marker(write.body), None, write.body or "", NOW)
            return {"pull": pull, **({"commit": f"c{number:039d}"} if write.push else {})}
        if isinstance(write, DocsPull):
            number = write.number or self.number()
            pull = PullRequestState(number, "open", False, write.branch, world.config.base, write.title,
                                    "drift-bot[bot]", None, None, write.body, NOW)
            return {"pull": pull, **({"commit": f"d{number:039d}"} if write.push else {})}
        if isinstance(write, IssueCreate):
            number = self.number()
            return {"issue": IssueState(number, 100_000 + number, write.title, "open", write.body)}
        if isinstance(write, CommentCreate):
            return {"id": 500_000 + self.number()}
        return {}


def apply_in_memory(plan: Plan, world: World, state: GitHubState, answers: GitHubAnswers | None = None, *,
                    refused: frozenset[str] = frozenset(), **options: Any) -> GitHubState:
    """Every write of `plan` settled with GitHub's answer, in order, as apply makes them: a write
    holding a placeholder is planned again first, on what GitHub answered so far; `refused` names
    writes GitHub refuses, after which every later write is planned again without them; a write
    that still holds a placeholder then is not made."""
    answers = answers or GitHubAnswers()
    failed: set[str] = set()
    for write in plan.writes:
        if write.key in refused:
            failed.add(write.key)
            continue
        if write.key in plan.later or failed:
            write = by_key(plan_run(world, state, failed=frozenset(failed), **options)).get(write.key)
            if write is None or write.op in ("nothing", "blocked"):
                continue
        if pending(write):
            failed.add(write.key)
            continue
        state = settle(state, write, world, answer=answers(write, world))
    return state


def branch_holding(world: World, slug: str, head: str = "c" * 40) -> BranchState:
    """The bot's branch for `slug`, one commit on main holding exactly its files."""
    return BranchState(f"drift/{slug}", head, BASE, world.author[1], blob_ids(world.changes[slug]))


def bot_pull(world: World, slug: str, number: int, **changes: Any) -> PullRequestState:
    """The bot's pull request for `slug` as this run would write it (marker, title), open."""
    pr = next(p for p in proposed_prs(world.report, world.config) if p.slug == slug)
    marker = {"slug": pr.slug, "fingerprint": pr.fingerprint, "children": list(pr.children)}
    pull = PullRequestState(number, "open", False, pr.branch, "main", pr.title, "drift-bot[bot]", marker, None,
                            "", NOW)
    return dataclasses.replace(pull, **changes)
