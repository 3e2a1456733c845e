"""FakeGitHub: a stateful GitHub REST API + git smart HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import shutil
import socket
import struct
import tempfile
import threading
import time
import traceback
import weakref
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable, Optional
from urllib.parse import parse_qs, urlsplit

from . import actions, apps, githttp
from .api import ROUTES, Ctx
from .contract import ContractRecorder, Violation
from .gitstore import BareRepo, Ident
from .httputil import ApiError, Reply, dumps, parse_authorization
from .render import Renderer
from .state import (DEFAULT_LABELS, PERMISSIONS, REVIEW_STATES, Clock, Comment, Ids, Issue, Label,
                    PullInfo, Repo, Review, User, WorkflowRun)

RESET = object()  # outcome: close the socket without an answer

# Secondary rate limits come as 403 or 429, with `retry-after` only sometimes; GitHub's
# "Rate limits for the REST API" (docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api,
# "Exceeding the rate limit"): "you may receive a 403 or 429 response"; "If the retry-after response
# header is present, you should not retry your request until after that many seconds has elapsed ...
# Otherwise, you should wait for at least one minute before retrying." Seen without the header in
# octokit/plugin-throttling.js#454 and EnricoMi/publish-unit-test-result-action#419.
SECONDARY_FAULTS = {  # fault -> (status, sends retry-after)
    "secondary_rate_limit": (403, True),
    "secondary_rate_limit_429": (429, True),
    "secondary_rate_limit_no_retry_after": (403, False),
    "secondary_rate_limit_429_no_retry_after": (429, False),
}
# HTML where JSON was expected: GitHub's own 502 "Unicorn!" page (PyGithub/PyGithub#2047,
# octokit/graphql.js#554, osunyorg/admin#1792) and a proxy's or captive portal's 200 page.
HTML_FAULTS = ("html_502", "html_200")
FAULTS = ("500", "502", "503", *SECONDARY_FAULTS, "reset", "delay", *HTML_FAULTS)
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})

_LIVE: "weakref.WeakSet[FakeGitHub]" = weakref.WeakSet()


def live_fakes() -> list["FakeGitHub"]:
    return list(_LIVE)


@dataclass
class LogEntry:
    kind: str            # "api" or "git"
    method: str
    path: str            # concrete path, without query
    template: Optional[str]  # e.g. /repos/{owner}/{repo}/pulls (None: matched nothing)
    query: dict
    status: Optional[int]  # None when the connection was reset
    write: bool
    not_modified: bool
    login: Optional[str]
    fault: Optional[str]
    body: Any            # request JSON (api) or None
    elapsed: float

    @property
    def endpoint(self) -> Optional[str]:
        return self.template


@dataclass
class Fault:
    method: Optional[str]
    path: Optional[str]
    nth: int
    times: int
    fault: str
    seconds: float
    apply: bool
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, template: Optional[str], path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        if self.path is None:
            return True
        return self.path == template or self.path == path


@dataclass
class Budget:
    limit: int
    remaining: int
    reset: int
    status: int = 403

    def refresh(self, now: float) -> None:
        if now >= self.reset:
            self.remaining = self.limit
            self.reset = int(now) + 3600


@dataclass
class _Outcome:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def default_retry():
    """Retry policy for github_client(): PyGithub's GithubRetry without long waits."""
    from github import GithubRetry
    return GithubRetry(total=3, backoff_factor=0, secondary_rate_wait=1, max_rate_limit_wait=5)


