"""Handlers of the REST operations the fake serves (see operations.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Optional
from urllib.parse import urlencode

from .gitstore import ZERO, Ident
from .httputil import ApiError, Reply, not_found, validation_failed
from .operations import R
from .state import (LEVEL, REACTIONS, REVIEW_EVENTS, Comment, Issue, Label, PullInfo, Reaction,
                    Repo, Review, User, iso)

if TYPE_CHECKING:  # pragma: no cover
    from .server import FakeGitHub

ROUTES: dict[tuple[str, str], Callable[["Ctx"], Reply]] = {}

MAX_SUB_ISSUES = 100
MAX_SUB_ISSUE_DEPTH = 8
# GitHub refuses a body of more than 65,536 characters on issues, pull requests and comments with
# 422 "body is too long (maximum is 65536 characters)": renovatebot/renovate#2032 and #14551 (a PR
# body), googleapis/release-please#1034 (an issue body), telia-oss/github-pr-resource#259 (a comment).
MAX_BODY = 65_536


def _check_body(value: Any, resource: str) -> None:
    """422 for a body over GitHub's limit, in the shape GitHub answers it (see MAX_BODY)."""
    if isinstance(value, str) and len(value) > MAX_BODY:
        if resource == "IssueComment":
            raise validation_failed({"resource": resource, "code": "unprocessable", "field": "data",
                                     "message": f"Body is too long (maximum is {MAX_BODY} characters)"})
        raise validation_failed({"resource": "Issue", "code": "custom", "field": "body",
                                 "message": f"body is too long (maximum is {MAX_BODY} characters)"})


def route(method: str, template: str):
    def deco(fn):
        ROUTES[(method, template)] = fn
        return fn
    return deco


