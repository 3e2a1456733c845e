"""apply: execute a `Plan`, write by write, through the git and GitHub adapters.

The CLI, the `/drift` commands and the action all come here. A failed write is one line and
the others still run (those that needed it are planned again and fall away). Every write is
safe to make again: pushes are leased on the head the plan saw, and a create whose answer was
lost is looked up before it is tried twice (in the adapter). A write holding a placeholder
(`Plan.later`) is planned again, with what GitHub answered so far, just before it is made.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.errors import DriftError
from bot.github.ops import (AttachmentCommit, CommentCreate, CommentEdit, DocsPull, IssueClose, IssueCreate, IssueEdit,
                            Operation, Plan, SubIssueLink, SubIssueMove)
from bot.github.plan import pending, settle
from bot.github.world import World
from bot.model import GitHubState, IssueState, PullRequestState


class GitPort(Protocol):
    def commit(self, parent: str, files: dict[str, str | None], message: str, author: tuple[str, str]) -> str: ...
    def push(self, commit: str, branch: str, expected: str | None) -> None: ...
    def delete(self, branch: str, expected: str) -> None: ...
    def root_commit(self, message: str, author: tuple[str, str]) -> str: ...


class GitHubPort(Protocol):
    def create_pull(self, branch: str, base: str, title: str, body: str) -> PullRequestState: ...
    def update_pull(self, number: int, title: str, body: str) -> PullRequestState: ...
    def close_pull(self, number: int, comment: str, body: str | None = None) -> PullRequestState: ...
    def create_issue(self, title: str, body: str, labels: list[str], marker: str) -> IssueState: ...
    def edit_issue_body(self, number: int, body: str) -> None: ...
    def close_issue(self, number: int, comment: str, reason: str = "completed") -> None: ...
    def add_sub_issue(self, parent: int, child_id: int, replace_parent: bool = False) -> None: ...
    def move_sub_issue(self, parent: int, child_id: int, *, after_id: int | None = None,
                       before_id: int | None = None) -> None: ...
    def post_comment(self, number: int, body: str, marker: str) -> int: ...
    def edit_comment(self, comment_id: int, body: str) -> None: ...


@dataclass
class ApplyResult:
    done: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pulls: list[int] = field(default_factory=list)
    state: GitHubState | None = None  # what GitHub holds afterwards, as far as its answers tell


def apply_plan(plan: Plan, world: World, state: GitHubState, *, git: GitPort, github: GitHubPort,
               replan: Callable[[GitHubState, frozenset[str]], Plan]) -> ApplyResult:
    """`replan(state, failed)` plans again on what GitHub holds now, leaving out the writes that
    failed. After a failure every write still to come is planned again: the plan had counted on
    the failed one."""
    result = ApplyResult()
    fresh: dict[str, Any] | None = None
    failed: set[str] = set()
    moved: set[int] = set()
    for op in plan.operations:
        if op.op == "blocked":
            result.errors.append(f"{op.target}: {op.reason}")
            continue
        if op.op == "nothing":
            continue
        if op.key in plan.later or failed:
            if fresh is None:
                fresh = {o.key: o for o in replan(state, frozenset(failed)).operations}
            op = fresh.get(op.key)
            if op is None or op.op in ("nothing", "blocked"):
                continue  # what it waited for failed, or made it unnecessary
        if pending(op):
            # Only GitHub's answer to an earlier write could fill it in, and that write failed.
            result.errors.append(f"{_what(op)}: not made: it needs what an earlier write that failed would have given")
            failed.add(op.key)
            fresh = None
            continue
        try:
            answer, line = _execute(op, world, state, git, github)
        except DriftError as exc:
            result.errors.append(f"{_what(op)}: {exc}")
            failed.add(op.key)
            fresh = None
            if type(exc).__name__ == "BudgetExhausted":
                break  # every further call would fail the same way; the next run goes on from here
            continue
        state = settle(state, op, world, answer=answer)
        if answer:
            fresh = None  # GitHub said something only it knew: plan the placeholders again
        if isinstance(op, SubIssueMove):
            if op.parent not in moved:
                moved.add(op.parent)
                result.done.append(f"put the research sub-issues of #{op.parent} in the configured order")
            continue
        if "pull" in answer and isinstance(op, (Operation, DocsPull)):
            result.pulls.append(answer["pull"].number)
        if line:
            result.done.append(line)
    result.state = state
    return result


def _what(op: Any) -> str:
    return f"{op.op} {op.target}" if isinstance(op, Operation) else f"{op.kind} {op.target}"


def _push(git: GitPort, parent: str, files: dict[str, str | None], message: str, branch: str, head: str | None,
          author: tuple[str, str]) -> str:
    commit = git.commit(parent, files, message, author)
    git.push(commit, branch, head)
    return commit


def _execute(op: Any, world: World, state: GitHubState, git: GitPort, github: GitHubPort) -> tuple[dict[str, Any], str]:
    base = world.config.base
    if isinstance(op, Operation):
        assert op.op in ("create", "update", "close")
        if op.op == "close":
            assert op.number is not None
            pull = github.close_pull(op.number, op.comment or "", op.body)
            if op.branch and op.branch_head:
                git.delete(op.branch, op.branch_head)
            return {"pull": pull}, f"closed {op.target} ({op.reason})"
        assert op.pr is not None and op.files is not None
        answer: dict[str, Any] = {}
        if op.push:
            answer["commit"] = _push(git, state.base_commit, op.files, op.message or op.pr.title, op.pr.branch,
                                     op.branch_head, world.author)
        if op.op == "create":
            answer["pull"] = github.create_pull(op.pr.branch, base, op.pr.title, op.body or "")
            return answer, f"created #{answer['pull'].number} ({op.pr.branch})"
        assert op.number is not None
        answer["pull"] = github.update_pull(op.number, op.pr.title, op.body or "")
        return answer, f"updated #{op.number} ({op.reason})"
    if isinstance(op, DocsPull):
        answer = {}
        if op.push:
            answer["commit"] = _push(git, state.base_commit, op.files, op.message, op.branch, op.branch_head, world.author)
        if op.number is not None:
            answer["pull"] = github.update_pull(op.number, op.title, op.body)
            return answer, f"updated #{op.number} ({op.branch})"
        answer["pull"] = github.create_pull(op.branch, base, op.title, op.body)
        return answer, f"opened #{answer['pull'].number} ({op.branch})"
    if isinstance(op, IssueCreate):
        issue = github.create_issue(op.title, op.body, list(op.labels), op.marker)
        if op.key == "mega":
            return {"issue": issue}, f"created MEGA #{issue.number} (add `mega: {issue.number}` under tracker: in .drift.yml)"
        return {"issue": issue}, f"created research issue #{issue.number} ({op.key.split(':', 1)[1]})"
    if isinstance(op, IssueEdit):
        github.edit_issue_body(op.number, op.body)
        return {}, f"updated MEGA #{op.number}" if state.mega and op.number == state.mega.number else f"updated #{op.number}"
    if isinstance(op, IssueClose):
        github.close_issue(op.number, op.comment, op.state_reason)
        return {}, f"closed #{op.number} ({op.name}): {op.reason}"
    if isinstance(op, SubIssueLink):
        github.add_sub_issue(op.parent, op.child_id, replace_parent=True)
        key = op.key.removeprefix("link:research:")
        named = f" ({key})" if op.key.startswith("link:research:") else ""
        return {}, f"made #{op.child}{named} a sub-issue of #{op.parent}"
    if isinstance(op, SubIssueMove):
        github.move_sub_issue(op.parent, op.child_id, after_id=op.after_id, before_id=op.before_id)
        return {}, ""
    if isinstance(op, CommentCreate):
        comment_id = github.post_comment(op.issue, op.body, op.marker)
        return {"id": comment_id}, f"commented on #{op.issue} for {op.key.split(':', 1)[1]}"
    if isinstance(op, CommentEdit):
        github.edit_comment(op.comment_id, op.body)
        return {}, f"updated the {op.key.split(':', 1)[1]} comment on #{op.issue}"
    if isinstance(op, AttachmentCommit):
        parent = op.branch_head or git.root_commit("drift-bot attachments\n", world.author)
        commit = git.commit(parent, {op.path: op.text}, op.message, world.author)
        git.push(commit, op.branch, op.branch_head)
        return {"commit": commit}, ""
    raise AssertionError(f"no way to make {type(op).__name__}")
