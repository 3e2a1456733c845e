"""apply: execute a Plan's operations through the git and GitHub adapters, one by one.

A failed operation is reported in one line and the others still run. Every operation is
safe to run again: pushes are leased on the head the plan saw, and a create whose answer
was lost is found again instead of being made twice.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.errors import DriftError
from bot.model import Operation, Plan


@dataclass
class ApplyResult:
    done: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pulls: list[int] = field(default_factory=list)


def apply_plan(
    plan: Plan,
    *,
    git: object,
    github: object,
    base: str,
    base_commit: str,
    body: Callable[[Operation], str],
    message: Callable[[Operation], str],
    author: tuple[str, str],
    close_comment: Callable[[Operation], str],
) -> ApplyResult:
    result = ApplyResult()
    for op in plan.operations:
        if op.op == "blocked":
            result.errors.append(f"{op.target}: {op.reason}")
            continue
        if op.op == "nothing":
            continue
        try:
            if op.op in ("create", "update"):
                assert op.pr is not None and op.files is not None
                if op.push:
                    commit = git.commit(base_commit, op.files, message(op), author)  # type: ignore[attr-defined]
                    git.push(commit, op.pr.branch, op.branch_head)  # type: ignore[attr-defined]
                if op.op == "create":
                    number = github.create_pull(op.pr.branch, base, op.pr.title, body(op))  # type: ignore[attr-defined]
                    result.done.append(f"created #{number} ({op.pr.branch})")
                else:
                    number = op.number  # type: ignore[assignment]
                    github.update_pull(number, op.pr.title, body(op))  # type: ignore[attr-defined]
                    result.done.append(f"updated #{number} ({op.reason})")
                result.pulls.append(number)
            elif op.op == "close":
                github.close_pull(op.number, close_comment(op), op.body)  # type: ignore[attr-defined]
                if op.branch and op.branch_head:
                    git.delete(op.branch, op.branch_head)  # type: ignore[attr-defined]
                result.done.append(f"closed {op.target} ({op.reason})")
        except DriftError as exc:
            result.errors.append(f"{op.op} {op.target}: {exc}")
            if type(exc).__name__ == "BudgetExhausted":
                break  # every further call would fail the same way; the next run goes on from here
    return result
