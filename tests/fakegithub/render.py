"""JSON shapes of GitHub's REST answers, built from the fake's state.

Only fields the OpenAPI description documents are emitted (the contract
check rejects anything else), with the URL templates GitHub uses.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import quote

from .gitstore import BareRepo
from .state import (LEVEL, REACTIONS, Comment, Issue, Label, Reaction, Repo, Review, User,
                    WorkflowRun, iso, node_id)


class Renderer:
    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")  # API root
        self.web = self.base               # html_url root (same host in the fake)

    # -- users -------------------------------------------------------------
    def user(self, u: Optional[User]) -> Optional[dict]:
        if u is None:
            return None
        api = f"{self.base}/users/{quote(u.login)}"
        html = (f"{self.web}/apps/{quote(u.login[:-5])}" if u.type == "Bot" and u.login.endswith("[bot]")
                else f"{self.web}/{quote(u.login)}")
        return {
            "login": u.login,
            "id": u.id,
            "node_id": u.node_id,
            "avatar_url": f"{self.web}/avatars/u/{u.id}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": html,
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": u.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def full_user(self, u: User, private: bool, public_repos: int, owned_private: int) -> dict:
        d = self.user(u)
        d.update({
            "name": u.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": u.email,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": public_repos,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": iso(u.created_at),
            "updated_at": iso(u.created_at),
        })
        if private:
            d.update({
                "user_view_type": "private",
                "notification_email": u.email,
                "private_gists": 0,
                "total_private_repos": owned_private,
                "owned_private_repos": owned_private,
                "disk_usage": 0,
                "collaborators": 0,
                "two_factor_authentication": False,
                "plan": {"name": "free", "space": 976562499, "collaborators": 0,
                         "private_repos": 10000},
            })
        return d

    # -- repositories --------------------------------------------------------
    def repo_urls(self, r: Repo) -> dict:
        u = f"{self.base}/repos/{r.full_name}"
        return {
            "url": u,
            "archive_url": f"{u}/{{archive_format}}{{/ref}}",
            "assignees_url": f"{u}/assignees{{/user}}",
            "blobs_url": f"{u}/git/blobs{{/sha}}",
            "branches_url": f"{u}/branches{{/branch}}",
            "collaborators_url": f"{u}/collaborators{{/collaborator}}",
            "comments_url": f"{u}/comments{{/number}}",
            "commits_url": f"{u}/commits{{/sha}}",
            "compare_url": f"{u}/compare/{{base}}...{{head}}",
            "contents_url": f"{u}/contents/{{+path}}",
            "contributors_url": f"{u}/contributors",
            "deployments_url": f"{u}/deployments",
            "downloads_url": f"{u}/downloads",
            "events_url": f"{u}/events",
            "forks_url": f"{u}/forks",
            "git_commits_url": f"{u}/git/commits{{/sha}}",
            "git_refs_url": f"{u}/git/refs{{/sha}}",
            "git_tags_url": f"{u}/git/tags{{/sha}}",
            "hooks_url": f"{u}/hooks",
            "issue_comment_url": f"{u}/issues/comments{{/number}}",
            "issue_events_url": f"{u}/issues/events{{/number}}",
            "issues_url": f"{u}/issues{{/number}}",
            "keys_url": f"{u}/keys{{/key_id}}",
            "labels_url": f"{u}/labels{{/name}}",
            "languages_url": f"{u}/languages",
            "merges_url": f"{u}/merges",
            "milestones_url": f"{u}/milestones{{/number}}",
            "notifications_url": f"{u}/notifications{{?since,all,participating}}",
            "pulls_url": f"{u}/pulls{{/number}}",
            "releases_url": f"{u}/releases{{/id}}",
            "stargazers_url": f"{u}/stargazers",
            "statuses_url": f"{u}/statuses/{{sha}}",
            "subscribers_url": f"{u}/subscribers",
            "subscription_url": f"{u}/subscription",
            "tags_url": f"{u}/tags",
            "teams_url": f"{u}/teams",
            "trees_url": f"{u}/git/trees{{/sha}}",
        }

    def minimal_repository(self, r: Repo) -> dict:
        """The ``minimal-repository`` schema as a workflow run carries it: its required fields."""
        d = {
            "id": r.id,
            "node_id": r.node_id,
            "name": r.name,
            "full_name": r.full_name,
            "private": r.private,
            "owner": self.user(r.owner),
            "html_url": f"{self.web}/{r.full_name}",
            "description": r.description,
            "fork": False,
        }
        d.update(self.repo_urls(r))
        return d

    def repository(self, r: Repo) -> dict:
        """The ``repository`` schema (used inside pull requests)."""
        host = self.web.split("://", 1)[1]
        open_issues = sum(1 for i in r.issues.values() if i.state == "open")
        d = self.minimal_repository(r)
        d.update({
            "git_url": f"git://{host}/{r.full_name}.git",
            "ssh_url": f"git@{host.split(':')[0]}:{r.full_name}.git",
            "clone_url": f"{self.web}/{r.full_name}.git",
            "svn_url": f"{self.web}/{r.full_name}",
            "mirror_url": None,
            "homepage": None,
            "language": None,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "size": 0,
            "default_branch": r.default_branch,
            "open_issues_count": open_issues,
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if r.private else "public",
            "pushed_at": iso(r.pushed_at),
            "created_at": iso(r.created_at),
            "updated_at": iso(r.updated_at),
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "license": None,
            "forks": 0,
            "open_issues": open_issues,
            "watchers": 0,
        })
        return d

    def full_repository(self, r: Repo, viewer: Optional[User]) -> dict:
        d = self.repository(r)
        perm = r.permission_of(viewer) if viewer is not None else None
        lvl = LEVEL.get(perm or "", 0)
        if viewer is not None:
            d["permissions"] = {"admin": lvl >= 5, "maintain": lvl >= 4, "push": lvl >= 3,
                                "triage": lvl >= 2, "pull": lvl >= 1}
        d.update({
            "allow_rebase_merge": True,
            "allow_squash_merge": True,
            "allow_merge_commit": True,
            "allow_auto_merge": False,
            "allow_update_branch": False,
            "delete_branch_on_merge": False,
            "use_squash_pr_title_as_default": False,
            "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
            "squash_merge_commit_message": "COMMIT_MESSAGES",
            "merge_commit_title": "MERGE_MESSAGE",
            "merge_commit_message": "PR_TITLE",
            "network_count": 0,
            "subscribers_count": 0,
        })
        if r.owner.type == "Organization":
            d["organization"] = self.user(r.owner)
        return d

    # -- labels, reactions ---------------------------------------------------
    def label(self, r: Repo, lb: Label, *, description_not_null: bool = False) -> dict:
        desc = lb.description
        if description_not_null and desc is None:
            # pull-request-simple documents labels[].description as non-nullable
            desc = ""
        return {
            "id": lb.id,
            "node_id": lb.node_id,
            "url": f"{self.base}/repos/{r.full_name}/labels/{quote(lb.name)}",
            "name": lb.name,
            "color": lb.color,
            "default": lb.default,
            "description": desc,
        }

    def reaction(self, x: Reaction) -> dict:
        return {"id": x.id, "node_id": x.node_id, "user": self.user(x.user),
                "content": x.content, "created_at": iso(x.created_at)}

    def rollup(self, url: str, reactions: list[Reaction]) -> dict:
        d = {"url": url, "total_count": len(reactions)}
        for c in REACTIONS:
            d[c] = sum(1 for x in reactions if x.content == c)
        return d

    # -- issues --------------------------------------------------------------
    def issue_url(self, i: Issue) -> str:
        return f"{self.base}/repos/{i.repo.full_name}/issues/{i.number}"

    def html_issue_url(self, i: Issue) -> str:
        kind = "pull" if i.is_pr else "issues"
        return f"{self.web}/{i.repo.full_name}/{kind}/{i.number}"

    def issue(self, i: Issue) -> dict:
        r = i.repo
        url = self.issue_url(i)
        done = sum(1 for c in i.sub_issues if c.state == "closed")
        total = len(i.sub_issues)
        d = {
            "id": i.id,
            "node_id": i.node_id,
            "url": url,
            "repository_url": f"{self.base}/repos/{r.full_name}",
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": self.html_issue_url(i),
            "number": i.number,
            "state": i.state,
            "state_reason": i.state_reason,
            "title": i.title,
            "body": i.body,
            "user": self.user(i.user),
            "labels": [self.label(r, lb) for lb in i.labels],
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "locked": i.locked,
            "active_lock_reason": None,
            "comments": len(i.comments),
            "created_at": iso(i.created_at),
            "updated_at": iso(i.updated_at),
            "closed_at": iso(i.closed_at),
            "closed_by": self.user(i.closed_by),
            "author_association": r.author_association(i.user),
            "reactions": self.rollup(f"{url}/reactions", i.reactions),
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": None,
            "sub_issues_summary": {
                "total": total, "completed": done,
                "percent_completed": (done * 100 // total) if total else 0,
            },
            "issue_dependencies_summary": {"blocked_by": 0, "blocking": 0,
                                           "total_blocked_by": 0, "total_blocking": 0},
        }
        if i.parent is not None:
            d["parent_issue_url"] = self.issue_url(i.parent)
        if i.is_pr:
            p = i.pull
            html = self.html_issue_url(i)
            d["draft"] = p.draft
            d["pull_request"] = {
                "url": f"{self.base}/repos/{r.full_name}/pulls/{i.number}",
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": iso(p.merged_at),
            }
        return d

    def comment(self, c: Comment) -> dict:
        i = c.issue
        url = f"{self.base}/repos/{i.repo.full_name}/issues/comments/{c.id}"
        return {
            "id": c.id,
            "node_id": c.node_id,
            "url": url,
            "html_url": f"{self.html_issue_url(i)}#issuecomment-{c.id}",
            "body": c.body,
            "user": self.user(c.user),
            "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
            "issue_url": self.issue_url(i),
            "author_association": i.repo.author_association(c.user),
            "performed_via_github_app": None,
            "reactions": self.rollup(f"{url}/reactions", c.reactions),
        }

    # -- pulls ---------------------------------------------------------------
    def _pr_end(self, r: Repo, ref: str, sha: str) -> dict:
        return {"label": f"{r.owner.login}:{ref}", "ref": ref, "sha": sha,
                "user": self.user(r.owner), "repo": self.repository(r)}

    def pull(self, i: Issue, *, full: bool, stats=None, mergeable=None) -> dict:
        r, p = i.repo, i.pull
        api = f"{self.base}/repos/{r.full_name}"
        url = f"{api}/pulls/{i.number}"
        html = self.html_issue_url(i)
        d = {
            "url": url,
            "id": p.id,
            "node_id": p.node_id,
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": self.issue_url(i),
            "commits_url": f"{url}/commits",
            "review_comments_url": f"{url}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{self.issue_url(i)}/comments",
            "statuses_url": f"{api}/statuses/{p.head_sha}",
            "number": i.number,
            "state": i.state,
            "locked": i.locked,
            "title": i.title,
            "user": self.user(i.user),
            "body": i.body,
            "labels": [self.label(r, lb, description_not_null=not full) for lb in i.labels],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": iso(i.created_at),
            "updated_at": iso(i.updated_at),
            "closed_at": iso(i.closed_at),
            "merged_at": iso(p.merged_at),
            "merge_commit_sha": p.merge_commit_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": self._pr_end(r, p.head_ref, p.head_sha),
            "base": self._pr_end(r, p.base_ref, p.base_sha),
            "_links": {
                "self": {"href": url},
                "html": {"href": html},
                "issue": {"href": self.issue_url(i)},
                "comments": {"href": f"{self.issue_url(i)}/comments"},
                "review_comments": {"href": f"{url}/comments"},
                "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
                "commits": {"href": f"{url}/commits"},
                "statuses": {"href": f"{api}/statuses/{p.head_sha}"},
            },
            "author_association": r.author_association(i.user),
            "auto_merge": None,
            "draft": p.draft,
        }
        if full:
            commits, add, dele, files = stats
            d.update({
                "merged": p.merged,
                "mergeable": mergeable,
                "rebaseable": mergeable,
                "mergeable_state": ("unknown" if mergeable is None else
                                    ("draft" if p.draft else "clean") if mergeable else "dirty"),
                "merged_by": self.user(p.merged_by),
                "comments": len(i.comments),
                "review_comments": 0,
                "maintainer_can_modify": p.maintainer_can_modify,
                "commits": commits,
                "additions": add,
                "deletions": dele,
                "changed_files": files,
            })
        return d

    def review(self, rv: Review) -> dict:
        """The ``pull-request-review`` schema (no body_html/body_text: default media type)."""
        i = rv.issue
        pr_url = f"{self.base}/repos/{i.repo.full_name}/pulls/{i.number}"
        html = f"{self.html_issue_url(i)}#pullrequestreview-{rv.id}"
        d = {
            "id": rv.id,
            "node_id": rv.node_id,
            "user": self.user(rv.user),
            "body": rv.body,
            "state": rv.state,
            "html_url": html,
            "pull_request_url": pr_url,
            "author_association": i.repo.author_association(rv.user),
            "_links": {"html": {"href": html}, "pull_request": {"href": pr_url}},
        }
        if rv.submitted_at is not None:  # GitHub leaves it out of a PENDING review
            d["submitted_at"] = iso(rv.submitted_at)
        d["commit_id"] = rv.commit_id
        return d

    # -- actions -------------------------------------------------------------
    def workflow_run(self, run: WorkflowRun, *, pull_requests: bool = True) -> dict:
        """The ``workflow-run`` schema. Its pull requests are the open ones of the repository whose
        head branch or head sha is the run's (none with ``exclude_pull_requests``)."""
        r = run.repo
        api = f"{self.base}/repos/{r.full_name}"
        url = f"{api}/actions/runs/{run.id}"
        info = r.git.commit_info(run.head_sha)
        prs = [i for i in sorted(r.issues.values(), key=lambda i: i.number)
               if pull_requests and i.is_pr and i.state == "open"
               and (i.pull.head_ref == run.head_branch or i.pull.head_sha == run.head_sha)]

        def end(ref: str, sha: str) -> dict:
            return {"ref": ref, "sha": sha, "repo": {"id": r.id, "url": api, "name": r.name}}

        return {
            "id": run.id,
            "name": run.name,
            "node_id": run.node_id,
            "head_branch": run.head_branch,
            "head_sha": run.head_sha,
            "path": run.path,
            "display_title": info.message.split("\n", 1)[0],
            "run_number": run.run_number,
            "event": run.event,
            "status": run.status,
            "conclusion": run.conclusion,
            "workflow_id": run.workflow_id,
            "check_suite_id": run.check_suite_id,
            "check_suite_node_id": run.check_suite_node_id,
            "url": url,
            "html_url": f"{self.web}/{r.full_name}/actions/runs/{run.id}",
            "pull_requests": [{"id": i.pull.id, "number": i.number, "url": f"{api}/pulls/{i.number}",
                               "head": end(i.pull.head_ref, i.pull.head_sha),
                               "base": end(i.pull.base_ref, i.pull.base_sha)} for i in prs],
            "created_at": iso(run.created_at),
            "updated_at": iso(run.updated_at),
            "actor": self.user(run.actor),
            "run_attempt": run.run_attempt,
            "referenced_workflows": [],
            "run_started_at": iso(run.run_started_at),
            "triggering_actor": self.user(run.actor),
            "jobs_url": f"{url}/jobs",
            "logs_url": f"{url}/logs",
            "check_suite_url": f"{api}/check-suites/{run.check_suite_id}",
            "artifacts_url": f"{url}/artifacts",
            "cancel_url": f"{url}/cancel",
            "rerun_url": f"{url}/rerun",
            "previous_attempt_url": (f"{url}/attempts/{run.run_attempt - 1}"
                                     if run.run_attempt > 1 else None),
            "workflow_url": f"{api}/actions/workflows/{run.workflow_id}",
            "head_commit": {
                "id": info.sha,
                "tree_id": info.tree,
                "message": info.message,
                "timestamp": _epoch_iso(info.committer_date),
                "author": {"name": info.author_name, "email": info.author_email},
                "committer": {"name": info.committer_name, "email": info.committer_email},
            },
            "repository": self.minimal_repository(r),
            "head_repository": self.minimal_repository(r),
        }

    # -- git -----------------------------------------------------------------
    def git_ref(self, r: Repo, ref: str, sha: str, typ: str) -> dict:
        api = f"{self.base}/repos/{r.full_name}"
        kind = {"commit": "commits", "tag": "tags", "tree": "trees", "blob": "blobs"}.get(typ, "commits")
        return {"ref": ref, "node_id": node_id("REF", "ref", hash((r.id, ref)) & 0xFFFFFFFF),
                "url": f"{api}/git/{quote(ref)}",
                "object": {"type": typ, "sha": sha, "url": f"{api}/git/{kind}/{sha}"}}

    def commit(self, r: Repo, git: BareRepo, sha: str, users_by_email: dict) -> dict:
        info = git.commit_info(sha)
        api = f"{self.base}/repos/{r.full_name}"
        html = f"{self.web}/{r.full_name}/commit/{sha}"

        def who(email: str):
            u = users_by_email.get(email.lower())
            return self.user(u) if u is not None else None

        return {
            "url": f"{api}/commits/{sha}",
            "sha": sha,
            "node_id": node_id("C", "commit", int(sha[:12], 16)),
            "html_url": html,
            "comments_url": f"{api}/commits/{sha}/comments",
            "commit": {
                "url": f"{api}/git/commits/{sha}",
                "author": {"name": info.author_name, "email": info.author_email,
                           "date": _epoch_iso(info.author_date)},
                "committer": {"name": info.committer_name, "email": info.committer_email,
                              "date": _epoch_iso(info.committer_date)},
                "message": info.message,
                "comment_count": 0,
                "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
                "verification": {"verified": False, "reason": "unsigned", "signature": None,
                                 "payload": None, "verified_at": None},
            },
            "author": who(info.author_email),
            "committer": who(info.committer_email),
            "parents": [{"sha": p, "url": f"{api}/commits/{p}",
                         "html_url": f"{self.web}/{r.full_name}/commit/{p}"} for p in info.parents],
        }


def _epoch_iso(ts: int) -> str:
    from datetime import datetime, timezone
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
