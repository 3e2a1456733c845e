"""github: the only module that talks to the GitHub REST API (through PyGithub)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from bot.adapters.etags import EtagCache, request_key
from bot.adapters.github_limits import Limits, refusal, wait_max
from bot.errors import DriftError
from bot.github.markers import pr_marker
from bot.model import IssueState, PullRequestState

DEFAULT_API = "https://api.github.com"


class GitHubError(DriftError):
    """GitHub refused or failed a call; the message names the call. `status` is the answer's
    (None: no answer); `answered` is False when what came back was not GitHub's JSON."""

    def __init__(self, message: str, status: int | None = None, data: Any = None, answered: bool = True):
        super().__init__(message)
        self.status, self.data, self.answered = status, data if isinstance(data, dict) else {}, answered


class BudgetExhausted(GitHubError):
    """The API budget fell under the floor, or GitHub's rate limits asked for a longer wait than
    the run may make: no more writes in this run, and the next one completes it."""


PUSH_SETTLE_WAIT = 3.0  # seconds before a create refused right after its own push is tried once more


def pause(seconds: float) -> None:
    """Every wait of the adapter goes through here (tests watch it, and skip the sleeping)."""
    import time

    time.sleep(seconds)


def _branch_not_seen(exc: Exception) -> bool:
    """A pull request refused because GitHub did not see the push yet: invalid `head`, or no
    commits between base and head (mislav/hub#1294: it passes after a moment)."""
    data = getattr(exc, "data", None) or {}
    errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
    return getattr(exc, "status", None) == 422 and (
        any(e.get("field") == "head" and e.get("code") == "invalid" for e in errors)
        or any(str(e.get("message") or "").startswith("No commits between") for e in errors))


def _pull_state(data: dict[str, Any]) -> PullRequestState:
    merged = bool(data.get("merged_at"))
    return PullRequestState(int(data["number"]), str(data.get("state") or "open"), merged,
                            str((data.get("head") or {}).get("ref") or ""), str((data.get("base") or {}).get("ref") or ""),
                            str(data.get("title") or ""), str((data.get("user") or {}).get("login") or ""),
                            pr_marker(data.get("body")), data.get("merge_commit_sha") if merged else None,
                            data.get("body") or "", str(data.get("updated_at") or ""))


def _loopback(api_url: str) -> bool:
    return urlparse(api_url).hostname in {"127.0.0.1", "localhost", "::1"}


def failure_line(what: str, status: int | None, data: Any, content_type: str = "") -> str:
    """One line for an answer that is an error, or no JSON at all: the call, the status, GitHub's
    message and details; never a page's text."""
    if not isinstance(data, dict) or (set(data) == {"data"} and isinstance(data["data"], str)):
        kind = content_type.split(";")[0].strip() or "no JSON"
        page = "an HTML page" if "html" in kind else f"{kind}"
        where = " (a proxy or a captive portal between the bot and GitHub?)" if status is not None and status < 400 else ""
        return f"{what}: GitHub answered {status} with {page} instead of JSON{where}"
    message = data.get("message") or "no message"
    details = "; ".join(str(e.get("message", e)) for e in data.get("errors") or [] if isinstance(e, dict))
    hint = " (check GITHUB_TOKEN)" if status == 401 else ""
    return f"{what}: GitHub answered {status}: {message}{': ' + details if details else ''}{hint}"


def describe_failure(exc: Exception, what: str) -> GitHubError:
    from github import GithubException

    if isinstance(exc, GithubException):
        headers = {str(k).lower(): v for k, v in (exc.headers or {}).items()}
        return GitHubError(failure_line(what, exc.status, exc.data, str(headers.get("content-type") or "")), exc.status,
                           exc.data)
    return GitHubError(f"{what}: {type(exc).__name__}: {exc}", None, None, answered=False)


# The pull requests this process created, updated or closed, in order: `number`, `url`,
# `operation` and `branch` each, for the composite action's outputs (DRIFT_RESULT_FILE).
PULLS_WRITTEN: list[dict[str, Any]] = []


