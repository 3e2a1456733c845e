"""The fake's data model: users, repositories, issues/PRs, comments, reactions, reviews."""

from __future__ import annotations

import base64
import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Optional

from .gitstore import BareRepo

PERMISSIONS = ("read", "triage", "write", "maintain", "admin")
LEVEL = {p: i + 1 for i, p in enumerate(PERMISSIONS)}  # none = 0
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
# Pull request review states as GitHub answers them, and the events that submit them.
REVIEW_STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "PENDING", "DISMISSED")
REVIEW_EVENTS = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED",
                 "COMMENT": "COMMENTED"}

# A workflow run's status and, once it is completed, its conclusion (GitHub's values: the `status`
# filter of "List workflow runs for a repository" in the OpenAPI description names them all).
RUN_STATUSES = ("requested", "queued", "pending", "waiting", "in_progress", "completed")
RUN_CONCLUSIONS = ("success", "failure", "neutral", "cancelled", "skipped", "timed_out",
                   "action_required", "stale", "startup_failure")

# GitHub's default labels for a new repository.
DEFAULT_LABELS = (
    ("bug", "d73a4a", "Something isn't working"),
    ("documentation", "0075ca", "Improvements or additions to documentation"),
    ("duplicate", "cfd3d7", "This issue or pull request already exists"),
    ("enhancement", "a2eeef", "New feature or request"),
    ("good first issue", "7057ff", "Good for newcomers"),
    ("help wanted", "008672", "Extra attention is needed"),
    ("invalid", "e4e669", "This doesn't seem right"),
    ("question", "d876e3", "Further information is requested"),
    ("wontfix", "ffffff", "This will not be worked on"),
)


class Clock:
    """UTC clock with second resolution (as GitHub's timestamps); can be frozen/advanced."""

    def __init__(self):
        self._frozen: Optional[datetime] = None
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            base = self._frozen or datetime.now(timezone.utc)
            return (base + self._offset).replace(microsecond=0)

    def freeze(self, when: datetime | None = None) -> None:
        with self._lock:
            self._frozen = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
            self._offset = timedelta()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += timedelta(seconds=seconds)


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(prefix: str, kind: str, ident: int) -> str:
    raw = f"{kind}:{ident}".encode()
    return f"{prefix}_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


class Ids:
    """Separate id sequences per kind, in ranges that never overlap issue numbers."""

    def __init__(self):
        self._c = {
            "user": itertools.count(1001),
            "repo": itertools.count(700_000_001),
            "issue": itertools.count(2_100_000_001),
            "pull": itertools.count(1_900_000_001),
            "comment": itertools.count(3_300_000_001),
            "reaction": itertools.count(410_000_001),
            "label": itertools.count(5_500_000_001),
            "review": itertools.count(2_600_000_001),
            "app": itertools.count(1_200_001),
            "installation": itertools.count(61_000_001),
            "workflow": itertools.count(88_000_001),
            "check_suite": itertools.count(24_000_000_001),
        }
        self._lock = threading.Lock()

    def next(self, kind: str) -> int:
        with self._lock:
            return next(self._c[kind])


@dataclass(eq=False)
class User:
    login: str
    id: int
    type: str  # User | Bot | Organization
    created_at: datetime
    name: Optional[str] = None
    email: Optional[str] = None

    @property
    def node_id(self) -> str:
        prefix = {"User": "U", "Bot": "BOT", "Organization": "O"}[self.type]
        return node_id(prefix, "user", self.id)

    @property
    def commit_email(self) -> str:
        return self.email or f"{self.id}+{self.login}@users.noreply.github.com"


@dataclass(eq=False)
class Label:
    id: int
    name: str
    color: str
    description: Optional[str]
    default: bool = False

    @property
    def node_id(self) -> str:
        return node_id("LA", "label", self.id)


@dataclass(eq=False)
class Reaction:
    id: int
    user: User
    content: str
    created_at: datetime

    @property
    def node_id(self) -> str:
        return node_id("REA", "reaction", self.id)


@dataclass(eq=False)
class Comment:
    id: int
    issue: "Issue"
    user: User
    body: str
    created_at: datetime
    updated_at: datetime
    reactions: list[Reaction] = field(default_factory=list)

    @property
    def node_id(self) -> str:
        return node_id("IC", "comment", self.id)