class FakeGitHub:
    """A fake github.com good enough for PyGithub and git; see README.md."""

    def __init__(self, *, strict: bool = True, close_prs_on_branch_delete: bool = True,
                 rate_limit: int = 5000, anonymous_rate_limit: int = 60,
                 push_lag: float = 0.0, start: bool = True):
        self.root = Path(tempfile.mkdtemp(prefix="fakegithub-"))
        self.git_root = self.root / "git"
        self.git_root.mkdir()
        self.contract = ContractRecorder(strict=strict)
        self.clock = Clock()
        self.ids = Ids()
        self.close_prs_on_branch_delete = close_prs_on_branch_delete
        # Seconds (of self.clock) after a push during which creating a pull request sees the
        # branch as it was before: GitHub's "No commits between" / invalid `head` right after a
        # push (mislav/hub#1294, gitbutlerapp/gitbutler#4459).
        self.push_lag = push_lag
        self._lagging: dict[tuple[str, str], tuple[Optional[str], float]] = {}
        self._rate_limit = rate_limit
        self._anon_rate_limit = anonymous_rate_limit
        self._lock = threading.RLock()
        self._users: dict[str, User] = {}
        self._tokens: dict[str, User] = {}
        self._token_of: dict[str, str] = {}
        self._repos: dict[str, Repo] = {}
        self._issues_by_id: dict[int, Issue] = {}
        self._comments: dict[int, Comment] = {}
        self._budgets: dict[Optional[str], Budget] = {}
        self._faults: list[Fault] = []
        self._flock = threading.Lock()
        self.log: list[LogEntry] = []
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self.api_url = ""
        self.render = Renderer("http://127.0.0.1")
        if start:
            self.start()

    # ================================================================ lifecycle
    def start(self) -> "FakeGitHub":
        if self._server is not None:
            return self
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self.api_url = f"http://127.0.0.1:{self.port}"
        self.render = Renderer(self.api_url)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02},
                                        name=f"fakegithub:{self.port}", daemon=True)
        self._thread.start()
        _LIVE.add(self)
        return self

    def stop(self) -> None:
        _LIVE.discard(self)
        if self._server is not None:
            self._server.shutdown()
            self._server.close_all()
            self._server.server_close()
            self._server = None
        shutil.rmtree(self.root, ignore_errors=True)

    close = stop

    def __enter__(self) -> "FakeGitHub":
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None and self.contract.strict:
                self.contract.raise_if_any()
        finally:
            self.stop()

    @property
    def base_url(self) -> str:
        return self.api_url

    # ================================================================ setup
    def add_user(self, login: str, type: str = "User", *, name: Optional[str] = None,
                 email: Optional[str] = None) -> User:
        if type not in ("User", "Bot", "Organization"):
            raise ValueError(f"type must be User, Bot or Organization, not {type!r}")
        with self._lock:
            if login.lower() in self._users:
                return self._users[login.lower()]
            u = User(login, self.ids.next("user"), type, self.clock.now(), name, email)
            self._users[login.lower()] = u
            return u

    def user(self, login: str) -> User:
        u = self._find_user(login)
        if u is None:
            raise KeyError(login)
        return u

    def token_for(self, login: str) -> str:
        """The API/git token of a user (created on first use)."""
        with self._lock:
            u = self._find_user(login) or self.add_user(login)
            key = u.login.lower()
            if key not in self._token_of:
                prefix = "ghs" if u.type == "Bot" else "ghp"
                tok = f"{prefix}_fake{secrets.token_hex(16)}"
                self._token_of[key] = tok
                self._tokens[tok] = u
            return self._token_of[key]

    def add_app(self, slug: str, repos=(), permissions=None) -> "apps.App":
        """A GitHub App installed on `repos`; its JWT buys installation tokens (see apps.py)."""
        return apps.add_app(self, slug, repos, permissions)

    def revoke_token(self, login: str) -> None:
        with self._lock:
            tok = self._token_of.pop(login.lower(), None)
            self._tokens.pop(tok, None)

    def delete_user(self, login: str) -> None:
        """The account is deleted (its comments stay, as GitHub's "ghost"): asking about it is 404."""
        with self._lock:
            self.revoke_token(login)
            self._users.pop(login.lower(), None)
            for r in self._repos.values():
                r.perms.pop(login.lower(), None)

    def add_repo(self, full_name: str, *, default_branch: str = "main", private: bool = False,
                 initial_files: Optional[dict[str, str]] = None,
                 description: Optional[str] = None, owner_type: str = "User") -> Repo:
        owner_login, _, name = full_name.partition("/")
        if not owner_login or not name or "/" in name:
            raise ValueError(f"repository must be 'owner/name', not {full_name!r}")
        with self._lock:
            if full_name.lower() in self._repos:
                raise ValueError(f"{full_name} exists")
            owner = self._find_user(owner_login) or self.add_user(owner_login, owner_type)
            path = self.git_root / owner.login / f"{name}.git"
            git = BareRepo.create(path, default_branch)
            now = self.clock.now()
            files = initial_files if initial_files is not None else {"README.md": f"# {name}\n"}
            if files:
                who = Ident(owner.login, owner.commit_email, int(now.timestamp()))
                git.commit_files(default_branch, files, "Initial commit", who)
            repo = Repo(self.ids.next("repo"), owner, name, private, default_branch, git, now, now,
                        now, description)
            for lname, color, desc in DEFAULT_LABELS:
                repo.labels[lname] = Label(self.ids.next("label"), lname, color, desc, True)
            self._repos[full_name.lower()] = repo
            return repo

    def repo(self, full_name: str) -> Repo:
        r = self._repos.get(full_name.lower())
        if r is None:
            raise KeyError(full_name)
        return r

    def grant(self, repo: str, login: str, permission: str) -> None:
        """Give a user a role on a repository (admin, maintain, write, triage, read or none)."""
        if permission not in PERMISSIONS and permission != "none":
            raise ValueError(f"permission must be one of {PERMISSIONS} or 'none'")
        with self._lock:
            r = self.repo(repo)
            u = self._find_user(login) or self.add_user(login)
            if permission == "none":
                r.perms.pop(u.login.lower(), None)
            else:
                r.perms[u.login.lower()] = permission

    def git_url(self, repo: str) -> str:
        r = self.repo(repo)
        return f"{self.api_url}/{r.full_name}.git"

    def git_path(self, repo: str) -> Path:
        """Filesystem path of the bare repository behind a fake repository."""
        return self.repo(repo).git.path

    def git_auth_header(self, login: str, scheme: str = "basic") -> str:
        """Header for `git -c http.extraHeader=...`: basic x-access-token (what GitHub's git
        endpoint takes) or bearer (which it refuses, see githttp.py)."""
        tok = self.token_for(login)
        if scheme == "bearer":
            return f"Authorization: bearer {tok}"
        b64 = base64.b64encode(f"x-access-token:{tok}".encode()).decode()
        return f"Authorization: Basic {b64}"

    def commit(self, repo: str, branch: str, files: dict[str, Optional[str]],
               message: str = "change", *, author: Optional[str] = None,
               parent: Optional[str] = None) -> str:
        """Commit straight into the bare repository (as if someone pushed); returns the sha."""
        with self._lock:
            r = self.repo(repo)
            u = self._find_user(author) if author else r.owner
            if u is None:
                u = self.add_user(author)
            now = int(self.clock.now().timestamp())
            sha = r.git.commit_files(branch, files, message, Ident(u.login, u.commit_email, now),
                                     parent=parent)
            self._after_ref_change(r, u)
            return sha

    def add_issue(self, repo: str, title: str, body: Optional[str] = None, *,
                  user: Optional[str] = None, labels: Iterable[str] = (), state: str = "open",
                  state_reason: Optional[str] = None) -> Issue:
        """Seed an issue directly (no HTTP, not logged)."""
        with self._lock:
            r = self.repo(repo)
            u = (self._find_user(user) or self.add_user(user)) if user else r.owner
            now = self.clock.now()
            i = Issue(self.ids.next("issue"), r.next_number, r, u, title, body, now, now)
            r.next_number += 1
            for n in labels:
                lb = r.labels.get(n.lower())
                if lb is None:
                    lb = r.labels[n.lower()] = Label(self.ids.next("label"), n, "ededed", None)
                i.labels.append(lb)
            if state == "closed":
                i.state, i.closed_at, i.closed_by = "closed", now, u
                i.state_reason = state_reason or "completed"
            r.issues[i.number] = i
            self._issues_by_id[i.id] = i
            return i

    def add_pull(self, repo: str, head: str, *, base: Optional[str] = None,
                 title: str = "Pull request", body: Optional[str] = None,
                 user: Optional[str] = None, draft: bool = False) -> Issue:
        """Seed an open pull request for an existing branch (no HTTP, not logged)."""
        with self._lock:
            r = self.repo(repo)
            base = base or r.default_branch
            branches = r.git.branches()
            if head not in branches or base not in branches:
                raise ValueError(f"{head!r} or {base!r} is not a branch of {repo}")
            u = (self._find_user(user) or self.add_user(user)) if user else r.owner
            now = self.clock.now()
            i = Issue(self.ids.next("issue"), r.next_number, r, u, title, body, now, now)
            i.pull = PullInfo(self.ids.next("pull"), head, branches[head], base, branches[base],
                              draft=draft)
            r.next_number += 1
            r.issues[i.number] = i
            self._issues_by_id[i.id] = i
            return i

    def add_comment(self, repo: str, number: int, body: str, *, user: Optional[str] = None) -> Comment:
        with self._lock:
            i = self.issue(repo, number)
            u = (self._find_user(user) or self.add_user(user)) if user else i.repo.owner
            now = self.clock.now()
            c = Comment(self.ids.next("comment"), i, u, body, now, now)
            i.comments.append(c)
            self._comments[c.id] = c
            return c

    def add_review(self, repo: str, number: int, user: str, state: str, body: str = "") -> Review:
        """Seed a review of pull request `number` on its current head (no HTTP, not logged).

        state: APPROVED, CHANGES_REQUESTED, COMMENTED, PENDING or DISMISSED.  None of
        GitHub's submission rules apply (a seeded review may approve its author's own
        pull request).  Like a review submitted through the API, a non-PENDING one
        moves the pull request's updated_at to now.
        """
        if state not in REVIEW_STATES:
            raise ValueError(f"state must be one of {REVIEW_STATES}, not {state!r}")
        with self._lock:
            i = self.issue(repo, number)
            if not i.is_pr:
                raise ValueError(f"{repo}#{number} is not a pull request")
            u = self._find_user(user) or self.add_user(user)
            now = self.clock.now()
            submitted = None if state == "PENDING" else now
            rv = Review(self.ids.next("review"), i, u, body, state, i.pull.head_sha, submitted)
            i.pull.reviews.append(rv)
            if submitted is not None:
                i.updated_at = now
            return rv

    def add_workflow_run(self, repo: str, run_id: int, status: str = "in_progress",
                         conclusion: Optional[str] = None, **options: Any) -> WorkflowRun:
        """Seed a GitHub Actions workflow run (no HTTP, not logged), read back with
        GET /repos/{owner}/{repo}/actions/runs/{run_id}.

        status: requested, queued, pending, waiting, in_progress or completed; conclusion
        (success, failure, cancelled, ...) when completed and only then.  options:
        head_branch (default: the default branch), head_sha (default: its tip), event
        ("push"), name ("CI"), path (".github/workflows/ci.yml"), actor (default: the owner).
        """
        return actions.add_workflow_run(self, repo, run_id, status, conclusion, **options)

    def set_workflow_run(self, repo: str, run_id: int, status: str,
                         conclusion: Optional[str] = None) -> WorkflowRun:
        """Move a run to `status` (updated_at becomes now); a completed run queued again is a
        re-run: its next attempt (run_attempt + 1, previous_attempt_url, run_started_at)."""
        return actions.set_workflow_run(self, repo, run_id, status, conclusion)

    def issue(self, repo: str, number: int) -> Issue:
        return self.repo(repo).issues[number]

    def pulls(self, repo: str) -> list[Issue]:
        return [i for i in self.repo(repo).issues.values() if i.is_pr]

    # ================================================================ clients
    def github_client(self, login: Optional[str] = None, *, retry: Any = "default",
                      timeout: int = 10, per_page: int = 30, **kwargs):
        """A PyGithub client pointed at the fake, request spacing off.

        retry="default" uses :func:`default_retry` (PyGithub's GithubRetry,
        total=3, no backoff, rate-limit waits capped); pass None to disable
        retries or any urllib3 Retry / GithubRetry.
        """
        from github import Auth, Github
        auth = Auth.Token(self.token_for(login)) if login else None
        return Github(auth=auth, base_url=self.api_url,
                      retry=default_retry() if retry == "default" else retry,
                      timeout=timeout, per_page=per_page, seconds_between_requests=0,
                      seconds_between_writes=0, **kwargs)

    # ================================================================ rate limit
    def _budget(self, user: Optional[User]) -> Budget:
        key = user.login.lower() if user else None
        b = self._budgets.get(key)
        if b is None:
            limit = self._rate_limit if user else self._anon_rate_limit
            b = self._budgets[key] = Budget(limit, limit, int(time.time()) + 3600)
        b.refresh(time.time())
        return b

    def set_rate_limit(self, login: Optional[str] = None, *, remaining: Optional[int] = None,
                       limit: Optional[int] = None, reset_in: Optional[float] = None,
                       reset_at: Optional[int] = None, status: int = 403) -> Budget:
        """Configure the core budget of a user (login=None: anonymous)."""
        with self._lock:
            u = self._find_user(login) if login else None
            if login and u is None:
                u = self.add_user(login)
            b = self._budget(u)
            if limit is not None:
                b.limit = limit
                b.remaining = min(b.remaining, limit)
            if remaining is not None:
                b.remaining = remaining
            if reset_in is not None:
                b.reset = int(time.time() + reset_in)
            if reset_at is not None:
                b.reset = int(reset_at)
            b.status = status
            return b

    def rate_limit(self, login: Optional[str] = None) -> Budget:
        with self._lock:
            return self._budget(self._find_user(login) if login else None)

    # ================================================================ faults
    def inject(self, method: Optional[str] = None, path: Optional[str] = None, *, nth: int = 1,
               fault: Optional[str] = None, seconds: float = 0.0, times: int = 1,
               apply_then: Optional[str] = None) -> Fault:
        """Script a fault for the nth (..nth+times-1) request matching method and path.

        path is a template ("/repos/{owner}/{repo}/pulls") or a concrete path.
        fault: "500", "502", "503"; "secondary_rate_limit" (403 + retry-after:
        seconds), "secondary_rate_limit_429" (429 + retry-after: seconds),
        "secondary_rate_limit_no_retry_after" (403) and
        "secondary_rate_limit_429_no_retry_after" (429) -- a limit that lasts is
        times=N; "html_502" (GitHub's 502 Unicorn page) and "html_200" (a proxy's
        200 HTML page where JSON was expected); "reset" (close the socket, no
        answer) or "delay" (sleep seconds, then answer normally).
        apply_then=<fault> performs the request first (the write happens) and
        then answers with that fault.
        """
        if apply_then is not None:
            if fault is not None:
                raise ValueError("give fault= or apply_then=, not both")
            fault, apply = apply_then, True
        else:
            apply = False
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {FAULTS}")
        f = Fault(method.upper() if method else None, path, nth, times, fault, float(seconds), apply)
        with self._flock:
            self._faults.append(f)
        return f

    def clear_faults(self) -> None:
        with self._flock:
            self._faults.clear()

    def _pick_fault(self, method: str, template: Optional[str], path: str) -> Optional[Fault]:
        chosen = None
        with self._flock:
            for f in self._faults:
                if f.matches(method, template, path):
                    f.seen += 1
                    if chosen is None and f.nth <= f.seen < f.nth + f.times:
                        f.fired += 1
                        chosen = f
        return chosen

    def _fault_outcome(self, f: Fault, user: Optional[User]):
        if f.fault == "reset":
            return RESET
        if f.fault in SECONDARY_FAULTS:
            status, retry_after = SECONDARY_FAULTS[f.fault]
            body = {"message": "You have exceeded a secondary rate limit. Please wait a few "
                               "minutes before you try again. If you reach out to GitHub Support "
                               "for help, please include the request ID FAKE:0000:0000.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-"
                                         "the-rest-api#about-secondary-rate-limits",
                    "status": str(status)}
            # The primary budget is untouched: x-ratelimit-remaining stays healthy.
            headers = {"Content-Type": "application/json; charset=utf-8", **self._rl_headers(user)}
            if retry_after:
                headers["Retry-After"] = str(int(f.seconds))
            return _Outcome(status, headers, dumps(body))
        if f.fault == "html_502":
            return _Outcome(502, {"Content-Type": "text/html; charset=utf-8"}, UNICORN_PAGE)
        if f.fault == "html_200":
            return _Outcome(200, {"Content-Type": "text/html; charset=utf-8"}, PROXY_PAGE)
        status = int(f.fault)
        msg = {500: "Server Error", 502: "Server Error", 503: "Service Unavailable"}[status]
        return _Outcome(status, {"Content-Type": "application/json; charset=utf-8"},
                        dumps({"message": msg, "documentation_url": "https://docs.github.com/rest",
                               "status": str(status)}))

    # ================================================================ request log
    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    def requests(self, what: str = "all", *, endpoint: Optional[str] = None,
                 method: Optional[str] = None, status: Optional[int] = None,
                 kind: str = "api") -> list[LogEntry]:
        """Logged requests; what = all | reads | writes | not_modified; kind = api | git | any."""
        with self._lock:
            out = list(self.log)
        if kind != "any":
            out = [e for e in out if e.kind == kind]
        if what == "reads":
            out = [e for e in out if not e.write]
        elif what == "writes":
            out = [e for e in out if e.write]
        elif what == "not_modified":
            out = [e for e in out if e.not_modified]
        elif what != "all":
            raise ValueError("what must be all, reads, writes or not_modified")
        if endpoint is not None:
            out = [e for e in out if e.template == endpoint or e.path == endpoint]
        if method is not None:
            out = [e for e in out if e.method == method.upper()]
        if status is not None:
            out = [e for e in out if e.status == status]
        return out

    def count(self, what: str = "all", **kw) -> int:
        return len(self.requests(what, **kw))

    # ================================================================ contract
    def check_contract(self) -> None:
        """Raise ContractViolation now if anything strayed from the description."""
        self.contract.raise_if_any()

    # ================================================================ events
    def issue_comment_event(self, repo: str, issue_number: int, commenter: str, body: str, *,
                            action: str = "created", comment_id: Optional[int] = None,
                            old_body: Optional[str] = None,
                            path: Optional[str | Path] = None) -> dict:
        """The issue_comment payload GitHub Actions writes to GITHUB_EVENT_PATH.

        For action="created" (and no comment_id) the comment is created in the
        fake first, so the bot finds it through the API too.
        """
        if action not in ("created", "edited", "deleted"):
            raise ValueError("action must be created, edited or deleted")
        with self._lock:
            issue = self.issue(repo, issue_number)
            user = self._find_user(commenter) or self.add_user(commenter)
            if comment_id is None:
                if action != "created":
                    raise ValueError("edited/deleted events need comment_id")
                c = self.add_comment(repo, issue_number, body, user=user.login)
            else:
                c = self._comments[comment_id]
                old_body = c.body if old_body is None else old_body
                if action == "edited":
                    c.body = body
                    c.updated_at = self.clock.now()
                elif action == "deleted":
                    c.issue.comments.remove(c)
                    del self._comments[c.id]
            r = self.render
            payload: dict[str, Any] = {"action": action}
            if action == "edited":
                payload["changes"] = {"body": {"from": old_body}}
            payload["issue"] = r.issue(issue)
            payload["comment"] = r.comment(c)
            payload["repository"] = r.repository(issue.repo)
            if issue.repo.owner.type == "Organization":
                o = r.user(issue.repo.owner)
                payload["organization"] = {k: o[k] for k in ("login", "id", "node_id", "url",
                                                             "avatar_url")}
            payload["sender"] = r.user(user)
        if path is not None:
            Path(path).write_text(json.dumps(payload, indent=2), encoding="utf-8")
        return payload

    # ================================================================ internals
    def _find_user(self, login: Optional[str]) -> Optional[User]:
        return self._users.get(login.lower()) if login else None

    def _find_repo(self, owner: str, name: str) -> Optional[Repo]:
        return self._repos.get(f"{owner}/{name}".lower())

    def _user_for_token(self, token: Optional[str]) -> Optional[User]:
        return self._tokens.get(token) if token else None

    def _users_by_email(self) -> dict[str, User]:
        return {u.commit_email.lower(): u for u in self._users.values()}

    def _lag_branches(self, repo: Repo, before: dict[str, str]) -> None:
        """Remember what each branch a push moved was before it, for `push_lag` seconds."""
        until = self.clock.now().timestamp() + self.push_lag
        for name, sha in repo.git.branches().items():
            if before.get(name) != sha:
                self._lagging[(repo.full_name.lower(), name)] = (before.get(name), until)

    def branches_for_pulls(self, repo: Repo) -> dict[str, str]:
        """The branches as creating a pull request sees them: a branch pushed less than
        `push_lag` seconds ago still has its old tip (or does not exist yet)."""
        branches = repo.git.branches()
        now = self.clock.now().timestamp()
        for (full, name), (old, until) in list(self._lagging.items()):
            if now >= until:
                del self._lagging[(full, name)]
            elif full == repo.full_name.lower():
                if old is None:
                    branches.pop(name, None)
                else:
                    branches[name] = old
        return branches

    def _after_ref_change(self, repo: Repo, actor: Optional[User]) -> None:
        repo.pushed_at = self.clock.now()
        self._sync_refs(repo, actor)

    def _sync_refs(self, repo: Repo, actor: Optional[User] = None) -> None:
        """Let open PRs follow their branches, as GitHub does after a push."""
        open_prs = [i for i in repo.issues.values() if i.is_pr and i.state == "open"]
        if not open_prs:
            return
        branches = repo.git.branches()
        now = self.clock.now()
        for i in open_prs:
            p = i.pull
            head, base = branches.get(p.head_ref), branches.get(p.base_ref)
            if head is None or base is None:
                if self.close_prs_on_branch_delete:
                    self._freeze_pull(i)
                    i.state, i.closed_at, i.updated_at = "closed", now, now
                    i.closed_by = actor
                continue
            if head != p.head_sha or base != p.base_sha:
                if head != p.head_sha:
                    i.updated_at = now
                old_base = p.base_sha
                p.head_sha, p.base_sha = head, base
                if (base != old_base and repo.git.is_ancestor(head, base)
                        and not repo.git.is_ancestor(head, old_base)):
                    # the head commits reached the base by a push: GitHub marks it merged
                    p.frozen_stats = (0, 0, 0, 0)
                    p.merged, p.merged_at, p.merged_by, p.merge_commit_sha = True, now, actor, head
                    i.state, i.closed_at, i.closed_by, i.updated_at = "closed", now, actor, now

    def _freeze_pull(self, issue: Issue) -> None:
        if issue.pull.frozen_stats is None:
            issue.pull.frozen_stats = self._pull_stats(issue)[0]

    def _check_reopen(self, issue: Issue) -> None:
        p = issue.pull
        branches = issue.repo.git.branches()
        for ref in (p.head_ref, p.base_ref):
            if ref not in branches:
                raise ApiError(422, "Validation Failed", errors=[{
                    "resource": "PullRequest", "code": "custom", "field": "state",
                    "message": f"state cannot be changed. The {ref} branch has been deleted."}])

    def _pull_stats(self, issue: Issue):
        p = issue.pull
        if p.frozen_stats is not None:
            return p.frozen_stats, None
        git = issue.repo.git
        try:
            commits = len(git.commits_between(p.base_sha, p.head_sha))
            add, dele, files = git.diff_stats(p.base_sha, p.head_sha)
            mergeable = git.mergeable(p.base_sha, p.head_sha)
        except Exception:
            return (0, 0, 0, 0), None
        return (commits, add, dele, files), mergeable

    def _rl_headers(self, user: Optional[User]) -> dict[str, str]:
        b = self._budget(user)
        return {"X-RateLimit-Limit": str(b.limit), "X-RateLimit-Remaining": str(b.remaining),
                "X-RateLimit-Reset": str(b.reset), "X-RateLimit-Used": str(b.limit - b.remaining),
                "X-RateLimit-Resource": "core"}

    def _violation(self, side, kind, method, path, template, message) -> None:
        self.contract.add(Violation(side, kind, method, path, template, message))

    # ---------------------------------------------------------------- dispatch
    def _process(self, method: str, raw_path: str, headers: dict[str, str], body: bytes):
        t0 = time.monotonic()
        split = urlsplit(raw_path)
        path, qs = split.path or "/", split.query
        spec = self.contract.spec
        git_tpl = githttp.git_template(path, qs)
        if git_tpl is not None:
            kind, template, op, params = "git", git_tpl, None, {}
        else:
            kind = "api"
            op, params = spec.match(method, path)
            template = op.template if op else (spec.template_for(path)
                                               or spec.documented(method, path))
        fault = self._pick_fault(method, template, path)
        fault_name = fault.fault if fault else None
        if fault is not None and fault.fault == "delay" and not fault.apply:
            time.sleep(fault.seconds)  # held before anything happens
            fault = None
        user = None
        json_body = None
        if fault is not None and not fault.apply:
            creds = parse_authorization(headers.get("authorization"))
            user = self._user_for_token(creds.token)
            out = self._fault_outcome(fault, user)
        elif kind == "git":
            m = githttp.GIT_PATH.match(path)
            pushing = githttp.is_push(path, qs) and method == "POST"
            with self._lock:
                r = self._find_repo(m.group("owner"), m.group("repo"))
                before = r.git.branches() if pushing and r is not None and self.push_lag else None
            status, hdrs, data, user, push = githttp.serve(self, method, path, qs, headers, body)
            if pushing and status == 200 and r is not None:
                with self._lock:
                    self._after_ref_change(r, user)
                    if before is not None:
                        self._lag_branches(r, before)
            out = _Outcome(status, hdrs, data)
        else:
            out, user, json_body = self._api(method, path, qs, headers, body, op, params)
        if fault is not None and fault.apply:
            if fault.fault == "delay":
                time.sleep(fault.seconds)  # the write has happened; only the answer is held
            else:
                out = self._fault_outcome(fault, user)
        if kind == "api" and out is not RESET and op is not None and fault_name not in HTML_FAULTS:
            for problem in spec.check_response(op, out.status, out.body):
                self._violation("response", "bad-response", method, path, template,
                                f"status {out.status}: {problem}")
        entry = LogEntry(
            kind=kind, method=method, path=path, template=template,
            query=parse_qs(qs, keep_blank_values=True),
            status=None if out is RESET else out.status,
            write=method in WRITE_METHODS if kind == "api" else (
                githttp.is_push(path, qs) and method == "POST"),
            not_modified=out is not RESET and out.status == 304,
            login=user.login if user else None, fault=fault_name, body=json_body,
            elapsed=time.monotonic() - t0)
        with self._lock:
            self.log.append(entry)
        return out

    def _api(self, method, path, qs, headers, body, op, params):
        spec = self.contract.spec
        query = parse_qs(qs, keep_blank_values=True)
        creds = parse_authorization(headers.get("authorization"))
        user = None
        base_headers = {"Content-Type": "application/json; charset=utf-8",
                        "X-GitHub-Media-Type": "github.v3; format=json",
                        "X-GitHub-Api-Version-Selected": "2022-11-28",
                        "X-GitHub-Request-Id": f"FAKE:{secrets.token_hex(4).upper()}"}
        json_body = None
        if body.strip():
            try:
                json_body = json.loads(body)
            except ValueError:
                json_body = None
                with self._lock:
                    rl = self._rl_headers(None)
                return _Outcome(400, {**base_headers, **rl}, dumps({
                    "message": "Problems parsing JSON",
                    "documentation_url": "https://docs.github.com/rest", "status": "400"})), None, None
        with self._lock:
            # A GitHub App's JWT is checked by the operations that take one (apps.py).
            jwt_call = op is not None and op.template in apps.JWT_OPERATIONS and apps.looks_like_jwt(creds.token)
            if creds.present and not jwt_call:
                user = self._user_for_token(creds.token)
                if user is None:
                    return _Outcome(401, {**base_headers, **self._rl_headers(None)}, dumps({
                        "message": "Bad credentials",
                        "documentation_url": "https://docs.github.com/rest",
                        "status": "401"})), None, json_body
            # --- the request against the description
            if op is None:
                documented = spec.documented(method, path)
                if documented:
                    self._violation("request", "unimplemented", method, path, documented,
                                    "documented by GitHub but not implemented by the fake "
                                    "(add it to tests/fakegithub)")
                    msg = f"Not Found (fake GitHub does not implement {method} {documented})"
                else:
                    self._violation("request", "undocumented-request", method, path, None,
                                    "no such operation in GitHub's REST API description")
                    msg = "Not Found"
                reply = Reply(404, {"message": msg,
                                    "documentation_url": "https://docs.github.com/rest",
                                    "status": "404"})
                return self._finish(method, path, headers, user, reply, base_headers,
                                    counts=True), user, json_body
            for problem in spec.check_request(op, query, body, headers.get("content-type")):
                self._violation("request", "bad-request", method, path, op.template, problem)
            # --- primary rate limit
            counts = op.template != "/rate_limit"
            budget = self._budget(user)
            if counts and budget.remaining <= 0:
                who = f"user ID {user.id}" if user else "127.0.0.1"
                reply = Reply(budget.status, {
                    "message": f"API rate limit exceeded for {who}. If you reach out to GitHub "
                               "Support for help, please include the request ID FAKE:0000.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-"
                                         "for-the-rest-api#about-the-primary-rate-limit",
                    "status": str(budget.status)})
                return self._finish(method, path, headers, user, reply, base_headers,
                                    counts=False), user, json_body
            # --- the operation
            handler = ROUTES.get((op.method, op.template))
            ctx = Ctx(self, method, path, op.template, params, query, json_body, user, headers)
            try:
                if handler is None:
                    raise ApiError(404, "Not Found")
                reply = handler(ctx)
            except ApiError as e:
                reply = Reply(e.status, e.payload(), dict(e.headers))
            except Exception:
                tb = traceback.format_exc()
                self._violation("response", "fake-crashed", method, path, op.template, tb)
                reply = Reply(500, {"message": "Server Error (fake crashed)",
                                    "documentation_url": "https://docs.github.com/rest",
                                    "status": "500"})
            return self._finish(method, path, headers, user, reply, base_headers,
                                counts=counts), user, json_body

    def _finish(self, method, path, headers, user, reply: Reply, base_headers, *, counts: bool):
        data = b"" if reply.data is None else dumps(reply.data)
        hdrs = dict(base_headers)
        hdrs.update(reply.headers)
        status = reply.status
        if method == "GET" and 200 <= status < 300 and data:
            # GitHub's ETags differ per token (not per user): a new token's first read is a full one.
            # Its answers say `Vary: Accept, Authorization, Cookie, X-GitHub-OTP` (as below), and
            # "Best practices for using the REST API" (docs.github.com/en/rest/using-the-rest-api/
            # best-practices-for-using-the-rest-api, "Use conditional requests") keys 304s to them.
            salt = (parse_authorization(headers.get("authorization")).token or "").encode()
            etag = 'W/"' + hashlib.sha256(data + b"\0" + salt).hexdigest()[:40] + '"'
            hdrs["ETag"] = etag
            hdrs["Cache-Control"] = "private, max-age=60, s-maxage=60"
            hdrs["Vary"] = "Accept, Authorization, Cookie, X-GitHub-OTP"
            inm = headers.get("if-none-match")
            if inm and _etag_matches(inm, etag):
                status, data, counts = 304, b"", False
                hdrs.pop("Link", None)
        if counts:
            b = self._budget(user)
            b.remaining = max(b.remaining - 1, 0)
        hdrs.update(self._rl_headers(user))
        return _Outcome(status, hdrs, data)