@dataclass
class Ctx:
    fake: "FakeGitHub"
    method: str
    path: str
    template: str
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    user: Optional[User]
    headers: dict[str, str] = field(default_factory=dict)

    # -- input helpers -------------------------------------------------------
    def q(self, name: str, default: Optional[str] = None) -> Optional[str]:
        v = self.query.get(name)
        return v[-1] if v else default

    def b(self, name: str, default: Any = None) -> Any:
        if isinstance(self.body, dict):
            return self.body.get(name, default)
        return default

    def int_param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except (KeyError, ValueError):
            raise not_found()

    @property
    def r(self):
        return self.fake.render

    # -- access --------------------------------------------------------------
    def require_user(self) -> User:
        if self.user is None:
            raise ApiError(401, "Requires authentication")
        return self.user

    def forbidden(self) -> ApiError:
        if self.user is not None and self.user.type == "Bot":
            return ApiError(403, "Resource not accessible by integration")
        return ApiError(403, "Resource not accessible by personal access token")

    def repo(self, need: str = "read") -> Repo:
        repo = self.fake._find_repo(self.params["owner"], self.params["repo"])
        if repo is None or repo.permission_of(self.user) is None:
            raise not_found()
        if need != "read" or self.method != "GET":
            self.require_user()
        if not repo.has(self.user, need):
            raise self.forbidden()
        return repo

    def can(self, repo: Repo, need: str) -> bool:
        return repo.has(self.user, need)

    def issue(self, repo: Repo, key: str = "issue_number") -> Issue:
        i = repo.issues.get(self.int_param(key))
        if i is None:
            raise not_found()
        return i

    def pull(self, repo: Repo) -> Issue:
        i = repo.issues.get(self.int_param("pull_number"))
        if i is None or not i.is_pr:
            raise not_found()
        return i

    # -- output helpers ------------------------------------------------------
    def page(self, items: list, render: Callable[[Any], Any]) -> Reply:
        try:
            per_page = int(self.q("per_page", "30"))
        except ValueError:
            per_page = 30
        if per_page <= 0:
            per_page = 30
        per_page = min(per_page, 100)
        try:
            page = max(int(self.q("page", "1")), 1)
        except ValueError:
            page = 1
        total = len(items)
        last = max((total + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        links = []
        if total > per_page or page > 1:
            def url(n: int) -> str:
                q = [(k, v) for k, vs in self.query.items() for v in vs if k != "page"]
                q.append(("page", str(n)))
                return f"{self.fake.api_url}{self.path}?{urlencode(q)}"
            if page > 1:
                links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
            if page < last:
                links.append(f'<{url(page + 1)}>; rel="next"')
                links.append(f'<{url(last)}>; rel="last"')
            if page > 1:
                links.append(f'<{url(1)}>; rel="first"')
        if links:
            headers["Link"] = ", ".join(links)
        return Reply(200, [render(x) for x in chunk], headers)

    def now(self) -> datetime:
        return self.fake.clock.now()


def _sort(items: list, key, direction: str) -> list:
    return sorted(items, key=key, reverse=(direction == "desc"))


def _since(value: Optional[str]) -> Optional[str]:
    if not value:
        return None
    # GitHub accepts ISO 8601; normalise 'YYYY-MM-DDTHH:MM:SS(+00:00|Z)'
    from datetime import datetime, timezone
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise validation_failed({"resource": "Issue", "field": "since", "code": "invalid"})
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return iso(dt)


# ====================================================================== users

@route("GET", "/user")
def get_authenticated(ctx: Ctx) -> Reply:
    u = ctx.require_user()
    if u.type == "Bot":
        # installation tokens cannot read /user
        raise ApiError(403, "Resource not accessible by integration")
    owned = [r for r in ctx.fake._repos.values() if r.owner is u]
    return Reply(200, ctx.r.full_user(u, True, sum(not r.private for r in owned),
                                      sum(r.private for r in owned)))


@route("GET", "/users/{username}")
def get_user(ctx: Ctx) -> Reply:
    u = ctx.fake._find_user(ctx.params["username"])
    if u is None:
        raise not_found()
    owned = [r for r in ctx.fake._repos.values() if r.owner is u]
    return Reply(200, ctx.r.full_user(u, False, sum(not r.private for r in owned), 0))


@route("GET", "/rate_limit")
def rate_limit(ctx: Ctx) -> Reply:
    b = ctx.fake._budget(ctx.user)
    core = {"limit": b.limit, "remaining": b.remaining, "reset": b.reset, "used": b.limit - b.remaining}
    other = {"limit": 30, "remaining": 30, "reset": b.reset, "used": 0}
    return Reply(200, {"resources": {"core": core, "search": dict(other),
                                     "graphql": {**core, "remaining": b.limit, "used": 0}},
                       "rate": core})


# ====================================================================== repos

@route("GET", R)
def get_repo(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    return Reply(200, ctx.r.full_repository(repo, ctx.user))


@route("GET", R + "/collaborators/{username}/permission")
def collaborator_permission(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    u = ctx.fake._find_user(ctx.params["username"])
    if u is None:
        raise ApiError(404, f"{ctx.params['username']} is not a user")
    perm = repo.permission_of(u) or "none"
    legacy = {"maintain": "write", "triage": "read"}.get(perm, perm)
    lvl = LEVEL.get(perm, 0)
    user = ctx.r.user(u)
    user["permissions"] = {"admin": lvl >= 5, "maintain": lvl >= 4, "push": lvl >= 3,
                           "triage": lvl >= 2, "pull": lvl >= 1}
    user["role_name"] = perm
    return Reply(200, {"permission": legacy, "role_name": perm, "user": user})


# ====================================================================== issues

def _label_names(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, dict) and "labels" in raw:
        raw = raw["labels"]
    names = []
    for x in raw or []:
        if isinstance(x, dict):
            x = x.get("name")
        if isinstance(x, str) and x.strip():
            names.append(x.strip())
    return names


def _ensure_labels(ctx: Ctx, repo: Repo, names: list[str]) -> list[Label]:
    out: list[Label] = []
    for n in names:
        lb = repo.labels.get(n.lower())
        if lb is None:  # GitHub creates unknown labels on the fly
            lb = Label(ctx.fake.ids.next("label"), n, "ededed", None)
            repo.labels[n.lower()] = lb
        if lb not in out:
            out.append(lb)
    return out


@route("GET", R + "/issues")
def list_issues(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    state = ctx.q("state", "open")
    items = [i for i in repo.issues.values() if state == "all" or i.state == state]
    if ctx.q("labels"):
        wanted = {x.strip().lower() for x in ctx.q("labels").split(",") if x.strip()}
        items = [i for i in items if wanted <= {lb.name.lower() for lb in i.labels}]
    if ctx.q("creator"):
        c = ctx.q("creator").lower()
        items = [i for i in items if i.user.login.lower() == c]
    if ctx.q("assignee") not in (None, "*", "none"):
        items = []  # the fake has no assignees
    since = _since(ctx.q("since"))
    if since:
        items = [i for i in items if iso(i.updated_at) >= since]
    sort = ctx.q("sort", "created")
    key = {"created": lambda i: (i.created_at, i.number),
           "updated": lambda i: (i.updated_at, i.number),
           "comments": lambda i: (len(i.comments), i.number)}.get(sort)
    if key is None:
        raise validation_failed({"resource": "Issue", "field": "sort", "code": "invalid"})
    items = _sort(items, key, ctx.q("direction", "desc"))
    return ctx.page(items, ctx.r.issue)


@route("POST", R + "/issues")
def create_issue(ctx: Ctx) -> Reply:
    repo = ctx.repo("read")
    title = ctx.b("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        raise validation_failed({"resource": "Issue", "code": "missing_field", "field": "title"})
    _check_body(ctx.b("body"), "Issue")
    now = ctx.now()
    issue = Issue(id=ctx.fake.ids.next("issue"), number=repo.next_number, repo=repo,
                  user=ctx.user, title=str(title), body=ctx.b("body"), created_at=now,
                  updated_at=now)
    repo.next_number += 1
    if ctx.can(repo, "triage"):  # labels are silently dropped otherwise
        issue.labels = _ensure_labels(ctx, repo, _label_names(ctx.b("labels")))
    repo.issues[issue.number] = issue
    ctx.fake._issues_by_id[issue.id] = issue
    return Reply(201, ctx.r.issue(issue),
                 {"Location": ctx.r.issue_url(issue)})


@route("GET", R + "/issues/{issue_number}")
def get_issue(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    return Reply(200, ctx.r.issue(ctx.issue(repo)))


def _set_state(ctx: Ctx, issue: Issue, state: str, reason: Optional[str]) -> None:
    if state not in ("open", "closed"):
        raise validation_failed({"resource": "Issue", "field": "state", "code": "invalid"})
    if state == issue.state:
        return
    now = ctx.now()
    if state == "closed":
        issue.state = "closed"
        issue.closed_at = now
        issue.closed_by = ctx.user
        if issue.is_pr:
            ctx.fake._freeze_pull(issue)
            issue.state_reason = None
        else:
            issue.state_reason = reason or "completed"
    else:
        if issue.is_pr:
            ctx.fake._check_reopen(issue)
        issue.state = "open"
        issue.closed_at = None
        issue.closed_by = None
        issue.state_reason = None if issue.is_pr else "reopened"
        if issue.is_pr:
            issue.pull.frozen_stats = None


@route("PATCH", R + "/issues/{issue_number}")
def update_issue(ctx: Ctx) -> Reply:
    repo = ctx.repo("read")
    issue = ctx.issue(repo)
    author = ctx.user is issue.user
    if not (author or ctx.can(repo, "triage")):
        raise ctx.forbidden()
    body = ctx.body if isinstance(ctx.body, dict) else {}
    _check_body(body.get("body"), "Issue")
    if "title" in body and body["title"] is not None:
        issue.title = str(body["title"])
    if "body" in body:
        issue.body = body["body"]
    if "state" in body:
        _set_state(ctx, issue, body["state"], body.get("state_reason"))
    if "labels" in body and ctx.can(repo, "triage"):
        issue.labels = _ensure_labels(ctx, repo, _label_names(body["labels"]))
    issue.updated_at = ctx.now()
    return Reply(200, ctx.r.issue(issue))


# ====================================================================== comments

@route("GET", R + "/issues/comments")
def list_repo_comments(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    items = [c for i in repo.issues.values() for c in i.comments]
    since = _since(ctx.q("since"))
    if since:
        items = [c for c in items if iso(c.updated_at) >= since]
    sort = ctx.q("sort", "created")
    key = (lambda c: (c.updated_at, c.id)) if sort == "updated" else (lambda c: (c.created_at, c.id))
    items = _sort(items, key, ctx.q("direction", "asc"))
    return ctx.page(items, ctx.r.comment)


@route("GET", R + "/issues/{issue_number}/comments")
def list_comments(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = ctx.issue(repo)
    items = list(issue.comments)
    since = _since(ctx.q("since"))
    if since:
        items = [c for c in items if iso(c.updated_at) >= since]
    return ctx.page(items, ctx.r.comment)


@route("POST", R + "/issues/{issue_number}/comments")
def create_comment(ctx: Ctx) -> Reply:
    repo = ctx.repo("read")
    issue = ctx.issue(repo)
    body = ctx.b("body")
    if not isinstance(body, str) or not body:
        raise validation_failed({"resource": "IssueComment", "code": "missing_field", "field": "body"})
    _check_body(body, "IssueComment")
    if issue.locked and not ctx.can(repo, "write"):
        raise ApiError(403, "Unable to create comment because issue is locked.")
    now = ctx.now()
    c = Comment(ctx.fake.ids.next("comment"), issue, ctx.user, body, now, now)
    issue.comments.append(c)
    ctx.fake._comments[c.id] = c
    issue.updated_at = now
    return Reply(201, ctx.r.comment(c), {"Location": ctx.r.comment(c)["url"]})


def _comment(ctx: Ctx, repo: Repo) -> Comment:
    try:
        c = ctx.fake._comments.get(int(ctx.params["comment_id"]))
    except ValueError:
        c = None
    if c is None or c.issue.repo is not repo:
        raise not_found()
    return c


@route("GET", R + "/issues/comments/{comment_id}")
def get_comment(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    return Reply(200, ctx.r.comment(_comment(ctx, repo)))


@route("PATCH", R + "/issues/comments/{comment_id}")
def update_comment(ctx: Ctx) -> Reply:
    repo = ctx.repo("read")
    c = _comment(ctx, repo)
    if not (ctx.user is c.user or ctx.can(repo, "write")):
        raise ctx.forbidden()
    body = ctx.b("body")
    if not isinstance(body, str) or not body:
        raise validation_failed({"resource": "IssueComment", "code": "missing_field", "field": "body"})
    _check_body(body, "IssueComment")
    c.body = body
    c.updated_at = ctx.now()
    return Reply(200, ctx.r.comment(c))


@route("DELETE", R + "/issues/comments/{comment_id}")
def delete_comment(ctx: Ctx) -> Reply:
    repo = ctx.repo("read")
    c = _comment(ctx, repo)
    if not (ctx.user is c.user or ctx.can(repo, "write")):
        raise ctx.forbidden()
    c.issue.comments.remove(c)
    del ctx.fake._comments[c.id]
    return Reply(204)


# ====================================================================== reactions

def _react(ctx: Ctx, target) -> Reply:
    ctx.require_user()
    content = ctx.b("content")
    if content not in REACTIONS:
        raise validation_failed({"resource": "Reaction", "code": "invalid", "field": "content"})
    for x in target.reactions:
        if x.user is ctx.user and x.content == content:
            return Reply(200, ctx.r.reaction(x))
    x = Reaction(ctx.fake.ids.next("reaction"), ctx.user, content, ctx.now())
    target.reactions.append(x)
    return Reply(201, ctx.r.reaction(x))


def _list_reactions(ctx: Ctx, target) -> Reply:
    items = list(target.reactions)
    if ctx.q("content"):
        items = [x for x in items if x.content == ctx.q("content")]
    return ctx.page(items, ctx.r.reaction)


def _unreact(ctx: Ctx, target) -> Reply:
    try:
        rid = int(ctx.params["reaction_id"])
    except ValueError:
        raise not_found()
    for x in target.reactions:
        if x.id == rid:
            if x.user is not ctx.user and not ctx.can(target_repo(target), "admin"):
                raise ctx.forbidden()
            target.reactions.remove(x)
            return Reply(204)
    raise not_found()


def target_repo(target) -> Repo:
    return target.repo if isinstance(target, Issue) else target.issue.repo


@route("GET", R + "/issues/{issue_number}/reactions")
def list_issue_reactions(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    return _list_reactions(ctx, ctx.issue(repo))


@route("POST", R + "/issues/{issue_number}/reactions")
def create_issue_reaction(ctx: Ctx) -> Reply:
    repo = ctx.repo("read")
    return _react(ctx, ctx.issue(repo))


@route("DELETE", R + "/issues/{issue_number}/reactions/{reaction_id}")
def delete_issue_reaction(ctx: Ctx) -> Reply:
    repo = ctx.repo("read")
    return _unreact(ctx, ctx.issue(repo))


@route("GET", R + "/issues/comments/{comment_id}/reactions")
def list_comment_reactions(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    return _list_reactions(ctx, _comment(ctx, repo))


@route("POST", R + "/issues/comments/{comment_id}/reactions")
def create_comment_reaction(ctx: Ctx) -> Reply:
    repo = ctx.repo("read")
    return _react(ctx, _comment(ctx, repo))


@route("DELETE", R + "/issues/comments/{comment_id}/reactions/{reaction_id}")
def delete_comment_reaction(ctx: Ctx) -> Reply:
    repo = ctx.repo("read")
    return _unreact(ctx, _comment(ctx, repo))


# ====================================================================== labels

def _repo_label(ctx: Ctx, repo: Repo) -> Label:
    lb = repo.labels.get(ctx.params["name"].lower())
    if lb is None:
        raise not_found()
    return lb


@route("GET", R + "/labels")
def list_labels(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    items = sorted(repo.labels.values(), key=lambda lb: lb.name.lower())
    return ctx.page(items, lambda lb: ctx.r.label(repo, lb))


@route("POST", R + "/labels")
def create_label(ctx: Ctx) -> Reply:
    repo = ctx.repo("write")
    name = ctx.b("name")
    if not isinstance(name, str) or not name.strip():
        raise validation_failed({"resource": "Label", "code": "missing_field", "field": "name"})
    if name.lower() in repo.labels:
        raise validation_failed({"resource": "Label", "code": "already_exists", "field": "name"})
    color = (ctx.b("color") or "ededed").lstrip("#")
    lb = Label(ctx.fake.ids.next("label"), name, color, ctx.b("description"))
    repo.labels[name.lower()] = lb
    return Reply(201, ctx.r.label(repo, lb))


@route("GET", R + "/labels/{name}")
def get_label(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    return Reply(200, ctx.r.label(repo, _repo_label(ctx, repo)))


@route("PATCH", R + "/labels/{name}")
def update_label(ctx: Ctx) -> Reply:
    repo = ctx.repo("write")
    lb = _repo_label(ctx, repo)
    new = ctx.b("new_name")
    if new and new.lower() != lb.name.lower() and new.lower() in repo.labels:
        raise validation_failed({"resource": "Label", "code": "already_exists", "field": "name"})
    if new:
        del repo.labels[lb.name.lower()]
        lb.name = new
        repo.labels[new.lower()] = lb
    if ctx.b("color"):
        lb.color = ctx.b("color").lstrip("#")
    if isinstance(ctx.body, dict) and "description" in ctx.body:
        lb.description = ctx.body["description"]
    return Reply(200, ctx.r.label(repo, lb))


@route("DELETE", R + "/labels/{name}")
def delete_label(ctx: Ctx) -> Reply:
    repo = ctx.repo("write")
    lb = _repo_label(ctx, repo)
    del repo.labels[lb.name.lower()]
    for i in repo.issues.values():
        if lb in i.labels:
            i.labels.remove(lb)
    return Reply(204)


@route("GET", R + "/issues/{issue_number}/labels")
def list_issue_labels(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = ctx.issue(repo)
    return ctx.page(list(issue.labels), lambda lb: ctx.r.label(repo, lb))


def _issue_labels_reply(ctx: Ctx, repo: Repo, issue: Issue) -> Reply:
    issue.updated_at = ctx.now()
    return Reply(200, [ctx.r.label(repo, lb) for lb in issue.labels])


@route("POST", R + "/issues/{issue_number}/labels")
def add_issue_labels(ctx: Ctx) -> Reply:
    repo = ctx.repo("triage")
    issue = ctx.issue(repo)
    for lb in _ensure_labels(ctx, repo, _label_names(ctx.body)):
        if lb not in issue.labels:
            issue.labels.append(lb)
    return _issue_labels_reply(ctx, repo, issue)


@route("PUT", R + "/issues/{issue_number}/labels")
def set_issue_labels(ctx: Ctx) -> Reply:
    repo = ctx.repo("triage")
    issue = ctx.issue(repo)
    issue.labels = _ensure_labels(ctx, repo, _label_names(ctx.body))
    return _issue_labels_reply(ctx, repo, issue)


@route("DELETE", R + "/issues/{issue_number}/labels")
def clear_issue_labels(ctx: Ctx) -> Reply:
    repo = ctx.repo("triage")
    issue = ctx.issue(repo)
    issue.labels = []
    issue.updated_at = ctx.now()
    return Reply(204)


@route("DELETE", R + "/issues/{issue_number}/labels/{name}")
def remove_issue_label(ctx: Ctx) -> Reply:
    repo = ctx.repo("triage")
    issue = ctx.issue(repo)
    name = ctx.params["name"].lower()
    for lb in issue.labels:
        if lb.name.lower() == name:
            issue.labels.remove(lb)
            return _issue_labels_reply(ctx, repo, issue)
    raise ApiError(404, "Label does not exist")


# ====================================================================== sub-issues

def _sub_error(message: str) -> ApiError:
    return validation_failed({"resource": "Issue", "code": "custom", "field": "sub_issue_id",
                              "message": message})


def _issue_by_id(ctx: Ctx, ident: Any) -> Issue:
    if not isinstance(ident, int) or isinstance(ident, bool):
        raise validation_failed({"resource": "Issue", "code": "invalid", "field": "sub_issue_id"})
    issue = ctx.fake._issues_by_id.get(ident)
    if issue is None or issue.repo.permission_of(ctx.user) is None:
        raise ApiError(404, "The provided sub-issue does not exist")
    return issue


@route("GET", R + "/issues/{issue_number}/sub_issues")
def list_sub_issues(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    parent = ctx.issue(repo)
    return ctx.page(list(parent.sub_issues), ctx.r.issue)


@route("POST", R + "/issues/{issue_number}/sub_issues")
def add_sub_issue(ctx: Ctx) -> Reply:
    repo = ctx.repo("triage")
    parent = ctx.issue(repo)
    child = _issue_by_id(ctx, ctx.b("sub_issue_id"))
    prefix = "An error occurred while adding the sub-issue to the parent issue. "
    if child is parent:
        raise _sub_error(prefix + "Issue cannot be a sub-issue of itself")
    if parent.is_pr or child.is_pr:
        raise _sub_error(prefix + "Pull requests cannot be sub-issues or have sub-issues")
    if child.repo.owner is not repo.owner:
        raise _sub_error(prefix + "Sub-issue must belong to the same repository owner as the parent")
    if child.parent is parent:
        raise _sub_error(prefix + "Issue may not contain duplicate sub-issues")
    if child.parent is not None and not ctx.b("replace_parent", False):
        raise _sub_error(prefix + "Sub issue may only have one parent")
    anc = parent
    while anc is not None:
        if anc is child:
            raise _sub_error(prefix + "Sub issue cannot be an ancestor of its parent")
        anc = anc.parent
    if len(parent.sub_issues) >= MAX_SUB_ISSUES:
        raise _sub_error(prefix + f"Parent cannot have more than {MAX_SUB_ISSUES} sub-issues")
    if parent.depth() + 1 + child.subtree_height() >= MAX_SUB_ISSUE_DEPTH:
        raise _sub_error(prefix + f"Parent cannot have more than {MAX_SUB_ISSUE_DEPTH} "
                                  "levels of sub-issues")
    if child.parent is not None:
        child.parent.sub_issues.remove(child)
        child.parent.updated_at = ctx.now()
    child.parent = parent
    parent.sub_issues.append(child)
    now = ctx.now()
    parent.updated_at = child.updated_at = now
    return Reply(201, ctx.r.issue(parent),
                 {"Location": f"{ctx.r.issue_url(parent)}/sub_issues"})


@route("DELETE", R + "/issues/{issue_number}/sub_issue")
def remove_sub_issue(ctx: Ctx) -> Reply:
    repo = ctx.repo("triage")
    parent = ctx.issue(repo)
    ident = ctx.b("sub_issue_id")
    child = ctx.fake._issues_by_id.get(ident) if isinstance(ident, int) else None
    if child is None or child.parent is not parent:
        raise ApiError(404, "The provided sub-issue does not exist")
    parent.sub_issues.remove(child)
    child.parent = None
    now = ctx.now()
    parent.updated_at = child.updated_at = now
    return Reply(200, ctx.r.issue(parent),
                 {"Location": f"{ctx.r.issue_url(parent)}/sub_issue"})


@route("PATCH", R + "/issues/{issue_number}/sub_issues/priority")
def reprioritize_sub_issue(ctx: Ctx) -> Reply:
    repo = ctx.repo("triage")
    parent = ctx.issue(repo)
    subs = parent.sub_issues

    def find(ident: Any) -> Optional[Issue]:
        for c in subs:
            if c.id == ident:
                return c
        return None

    child = find(ctx.b("sub_issue_id"))
    if child is None:
        raise ApiError(404, "The provided sub-issue does not exist")
    after, before = ctx.b("after_id"), ctx.b("before_id")
    if (after is None) == (before is None):
        raise ApiError(422, "Validation Failed", errors=["Either after_id or before_id must be "
                                                         "specified, but not both"])
    anchor = find(after if after is not None else before)
    if anchor is None or anchor is child:
        raise ApiError(422, "Validation Failed",
                       errors=["The provided after_id or before_id is not a sub-issue of "
                               "this parent"])
    subs.remove(child)
    idx = subs.index(anchor)
    subs.insert(idx + 1 if after is not None else idx, child)
    parent.updated_at = ctx.now()
    return Reply(200, ctx.r.issue(parent))


@route("GET", R + "/issues/{issue_number}/parent")
def get_parent(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = ctx.issue(repo)
    if issue.parent is None or issue.parent.repo.permission_of(ctx.user) is None:
        raise not_found()
    return Reply(200, ctx.r.issue(issue.parent))


# ====================================================================== pulls

def _pull_json(ctx: Ctx, issue: Issue, full: bool) -> dict:
    if not full:
        return ctx.r.pull(issue, full=False)
    stats, mergeable = ctx.fake._pull_stats(issue)
    return ctx.r.pull(issue, full=True, stats=stats, mergeable=mergeable)


@route("GET", R + "/pulls")
def list_pulls(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    ctx.fake._sync_refs(repo)
    state = ctx.q("state", "open")
    items = [i for i in repo.issues.values() if i.is_pr and (state == "all" or i.state == state)]
    head = ctx.q("head")
    if head and ":" in head:  # without 'owner:' GitHub ignores the filter
        owner, _, branch = head.partition(":")
        items = [i for i in items if owner.lower() == repo.owner.login.lower()
                 and i.pull.head_ref == branch]
    if ctx.q("base"):
        items = [i for i in items if i.pull.base_ref == ctx.q("base")]
    sort = ctx.q("sort", "created")
    direction = ctx.q("direction", "desc" if sort == "created" else "asc")
    key = {"created": lambda i: (i.created_at, i.number),
           "updated": lambda i: (i.updated_at, i.number),
           "popularity": lambda i: (len(i.comments), i.number),
           "long-running": lambda i: (i.created_at, i.number)}.get(sort)
    if key is None or state not in ("open", "closed", "all"):
        raise validation_failed({"resource": "PullRequest", "field": "sort", "code": "invalid"})
    items = _sort(items, key, direction)
    return ctx.page(items, lambda i: _pull_json(ctx, i, False))


@route("POST", R + "/pulls")
def create_pull(ctx: Ctx) -> Reply:
    repo = ctx.repo("read")
    fake = ctx.fake
    head, base, title = ctx.b("head"), ctx.b("base"), ctx.b("title")
    head_owner, sep, head_ref = (head or "").rpartition(":")
    if not sep:
        head_owner, head_ref = repo.owner.login, head or ""
    # Right after a push GitHub may not know the new head yet (FakeGitHub(push_lag=...)).
    branches = fake.branches_for_pulls(repo)
    if not isinstance(base, str) or base not in branches:
        raise validation_failed({"resource": "PullRequest", "field": "base", "code": "invalid"})
    if head_owner.lower() != repo.owner.login.lower() or head_ref not in branches:
        raise validation_failed({"resource": "PullRequest", "field": "head", "code": "invalid"})
    if title is None and ctx.b("issue") is None:
        raise validation_failed({"resource": "PullRequest", "field": "title",
                                 "code": "missing_field"})
    if ctx.b("issue") is not None:
        raise ApiError(422, "Validation Failed", errors=[{
            "resource": "PullRequest", "code": "custom", "field": "issue",
            "message": "converting an issue into a pull request is not supported by the fake"}])
    _check_body(ctx.b("body"), "PullRequest")
    for i in repo.issues.values():
        if i.is_pr and i.state == "open" and i.pull.head_ref == head_ref and i.pull.base_ref == base:
            raise validation_failed({
                "resource": "PullRequest", "code": "custom",
                "message": f"A pull request already exists for {repo.owner.login}:{head_ref}."})
    head_sha, base_sha = branches[head_ref], branches[base]
    if not repo.git.commits_between(base_sha, head_sha):
        raise validation_failed({"resource": "PullRequest", "code": "custom",
                                 "message": f"No commits between {base} and {head_ref}"})
    now = ctx.now()
    issue = Issue(id=fake.ids.next("issue"), number=repo.next_number, repo=repo, user=ctx.user,
                  title=str(title), body=ctx.b("body"), created_at=now, updated_at=now)
    issue.pull = PullInfo(id=fake.ids.next("pull"), head_ref=head_ref, head_sha=head_sha,
                          base_ref=base, base_sha=base_sha, draft=bool(ctx.b("draft", False)),
                          maintainer_can_modify=bool(ctx.b("maintainer_can_modify", False)))
    repo.next_number += 1
    repo.issues[issue.number] = issue
    fake._issues_by_id[issue.id] = issue
    return Reply(201, _pull_json(ctx, issue, True),
                 {"Location": f"{fake.api_url}/repos/{repo.full_name}/pulls/{issue.number}"})


@route("GET", R + "/pulls/{pull_number}")
def get_pull(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    ctx.fake._sync_refs(repo)
    return Reply(200, _pull_json(ctx, ctx.pull(repo), True))


@route("PATCH", R + "/pulls/{pull_number}")
def update_pull(ctx: Ctx) -> Reply:
    repo = ctx.repo("read")
    ctx.fake._sync_refs(repo)
    issue = ctx.pull(repo)
    author = ctx.user is issue.user
    body = ctx.body if isinstance(ctx.body, dict) else {}
    edits_content = any(k in body for k in ("title", "body", "base", "maintainer_can_modify"))
    _check_body(body.get("body"), "PullRequest")
    if edits_content and not (author or ctx.can(repo, "write")):
        raise ctx.forbidden()
    if "state" in body and not (author or ctx.can(repo, "triage")):
        raise ctx.forbidden()
    if "base" in body and body["base"] != issue.pull.base_ref:
        if issue.state != "open":
            raise validation_failed({"resource": "PullRequest", "code": "custom", "field": "base",
                                     "message": "Cannot change the base branch of a closed "
                                                "pull request."})
        sha = repo.git.ref_sha(f"refs/heads/{body['base']}")
        if sha is None:
            raise validation_failed({"resource": "PullRequest", "field": "base", "code": "invalid"})
        issue.pull.base_ref, issue.pull.base_sha = body["base"], sha
    if body.get("title") is not None:
        issue.title = body["title"]
    if "body" in body:
        issue.body = body["body"]
    if "maintainer_can_modify" in body:
        issue.pull.maintainer_can_modify = bool(body["maintainer_can_modify"])
    if "state" in body:
        if issue.pull.merged and body["state"] == "open":
            raise validation_failed({"resource": "PullRequest", "code": "custom", "field": "state",
                                     "message": "state cannot be changed. The pull request "
                                                "has been merged."})
        _set_state(ctx, issue, body["state"], None)
    issue.updated_at = ctx.now()
    return Reply(200, _pull_json(ctx, issue, True))


@route("GET", R + "/pulls/{pull_number}/merge")
def check_merged(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = ctx.pull(repo)
    return Reply(204) if issue.pull.merged else Reply(404)


@route("PUT", R + "/pulls/{pull_number}/merge")
def merge_pull(ctx: Ctx) -> Reply:
    repo = ctx.repo("write")
    fake = ctx.fake
    fake._sync_refs(repo)
    issue = ctx.pull(repo)
    p = issue.pull
    if p.merged or issue.state != "open":
        raise ApiError(405, "Pull Request is not mergeable")
    if p.draft:
        raise ApiError(405, "Pull Request is still a draft")
    sha = ctx.b("sha")
    if sha is not None and sha != p.head_sha:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    method = ctx.b("merge_method", "merge")
    git = repo.git
    base_tip = git.ref_sha(f"refs/heads/{p.base_ref}")
    head_tip = p.head_sha
    user = ctx.user
    author = Ident(user.login, user.commit_email)
    committer = Ident("GitHub", "noreply@github.com")
    stats = fake._pull_stats(issue)[0]
    title, message = ctx.b("commit_title"), ctx.b("commit_message")
    if method == "rebase":
        new = git.rebase_onto(base_tip, head_tip, committer)
        if new is None:
            raise ApiError(405, "This branch can't be rebased")
    else:
        tree = git.merge_tree(base_tip, head_tip)
        if tree is None:
            raise ApiError(405, "Pull Request is not mergeable")
        if method == "squash":
            commits = git.commits_between(base_tip, head_tip)
            default_msg = "\n\n".join("* " + git.commit_info(c).message for c in commits)
            text = f"{title or f'{issue.title} (#{issue.number})'}\n\n{message if message is not None else default_msg}"
            new = git.commit_tree(tree, [base_tip], text.rstrip() + "\n", author, committer)
        else:
            text = (f"{title or f'Merge pull request #{issue.number} from {repo.owner.login}/{p.head_ref}'}"
                    f"\n\n{message if message is not None else issue.title}")
            new = git.commit_tree(tree, [base_tip, head_tip], text.rstrip() + "\n", author,
                                  committer)
    if not git.update_ref(f"refs/heads/{p.base_ref}", new, base_tip):
        raise ApiError(405, "Base branch was modified. Review and try the merge again.")
    now = ctx.now()
    p.merged, p.merged_at, p.merged_by, p.merge_commit_sha = True, now, user, new
    p.base_sha = base_tip
    p.frozen_stats = stats
    issue.state, issue.closed_at, issue.updated_at = "closed", now, now
    issue.closed_by = user
    repo.pushed_at = now
    fake._sync_refs(repo, actor=user)
    return Reply(200, {"sha": new, "merged": True, "message": "Pull Request successfully merged"})


@route("GET", R + "/pulls/{pull_number}/commits")
def list_pull_commits(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    ctx.fake._sync_refs(repo)
    issue = ctx.pull(repo)
    p = issue.pull
    shas = repo.git.commits_between(p.base_sha, p.head_sha)
    by_email = ctx.fake._users_by_email()
    return ctx.page(shas[:250], lambda s: ctx.r.commit(repo, repo.git, s, by_email))


# ====================================================================== pull request reviews

def _unprocessable(message: str) -> ApiError:
    """GitHub's review 422s: validation-error-simple with the reason as a bare string."""
    return ApiError(422, "Unprocessable Entity", errors=[message])


def _invalid_request(detail: str) -> ApiError:
    """GitHub's answer to a body that breaks the operation's JSON schema."""
    return ApiError(422, f"Invalid request.\n\n{detail}")


@route("GET", R + "/pulls/{pull_number}/reviews")
def list_reviews(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = ctx.pull(repo)
    # chronological; a PENDING review is visible to its author only
    items = [rv for rv in issue.pull.reviews if rv.state != "PENDING" or rv.user is ctx.user]
    return ctx.page(items, ctx.r.review)


@route("POST", R + "/pulls/{pull_number}/reviews")
def create_review(ctx: Ctx) -> Reply:
    repo = ctx.repo("read")
    ctx.fake._sync_refs(repo)
    issue = ctx.pull(repo)
    p = issue.pull
    event, body, commit_id = ctx.b("event"), ctx.b("body"), ctx.b("commit_id")
    if event is not None and event not in REVIEW_EVENTS:
        raise _invalid_request(f"For 'properties/event', {_json_repr(event)} is not a member of "
                               f"the enum.")
    if isinstance(ctx.body, dict) and "body" in ctx.body and not isinstance(body, str):
        raise _invalid_request(f"For 'properties/body', {_json_repr(body)} is not a string.")
    if commit_id is not None and not isinstance(commit_id, str):
        raise _invalid_request(f"For 'properties/commit_id', {_json_repr(commit_id)} is not a "
                               f"string.")
    if ctx.b("comments"):
        raise _unprocessable("review comments (comments[]) are not supported by the fake")
    if commit_id is None:
        commit_id = p.head_sha
    elif repo.git.object_type(commit_id) != "commit":
        # wording is the fake's; GitHub refuses a commit_id it cannot find
        raise _unprocessable(f"No commit found for SHA: {commit_id}")
    user = ctx.user
    if any(rv.state == "PENDING" and rv.user is user for rv in p.reviews):
        raise _unprocessable("User can only have one pending review per pull request")
    if user is issue.user and event == "APPROVE":
        raise _unprocessable("Can not approve your own pull request")
    if user is issue.user and event == "REQUEST_CHANGES":
        raise _unprocessable("Can not request changes on your own pull request")
    text = body or ""
    if event == "REQUEST_CHANGES" and not text.strip():
        raise _unprocessable("You need to leave a comment indicating the requested changes.")
    if event == "COMMENT" and not text.strip():
        # GitHub requires a body for COMMENT too; this wording is the fake's
        raise _unprocessable("You need to leave a comment.")
    now = ctx.now()
    state = REVIEW_EVENTS[event] if event is not None else "PENDING"
    rv = Review(ctx.fake.ids.next("review"), issue, user, text, state, commit_id,
                None if state == "PENDING" else now)
    p.reviews.append(rv)
    if state != "PENDING":  # submitting a review is activity on the pull request
        issue.updated_at = now
    return Reply(200, ctx.r.review(rv))


@route("PUT", R + "/pulls/{pull_number}/reviews/{review_id}/dismissals")
def dismiss_review(ctx: Ctx) -> Reply:
    repo = ctx.repo("write")
    issue = ctx.pull(repo)
    rid = ctx.int_param("review_id")
    rv = next((x for x in issue.pull.reviews if x.id == rid), None)
    if rv is None or (rv.state == "PENDING" and rv.user is not ctx.user):
        raise not_found()
    message = ctx.b("message")
    if not isinstance(message, str):
        raise _invalid_request('"message" wasn\'t supplied.')
    if rv.state not in ("APPROVED", "CHANGES_REQUESTED"):
        what = {"PENDING": "pending", "COMMENTED": "commented", "DISMISSED": "dismissed"}[rv.state]
        raise ApiError(422, "Validation Failed",
                       errors=[f"Can not dismiss a {what} pull request review"])
    rv.state, rv.dismissal_message = "DISMISSED", message
    issue.updated_at = ctx.now()
    return Reply(200, ctx.r.review(rv))


def _json_repr(value: Any) -> str:
    """A JSON value as GitHub's schema errors quote it (Ruby spells null 'nil')."""
    return "nil" if value is None else json.dumps(value)


# ====================================================================== git refs, branches

def _ref_rows(repo: Repo, full: str) -> list:
    return [row for row in repo.git.refs("refs/") if row[0] == full]


@route("GET", R + "/git/ref/{ref}")
def get_ref(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    full = "refs/" + ctx.params["ref"]
    rows = _ref_rows(repo, full)
    if not rows:
        raise not_found()
    name, sha, typ = rows[0]
    return Reply(200, ctx.r.git_ref(repo, name, sha, typ))


@route("GET", R + "/git/matching-refs/{ref}")
def matching_refs(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    prefix = "refs/" + ctx.params["ref"]
    rows = [row for row in repo.git.refs("refs/") if row[0].startswith(prefix)]
    return Reply(200, [ctx.r.git_ref(repo, n, s, t) for n, s, t in rows])


def _check_sha(repo: Repo, sha: Any) -> str:
    if not isinstance(sha, str) or len(sha) != 40 or repo.git.object_type(sha) is None:
        raise validation_failed(message="Object does not exist")
    return sha


@route("POST", R + "/git/refs")
def create_ref(ctx: Ctx) -> Reply:
    repo = ctx.repo("write")
    ref, sha = ctx.b("ref"), ctx.b("sha")
    if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
        raise validation_failed(message="Reference name must start with 'refs/' and have at "
                                        "least two slashes.")
    _check_sha(repo, sha)
    if not repo.git.update_ref(ref, sha, ZERO):
        raise validation_failed(message="Reference already exists")
    ctx.fake._after_ref_change(repo, ctx.user)
    typ = repo.git.object_type(sha) or "commit"
    return Reply(201, ctx.r.git_ref(repo, ref, sha, typ),
                 {"Location": f"{ctx.fake.api_url}/repos/{repo.full_name}/git/{ref}"})


@route("PATCH", R + "/git/refs/{ref}")
def update_ref(ctx: Ctx) -> Reply:
    repo = ctx.repo("write")
    full = "refs/" + ctx.params["ref"]
    old = repo.git.ref_sha(full)
    if old is None:
        raise validation_failed(message="Reference does not exist")
    sha = _check_sha(repo, ctx.b("sha"))
    if not ctx.b("force", False) and not repo.git.is_ancestor(old, sha):
        raise validation_failed(message="Update is not a fast forward")
    if not repo.git.update_ref(full, sha, old):
        raise validation_failed(message="Reference cannot be updated")
    ctx.fake._after_ref_change(repo, ctx.user)
    return Reply(200, ctx.r.git_ref(repo, full, sha, repo.git.object_type(sha) or "commit"))


@route("DELETE", R + "/git/refs/{ref}")
def delete_ref(ctx: Ctx) -> Reply:
    repo = ctx.repo("write")
    full = "refs/" + ctx.params["ref"]
    old = repo.git.ref_sha(full)
    if old is None:
        raise validation_failed(message="Reference does not exist")
    if full == f"refs/heads/{repo.default_branch}":
        raise validation_failed(message="Cannot delete the default branch")
    if not repo.git.delete_ref(full, old):
        raise validation_failed(message="Reference cannot be deleted")
    ctx.fake._after_ref_change(repo, ctx.user)
    return Reply(204)


@route("GET", R + "/branches")
def list_branches(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    items = sorted(repo.git.branches().items())
    api = f"{ctx.fake.api_url}/repos/{repo.full_name}"
    return ctx.page(items, lambda kv: {
        "name": kv[0], "commit": {"sha": kv[1], "url": f"{api}/commits/{kv[1]}"},
        "protected": False})


@route("GET", R + "/branches/{branch}")
def get_branch(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    name = ctx.params["branch"]
    sha = repo.git.ref_sha(f"refs/heads/{name}")
    if sha is None:
        raise ApiError(404, "Branch not found")
    api = f"{ctx.fake.api_url}/repos/{repo.full_name}"
    return Reply(200, {
        "name": name,
        "commit": ctx.r.commit(repo, repo.git, sha, ctx.fake._users_by_email()),
        "_links": {"self": f"{api}/branches/{name}",
                   "html": f"{ctx.fake.api_url}/{repo.full_name}/tree/{name}"},
        "protected": False,
        "protection": {"enabled": False,
                       "required_status_checks": {"enforcement_level": "off", "contexts": [],
                                                  "checks": []}},
        "protection_url": f"{api}/branches/{name}/protection",
    })


from . import actions, apps  # noqa: E402 - their routes join ROUTES as they are imported

ROUTE_MODULES = (actions, apps)