@dataclass(eq=False)
class Review:
    id: int
    issue: "Issue"  # the pull request's issue
    user: User
    body: str
    state: str  # one of REVIEW_STATES
    commit_id: Optional[str]
    submitted_at: Optional[datetime]  # None while PENDING
    dismissal_message: Optional[str] = None

    @property
    def node_id(self) -> str:
        return node_id("PRR", "review", self.id)


@dataclass(eq=False)
class PullInfo:
    id: int
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    draft: bool = False
    maintainer_can_modify: bool = False
    merged: bool = False
    merged_at: Optional[datetime] = None
    merged_by: Optional[User] = None
    merge_commit_sha: Optional[str] = None
    # (commits, additions, deletions, changed_files) frozen once the PR is closed
    frozen_stats: Optional[tuple[int, int, int, int]] = None
    reviews: list[Review] = field(default_factory=list)  # in creation order

    @property
    def node_id(self) -> str:
        return node_id("PR", "pull", self.id)


@dataclass(eq=False)
class Issue:
    id: int
    number: int
    repo: "Repo"
    user: User
    title: str
    body: Optional[str]
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: Optional[str] = None
    closed_at: Optional[datetime] = None
    closed_by: Optional[User] = None
    labels: list[Label] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)
    locked: bool = False
    parent: Optional["Issue"] = None
    sub_issues: list["Issue"] = field(default_factory=list)
    pull: Optional[PullInfo] = None

    @property
    def node_id(self) -> str:
        return node_id("I", "issue", self.id)

    @property
    def is_pr(self) -> bool:
        return self.pull is not None

    def depth(self) -> int:
        d, p = 0, self.parent
        while p is not None:
            d, p = d + 1, p.parent
        return d

    def subtree_height(self) -> int:
        return 0 if not self.sub_issues else 1 + max(c.subtree_height() for c in self.sub_issues)


@dataclass(eq=False)
class WorkflowRun:
    """One run of a GitHub Actions workflow; conclusion is None until status is completed."""
    id: int
    repo: "Repo"
    run_number: int
    workflow_id: int
    check_suite_id: int
    name: str           # the workflow's name
    path: str           # .github/workflows/<file>
    event: str
    head_branch: Optional[str]
    head_sha: str
    actor: User
    status: str         # one of RUN_STATUSES
    conclusion: Optional[str]  # one of RUN_CONCLUSIONS once completed
    created_at: datetime
    updated_at: datetime
    run_started_at: datetime  # start of the latest attempt
    run_attempt: int = 1      # a re-run (completed, then queued again) is the next attempt

    @property
    def node_id(self) -> str:
        return node_id("WFR", "run", self.id)

    @property
    def check_suite_node_id(self) -> str:
        return node_id("CS", "check_suite", self.check_suite_id)


@dataclass(eq=False)
class Repo:
    id: int
    owner: User
    name: str
    private: bool
    default_branch: str
    git: BareRepo
    created_at: datetime
    updated_at: datetime
    pushed_at: datetime
    description: Optional[str] = None
    perms: dict[str, str] = field(default_factory=dict)  # login -> permission
    issues: dict[int, Issue] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)  # lower(name) -> Label
    next_number: int = 1
    workflow_runs: dict[int, WorkflowRun] = field(default_factory=dict)  # run id -> run
    workflows: dict[str, int] = field(default_factory=dict)  # workflow path -> workflow id

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def node_id(self) -> str:
        return node_id("R", "repo", self.id)

    def permission_of(self, user: Optional[User]) -> Optional[str]:
        """Effective permission; None when the user cannot even see the repository."""
        if user is not None:
            if user is self.owner:
                return "admin"
            if user.login.lower() in self.perms:
                return self.perms[user.login.lower()]
        return None if self.private else "read"

    def has(self, user: Optional[User], need: str) -> bool:
        got = self.permission_of(user)
        return got is not None and LEVEL[got] >= LEVEL[need]

    def author_association(self, user: User) -> str:
        if user is self.owner:
            return "OWNER"
        if user.login.lower() in self.perms:
            return "COLLABORATOR"
        if any(i.user is user for i in self.issues.values() if i.is_pr and i.pull.merged):
            return "CONTRIBUTOR"
        return "NONE"
