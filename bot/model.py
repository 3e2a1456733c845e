"""The values that flow through the pipeline: capture -> compare -> route -> plan -> render.

Every type is a frozen dataclass of plain data so that each stage can be tested alone and
printed as JSON without custom encoders beyond `to_json`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["added", "removed", "changed"]
Severity = Literal["info", "warning", "error"]


class UnreadableBase(str):
    """Main's side of a file that exists but cannot be compared (binary, too large): the text
    is the reason. It is not absent, so it must never read as "added live"."""


@dataclass(frozen=True)
class FileCapture:
    """One tracked file as found on the live side, secrets already redacted.

    `text` is None when the file is absent live (`missing`) or could not be taken
    (`problem` says why: binary, too large, a symlink leaving the source root...).
    """

    live_path: str
    repo_path: str
    text: str | None
    sha256: str | None = None  # of `text` as stored in the snapshot (redacted)
    live_sha256: str | None = None  # of the bytes on the host, so an operator can check them there
    size: int | None = None
    mtime: str | None = None
    missing: bool = False
    problem: str | None = None
    redactions: int = 0


@dataclass(frozen=True)
class ServiceRuntime:
    """What one compose service looks like on the engine right now."""

    service: str
    state: str  # running, exited, restarting, missing (in the file, no container), orphan (container, no service)
    stale: bool  # the container no longer matches the compose file on disk
    detail: str
    container: str | None = None
    image: str | None = None
    image_id: str | None = None
    health: str | None = None
    restart_count: int | None = None
    started_at: str | None = None
    config_hash: str | None = None
    fields: tuple[str, ...] = ()  # which effective-config fields differ, when stale


@dataclass(frozen=True)
class Snapshot:
    source: str
    host: str
    captured_at: str
    tool_version: str
    files: tuple[FileCapture, ...]
    runtime: tuple[ServiceRuntime, ...] = ()
    project: str | None = None
    verification: tuple[dict[str, Any], ...] = ()  # `drift verify` results taken with the capture

    @property
    def id(self) -> str:
        """Names the captured content, not the moment: two captures of the same files agree."""
        h = hashlib.sha256(self.source.encode())
        for f in sorted(self.files, key=lambda f: f.repo_path):
            h.update(f"\0{f.repo_path}\0{f.sha256 or f.problem or 'missing'}".encode())
        return "snap-" + h.hexdigest()[:12]

    def file(self, repo_path: str) -> FileCapture | None:
        return next((f for f in self.files if f.repo_path == repo_path), None)


@dataclass(frozen=True)
class Divergence:
    """One difference a person can see between main and the live host."""

    file: str
    kind: Kind
    pointer: str  # RFC 6901 into the normalised document, "" for the whole file
    before: Any
    after: Any
    secret: bool = False
    line: int | None = None  # in the live file (or in main for a removal)
    child: str | None = None

    @property
    def id(self) -> str:
        """Stable across runs for the same place; the values are left out so that a change of
        value keeps the identity (the fingerprint, which includes them, tells the two apart)."""
        return hashlib.sha256(f"{self.file}#{self.pointer}".encode()).hexdigest()[:12]

    @property
    def fingerprint(self) -> str:
        """Names the change itself: where (a pointer never names a line, so it survives lines
        added elsewhere) and what."""
        payload = json.dumps([self.file, self.pointer, self.kind, self.before, self.after], sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.file,
            "kind": self.kind,
            "pointer": self.pointer,
            "before": self.before,
            "after": self.after,
            "secret": self.secret,
            "child": self.child,
            "line": self.line,
        }


@dataclass(frozen=True)
class Finding:
    """A check beyond the diff (VRAM headroom, ephemeral caches, health wiring...)."""

    id: str
    check: str
    severity: Severity
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FileError:
    """A per-file problem that did not stop the run."""

    file: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DiffReport:
    base: str
    base_commit: str | None
    source: str
    snapshot_id: str | None
    host: str | None
    captured_at: str | None
    divergences: tuple[Divergence, ...]
    runtime: tuple[ServiceRuntime, ...] = ()
    findings: tuple[Finding, ...] = ()
    errors: tuple[FileError, ...] = ()

    @property
    def routed(self) -> tuple[Divergence, ...]:
        return tuple(d for d in self.divergences if d.child is not None)

    @property
    def unrouted(self) -> tuple[Divergence, ...]:
        return tuple(d for d in self.divergences if d.child is None)

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "base_commit": self.base_commit,
            "source": self.source,
            "snapshot": {"id": self.snapshot_id, "host": self.host, "captured_at": self.captured_at},
            "divergences": [d.to_json() for d in self.divergences],
            "runtime": [
                {"service": r.service, "state": r.state, "stale": r.stale, "detail": r.detail,
                 "container": r.container, "image": r.image, "health": r.health,
                 "restart_count": r.restart_count, "fields": list(r.fields)}
                for r in self.runtime
            ],
            "findings": [f.to_json() for f in self.findings],
            "errors": [e.to_json() for e in self.errors],
        }


@dataclass(frozen=True)
class ProposedPR:
    """One branch and pull request carrying the live fixes of one child or one atomic group."""

    slug: str
    branch: str
    title: str
    children: tuple[str, ...]
    issues: tuple[int, ...]
    divergences: tuple[Divergence, ...]

    @property
    def fingerprint(self) -> str:
        """Names the exact set of changes; a PR closed unmerged with this one is not proposed again."""
        h = hashlib.sha256()
        for fp in sorted(d.fingerprint for d in self.divergences):
            h.update(fp.encode())
        return h.hexdigest()[:16]


@dataclass(frozen=True)
class PullRequestState:
    """A pull request as GitHub holds it; `marker` is the bot's own note in its body, if any."""

    number: int
    state: str  # open | closed
    merged: bool
    head: str
    base: str
    title: str
    author: str
    marker: dict[str, Any] | None = None
    merge_commit: str | None = None
    body: str = ""
    updated_at: str = ""  # GitHub's; a review submitted or a push moves it


@dataclass(frozen=True)
class BranchState:
    """One of the bot's branches on the remote: what its head commit changes against its parent."""

    name: str
    head: str
    parent: str | None
    author_email: str
    changes: dict[str, str | None]  # path -> blob id (None: deleted)


@dataclass(frozen=True)
class GitHubState:
    """Everything the plan needs to know of GitHub and the remote, read once per run (`observe`).

    A field left None was not read (nothing asked for it, or the read failed: `unread` says
    which); the plan writes nothing that depends on it."""

    base_commit: str
    pulls: tuple[PullRequestState, ...]
    branches: dict[str, BranchState]
    issues: dict[int, "IssueState"] = field(default_factory=dict)  # children, gates, research, parent
    mega: "IssueState | None" = None
    mega_subs: "tuple[IssueState, ...] | None" = None
    parent_subs: "tuple[IssueState, ...] | None" = None
    reviews: dict[int, tuple[tuple[str, str], ...]] = field(default_factory=dict)  # (reviewer, state), oldest first
    comments: dict[str, tuple[int, str]] = field(default_factory=dict)  # marker -> (id, body), found by marker
    files: dict[str, dict[str, str]] = field(default_factory=dict)  # commit -> path -> text the docs pages read
    attachments: "tuple[str, dict[str, str]] | None" = None  # (head, path -> text) of the attachments branch
    unread: tuple[str, ...] = ()  # one line per read that failed


@dataclass(frozen=True)
class IssueState:
    number: int
    id: int
    title: str
    state: str  # open | closed
    body: str = ""
    state_reason: str | None = None
