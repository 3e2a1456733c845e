"""ops: every write drift-bot makes to GitHub or the remote, as a value a `Plan` holds.

`drift plan` prints these; `drift apply` executes them and nothing else. Each carries its
target, why it is needed, and what it writes (bodies rendered in). A number GitHub gives only
when something is created (a new MEGA, a new comment) is a placeholder in the plan, shown as
"known after apply", and filled in by apply once GitHub answered, as Terraform does.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from bot.model import Divergence, ProposedPR

OpKind = Literal["create", "update", "close", "nothing", "blocked"]


@dataclass(frozen=True)
class Operation:
    """One pull request carrying a child's live fixes: opened, brought up to date, or closed."""

    op: OpKind
    target: str  # the branch, or "#123" once GitHub has a PR for it
    reason: str
    pr: ProposedPR | None = None
    number: int | None = None
    files: dict[str, str | None] | None = None  # what the branch must hold (path -> text, None: deleted)
    branch: str | None = None  # for a close: the branch to delete
    body: str | None = None  # the body written (for a close: with the bot's marker saying it closed it)
    branch_head: str | None = None  # the head seen on the remote: pushes are leased on it
    push: bool = False  # the branch must be (re)written
    message: str | None = None  # the commit message, when it pushes
    comment: str | None = None  # for a close: the comment saying why

    @property
    def key(self) -> str:
        return "pr:" + (self.pr.branch if self.pr is not None else self.branch or self.target)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "target": self.target, "reason": self.reason}
        if self.pr is not None:
            out.update(
                branch=self.pr.branch,
                title=self.pr.title,
                children=list(self.pr.children),
                issues=list(self.pr.issues),
                fingerprint=self.pr.fingerprint,
                divergences=[d.id for d in self.pr.divergences],
            )
        if self.number is not None:
            out["number"] = self.number
        if self.op in ("create", "update", "close") and self.body is not None:
            out["body"] = self.body
        if self.op in ("create", "update") and self.files is not None:
            out["files"] = sorted(self.files)
        return out


@dataclass(frozen=True)
class Write:
    """A write of the tracker, the docs or the attachments; subclasses name their fields."""

    kind: ClassVar[str] = ""
    key: str  # names it within a run: apply finds it again by this when it fills placeholders in
    target: str  # as a person reads it: "#672", "the new MEGA", "drift/handover-bring-up"
    reason: str

    @property
    def op(self) -> str:
        return self.kind

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.kind, "target": self.target, "reason": self.reason}
        for f in dataclasses.fields(self):
            if f.name not in ("key", "target", "reason"):
                value = getattr(self, f.name)
                out[f.name] = sorted(value) if f.name == "files" and value is not None else value
        return out


@dataclass(frozen=True)
class IssueCreate(Write):
    kind: ClassVar[str] = "issue-create"
    number: int  # a placeholder until GitHub answers
    title: str
    body: str
    labels: tuple[str, ...]
    marker: str  # a create whose answer was lost is found again by it


@dataclass(frozen=True)
class IssueEdit(Write):
    kind: ClassVar[str] = "issue-edit"
    number: int
    body: str


@dataclass(frozen=True)
class IssueClose(Write):
    kind: ClassVar[str] = "issue-close"
    number: int
    name: str  # the child or R-0 it stands for
    comment: str
    state_reason: str = "completed"


@dataclass(frozen=True)
class SubIssueLink(Write):
    kind: ClassVar[str] = "sub-issue-link"
    parent: int
    child: int
    child_id: int


@dataclass(frozen=True)
class SubIssueMove(Write):
    kind: ClassVar[str] = "sub-issue-move"
    parent: int
    child_id: int
    after_id: int | None = None
    before_id: int | None = None


@dataclass(frozen=True)
class CommentCreate(Write):
    kind: ClassVar[str] = "comment-create"
    issue: int
    body: str
    marker: str


@dataclass(frozen=True)
class CommentEdit(Write):
    kind: ClassVar[str] = "comment-edit"
    comment_id: int
    issue: int
    body: str


@dataclass(frozen=True)
class DocsPull(Write):
    """A docs pull request (handover, migration): its branch made one commit on main holding
    `files`, and one open pull request showing it."""

    kind: ClassVar[str] = "docs-pull"
    action: str  # create | update
    branch: str
    title: str
    body: str
    files: dict[str, str | None]
    number: int | None
    branch_head: str | None
    push: bool
    message: str = ""


@dataclass(frozen=True)
class AttachmentCommit(Write):
    kind: ClassVar[str] = "attachment-commit"
    branch: str
    path: str
    text: str
    message: str
    branch_head: str | None


@dataclass(frozen=True)
class Plan:
    operations: tuple[Any, ...]  # Operation | Write, in the order apply runs them
    unrouted: tuple[Divergence, ...]
    github_visible: bool
    later: frozenset[str] = frozenset()  # keys of writes holding a placeholder: known after apply
    unread: tuple[str, ...] = ()  # reads that failed: the writes that needed them are left out

    @property
    def has_changes(self) -> bool:
        return any(op.op != "nothing" for op in self.operations)

    @property
    def writes(self) -> tuple[Any, ...]:
        return tuple(op for op in self.operations if op.op not in ("nothing", "blocked"))

    def to_json(self) -> dict[str, Any]:
        ops = []
        for op in self.operations:
            data = op.to_json()
            if op.key in self.later:
                data["known_after_apply"] = True
            ops.append(data)
        out: dict[str, Any] = {"github": self.github_visible, "operations": ops,
                               "unrouted": [d.to_json() for d in self.unrouted]}
        if self.unread:
            out["unread"] = list(self.unread)
        return out