# GitHub's 502 page, shortened (the real one carries inline CSS and an image): PyGithub/PyGithub#2047.
UNICORN_PAGE = (b"<!DOCTYPE html>\r\n<html>\r\n  <head>\r\n    <title>Unicorn! &middot; GitHub</title>\r\n"
                b"  </head>\r\n  <body>\r\n    <div class=\"container\">\r\n      <p><strong>No server is "
                b"currently available to service your request.</strong></p>\r\n      <p>Sorry about that. "
                b"Please try refreshing and contact us if the problem persists.</p>\r\n    </div>\r\n"
                b"  </body>\r\n</html>\r\n")
PROXY_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Network login</title></head>\n<body><h1>Sign in to "
              b"continue</h1><p>This network requires you to accept the terms of use.</p></body></html>\n")


def _etag_matches(header: str, etag: str) -> bool:
    def norm(t: str) -> str:
        t = t.strip()
        return t[2:] if t.startswith("W/") else t
    wanted = norm(etag)
    return any(norm(t) in (wanted, "*") for t in header.split(","))


# ==================================================================== HTTP server

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    fake: FakeGitHub

    def __init__(self, *a, **kw):
        self._conns: set = set()
        self._clock = threading.Lock()
        super().__init__(*a, **kw)

    def get_request(self):
        sock, addr = super().get_request()
        with self._clock:
            self._conns.add(sock)
        return sock, addr

    def shutdown_request(self, request):
        with self._clock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_all(self) -> None:
        with self._clock:
            conns = list(self._conns)
            self._conns.clear()
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):  # keep test output quiet
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002
        pass

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _go(self, method: str) -> None:
        fake: FakeGitHub = self.server.fake
        body = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        sent = self.headers.get_all("Authorization") or []
        if len(sent) > 1:  # the dict keeps one; the git endpoint refuses two (githttp.py)
            headers[githttp.AUTH_COUNT] = str(len(sent))
        out = fake._process(method, self.path, headers, body)
        if out is RESET:
            try:
                # SO_LINGER 0 + close: the peer gets a TCP RST, no answer
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
            except OSError:
                pass
            self.close_connection = True
            return
        self.send_response(out.status)
        for k, v in out.headers.items():
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(out.body)))
        # one write for head and body (no Nagle/delayed-ACK stall between them)
        self._headers_buffer.append(b"\r\n")
        if method != "HEAD" and out.body:
            self._headers_buffer.append(out.body)
        self.flush_headers()

    def do_GET(self):
        self._go("GET")

    def do_HEAD(self):
        self._go("HEAD")

    def do_POST(self):
        self._go("POST")

    def do_PUT(self):
        self._go("PUT")

    def do_PATCH(self):
        self._go("PATCH")

    def do_DELETE(self):
        self._go("DELETE")