class GitHub:
    """The repository's pull requests, seen and changed with the fewest calls.

    Against GitHub, requests are spaced as GitHub asks of bots (PyGithub's defaults); against
    a server on this machine (the test fake) they are not. Every request goes through `_send`,
    which keeps to GitHub's rate limits (`github_limits`: wait as asked, or stop writing for the
    rest of the run) and turns whatever is not GitHub's JSON into one line. Only idempotent
    methods are retried by the transport on 5xx: a create whose answer was lost is looked up
    again instead of re-sent (`_create`).
    """

    def __init__(self, token: str, repository: str, api_url: str | None = None, *, floor: int | None = None,
                 sleep: Any = None):
        import os

        from github import Auth, Github
        from urllib3.util.retry import Retry

        api_url = api_url or DEFAULT_API
        self.floor = int(os.environ.get("DRIFT_RATE_FLOOR", "50")) if floor is None else floor
        self.sleep = sleep or (lambda seconds: pause(seconds))
        self.limits = Limits(lambda seconds: self.sleep(seconds), wait_max())
        spacing: dict[str, float] = {}
        if _loopback(api_url):
            spacing = {"seconds_between_requests": 0, "seconds_between_writes": 0}
        # 5xx and lost connections of reads and idempotent writes are retried here; rate limits
        # (403/429) are `_send`'s, whatever the method; POSTs are retried only by `_create`.
        retry = Retry(total=3, allowed_methods={"GET", "HEAD", "PUT", "DELETE", "PATCH"}, backoff_factor=0.5,
                      status_forcelist=(500, 502, 503, 504), raise_on_status=False, respect_retry_after_header=False)
        # lazy: objects are made without a read; a write needs none and a no-op run stays cheap.
        self.client = Github(auth=Auth.Token(token), base_url=api_url, per_page=100, timeout=20, retry=retry,
                             lazy=True, **spacing)
        self.repository = repository
        self.repo = self.client.get_repo(repository)
        self.cache = EtagCache.for_repository(api_url, repository, token)
        self.not_modified = 0  # reads GitHub answered from the cache (304): they cost no budget

    def _send(self, what: str, method: str, path: str, *, params: dict[str, Any] | None = None,
              body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], Any]:
        """One request under GitHub's limits: (status, headers, JSON) of a 2xx or 304 answer;
        anything else raises one GitHubError line naming `what`."""
        import json
        import time

        write = method != "GET"
        refusals = 0
        while True:
            stop = self.limits.before(write)
            if stop:
                raise BudgetExhausted(f"{what}: {stop}")
            try:
                status, got, text = self.repo.requester.requestJson(method, f"{self.repo.url}{path}", params, headers, body)
            except Exception as exc:  # noqa: BLE001 - no answer: refused, reset, timed out, retries spent
                raise GitHubError(f"{what}: {type(exc).__name__}: {exc}", None, None, answered=False) from None
            finally:
                self.limits.sent(write)
            got = {str(k).lower(): v for k, v in (got or {}).items()}
            content_type = str(got.get("content-type") or "")
            try:
                data, answered = (json.loads(text) if text else None), "json" in content_type or not text
            except ValueError:
                data, answered = None, False
            if answered and status < 400:
                return status, got, data
            limit = refusal(status, got, data.get("message") if isinstance(data, dict) else None, time.time())
            if limit is None:
                raise GitHubError(failure_line(what, status, data if answered else None, content_type), status, data,
                                  answered)
            refusals += 1
            stop = self.limits.refused(what, limit, refusals)
            if stop:
                raise BudgetExhausted(f"{what}: {stop}", status, data)

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            value = fn(*args, **kwargs)
        except DriftError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line naming the call
            raise describe_failure(exc, what) from None
        self._check_budget()
        return value

    def _check_budget(self) -> None:
        remaining, _ = self.repo.requester.rate_limiting
        if 0 <= remaining < self.floor:
            import datetime

            reset = self.repo.requester.rate_limiting_resettime
            when = datetime.datetime.fromtimestamp(reset, datetime.timezone.utc).strftime("%H:%M UTC") if reset else "the reset"
            raise BudgetExhausted(f"GitHub's API budget is down to {remaining} requests (floor {self.floor}); "
                                  f"stopping here: run again after {when} and it completes the work")

    def _create(self, what: str, make: Any, find: Any, *, after_push: bool = False) -> Any:
        """A call that creates something, made at most once in effect.

        Rate limits are waited out in `_send` (GitHub did nothing). After any other failure, or an
        answer that is not GitHub's, the object is looked up first; it is made again only when it
        is not there, after a 5xx or no answer (1 s, then 2 s later), or once, `PUSH_SETTLE_WAIT`
        later, when `after_push` and GitHub did not see the push yet.
        """
        last: GitHubError | None = None
        settled = False
        for attempt in range(3):
            try:
                value = self._call(what, make)
                return value
            except BudgetExhausted:
                raise
            except GitHubError as exc:
                last = exc
            found = find()
            if found is not None:
                return found
            if after_push and not settled and _branch_not_seen(last):
                settled = True
                self.limits.wait(PUSH_SETTLE_WAIT)
                continue
            if last.status is not None and last.status < 500 and last.answered:
                break  # GitHub refused it for a reason: trying again gives the same answer
            self.limits.wait(min(2.0 ** attempt, 8.0))
        assert last is not None
        raise last

    def bot_pulls(self, prefix: str, branches: Iterable[str] = (), limit: int = 100) -> tuple[PullRequestState, ...]:
        """Open and recently closed pull requests on the bot's branches: one page, newest first.

        A repository with more pull requests than one page holds forgets older ones; so each of
        `branches` (those the run is about to propose) missing from the page is looked up by
        head, and a pull request a human closed long ago is still respected.
        """
        data = self._get(f"list pull requests of {self.repository}", "/pulls",
                         {"state": "all", "sort": "updated", "direction": "desc", "per_page": limit, "page": 1})
        pulls = [_pull_state(d) for d in data if str((d.get("head") or {}).get("ref") or "").startswith(prefix)]
        if len(data) >= limit:
            seen = {p.head for p in pulls}
            owner = self.repository.split("/")[0]
            for branch in sorted(set(branches) - seen):
                older = self._get(f"look up the pull requests of {branch}", "/pulls",
                                  {"state": "all", "head": f"{owner}:{branch}", "per_page": limit, "page": 1})
                pulls += [_pull_state(d) for d in older]
        return tuple(pulls)

    def find_open_pull(self, branch: str) -> PullRequestState | None:
        owner = self.repository.split("/")[0]
        pulls = self._get(f"look up the pull request of {branch}", "/pulls",
                          {"state": "open", "head": f"{owner}:{branch}", "per_page": 100, "page": 1})
        return _pull_state(pulls[0]) if pulls else None

    def create_pull(self, branch: str, base: str, title: str, body: str) -> PullRequestState:
        what = f"create the pull request for {branch}"
        fields = {"title": title, "body": body, "head": branch, "base": base, "maintainer_can_modify": True}
        # Made right after its branch was pushed: GitHub may not have seen the push yet.
        pull = self._create(what, lambda: _pull_state(self._send(what, "POST", "/pulls", body=fields)[2]),
                            lambda: self.find_open_pull(branch), after_push=True)
        self._wrote(pull.number, "created", branch)
        return pull

    def _wrote(self, number: int, operation: str, branch: str) -> None:
        import os

        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        PULLS_WRITTEN.append({"number": number, "url": f"{server}/{self.repository}/pull/{number}",
                              "operation": operation, "branch": branch})

    def reviews(self, number: int) -> list[tuple[str, str]]:
        """(reviewer, state) of every review of a pull request, oldest first."""
        data = self._pages(f"list the reviews of pull request #{number}", f"/pulls/{number}/reviews")
        return [(str((d.get("user") or {}).get("login") or ""), str(d.get("state") or "")) for d in data]

    def update_pull(self, number: int, title: str, body: str) -> PullRequestState:
        data = self._request(f"update pull request #{number}", "PATCH", f"/pulls/{number}", {"title": title, "body": body})
        pull = _pull_state(data)  # the edit's answer holds the branch and GitHub's new `updated_at`: no read
        self._wrote(number, "updated", pull.head)
        return pull

    def close_pull(self, number: int, comment: str, body: str | None = None) -> PullRequestState:
        self._request(f"comment on pull request #{number}", "POST", f"/issues/{number}/comments", {"body": comment})
        fields: dict[str, Any] = {"state": "closed"}
        if body is not None:
            fields["body"] = body
        pull = _pull_state(self._request(f"close pull request #{number}", "PATCH", f"/pulls/{number}", fields))
        self._wrote(number, "closed", pull.head)
        return pull

    # --- issues, comments and sub-issues (the tracker) ---------------------------------

    def _get(self, what: str, path: str, params: dict[str, Any] | None = None) -> Any:
        """A read made conditional on the answer kept from an earlier run, when there is one."""
        key = request_key(f"{self.repo.url}{path}", params)
        etag = self.cache.etag(key)

        def call() -> Any:
            status, headers, data = self._send(what, "GET", path, params=params,
                                               headers={"If-None-Match": etag} if etag else None)
            if status == 304 and etag is not None:  # GitHub's answer has not changed
                self.not_modified += 1
                return self.cache.answer(key)
            self.cache.store(key, headers.get("etag"), data)
            return data

        return self._call(what, call)

    def _request(self, what: str, method: str, path: str, body: dict[str, Any] | None = None,
                 params: dict[str, Any] | None = None) -> Any:
        if method == "GET" and body is None:
            return self._get(what, path, params)
        return self._call(what, lambda: self._send(what, method, path, params=params, body=body)[2])

    def _pages(self, what: str, path: str, params: dict[str, Any] | None = None, limit: int = 1000) -> list[Any]:
        out: list[Any] = []
        page = 1
        while len(out) < limit:
            data = self._request(what, "GET", path, params={**(params or {}), "per_page": 100, "page": page})
            out += data
            if len(data) < 100:
                return out
            page += 1
        return out

    @staticmethod
    def _issue_state(data: dict[str, Any]) -> IssueState:
        return IssueState(data["number"], data["id"], data.get("title") or "", data.get("state") or "open",
                          data.get("body") or "", data.get("state_reason"))

    def issue(self, number: int) -> IssueState:
        return self._issue_state(self._request(f"read issue #{number}", "GET", f"/issues/{number}"))

    def issues_labelled(self, label: str) -> list[IssueState]:
        data = self._pages(f"list issues labelled {label}", "/issues", {"labels": label, "state": "all"})
        return [self._issue_state(d) for d in data if "pull_request" not in d]

    def create_issue(self, title: str, body: str, labels: list[str], marker: str) -> IssueState:
        what = f"create issue {title!r}"

        def make() -> IssueState:
            return self._issue_state(self._send(what, "POST", "/issues", body={"title": title, "body": body,
                                                                              "labels": labels})[2])

        def find() -> IssueState | None:
            return next((i for i in self.issues_labelled(labels[0]) if marker in i.body), None) if labels else None

        return self._create(what, make, find)

    def close_issue(self, number: int, comment: str, reason: str = "completed") -> None:
        """Say why, then close: the comment is there before anyone is notified of the close."""
        self._request(f"comment on #{number}", "POST", f"/issues/{number}/comments", {"body": comment})
        self._request(f"close #{number}", "PATCH", f"/issues/{number}", {"state": "closed", "state_reason": reason})

    def edit_issue_body(self, number: int, body: str) -> None:
        self._request(f"update issue #{number}", "PATCH", f"/issues/{number}", {"body": body})

    def sub_issues(self, number: int) -> list[IssueState]:
        return [self._issue_state(d) for d in self._pages(f"list the sub-issues of #{number}", f"/issues/{number}/sub_issues")]

    def add_sub_issue(self, parent: int, child_id: int, replace_parent: bool = False) -> None:
        body: dict[str, Any] = {"sub_issue_id": child_id}
        if replace_parent:
            body["replace_parent"] = True

        def linked() -> bool | None:
            return True if any(i.id == child_id for i in self.sub_issues(parent)) else None

        what = f"make issue id {child_id} a sub-issue of #{parent}"
        self._create(what, lambda: self._send(what, "POST", f"/issues/{parent}/sub_issues", body=body), linked)

    def move_sub_issue(self, parent: int, child_id: int, *, after_id: int | None = None, before_id: int | None = None) -> None:
        body: dict[str, Any] = {"sub_issue_id": child_id}
        body.update({"after_id": after_id} if after_id is not None else {"before_id": before_id})
        self._request(f"reorder the sub-issues of #{parent}", "PATCH", f"/issues/{parent}/sub_issues/priority", body)

    def post_comment(self, number: int, body: str, marker: str) -> int:
        what = f"comment on #{number}"
        return self._create(what, lambda: int(self._send(what, "POST", f"/issues/{number}/comments", body={"body": body})[2]["id"]),
                            lambda: (found[0] if (found := self.find_comment(number, marker)) else None))

    def find_comment(self, number: int, marker: str) -> tuple[int, str] | None:
        """(id, body) of the first comment of an issue that carries `marker`."""
        for data in self._pages(f"list the comments of #{number}", f"/issues/{number}/comments"):
            if marker in (data.get("body") or ""):
                return int(data["id"]), str(data.get("body") or "")
        return None

    def edit_comment(self, comment_id: int, body: str) -> None:
        self._request(f"update comment {comment_id}", "PATCH", f"/issues/comments/{comment_id}", {"body": body})

    # --- the /drift command ----------------------------------------------------------

    def workflow_run_status(self, run_id: int) -> str | None:
        """`queued`, `in_progress`, `completed`… of one of the repository's workflow runs; None
        when GitHub does not say (unknown run, no access): nobody's lock is judged on a guess."""
        try:
            data = self._request(f"read workflow run {run_id}", "GET", f"/actions/runs/{run_id}")
        except GitHubError:
            return None
        return str(data.get("status") or "") or None if isinstance(data, dict) else None

    def permission(self, login: str) -> tuple[str, str]:
        """(permission, role_name) of a user on the repository, as GitHub reports them; a user
        GitHub does not know here (404: a deleted account, an outside collaborator's token) has
        none."""
        from urllib.parse import quote

        try:
            data = self._request(f"look up {login}'s permission", "GET", f"/collaborators/{quote(login, safe='')}/permission")
        except GitHubError as exc:
            if exc.status == 404 and exc.answered:
                return "none", "none"
            raise
        return str(data.get("permission") or "none"), str(data.get("role_name") or data.get("permission") or "none")

    def react(self, comment_id: int, content: str) -> None:
        self._request(f"react to comment {comment_id}", "POST", f"/issues/comments/{comment_id}/reactions", {"content": content})
