"""GitHub Actions: a repository's workflow runs, read with "Get a workflow run"
(docs.github.com/en/rest/actions/workflow-runs#get-a-workflow-run). Tests seed the runs and move
their status; nothing runs a workflow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .api import Ctx, route
from .httputil import ApiError, Reply
from .operations import R
from .state import RUN_CONCLUSIONS, RUN_STATUSES, WorkflowRun

if TYPE_CHECKING:  # pragma: no cover
    from .server import FakeGitHub

DOC = "https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run"


def _check_state(status: str, conclusion: Optional[str]) -> None:
    """GitHub's pairs: a conclusion once the run is completed, and only then."""
    if status not in RUN_STATUSES:
        raise ValueError(f"status must be one of {RUN_STATUSES}, not {status!r}")
    if status == "completed" and conclusion not in RUN_CONCLUSIONS:
        raise ValueError(f"a completed run needs a conclusion, one of {RUN_CONCLUSIONS}")
    if status != "completed" and conclusion is not None:
        raise ValueError(f"a {status} run has no conclusion yet (conclusion=None)")


def add_workflow_run(fake: "FakeGitHub", repo: str, run_id: int, status: str = "in_progress",
                     conclusion: Optional[str] = None, *, head_branch: Optional[str] = None,
                     head_sha: Optional[str] = None, event: str = "push", name: str = "CI",
                     path: str = ".github/workflows/ci.yml",
                     actor: Optional[str] = None) -> WorkflowRun:
    _check_state(status, conclusion)
    if not isinstance(run_id, int) or isinstance(run_id, bool) or run_id <= 0:
        raise ValueError(f"run_id must be a positive integer, not {run_id!r}")
    with fake._lock:
        r = fake.repo(repo)
        if any(run_id in other.workflow_runs for other in fake._repos.values()):
            raise ValueError(f"workflow run {run_id} exists (run ids are unique across GitHub)")
        branch = head_branch if head_branch is not None else r.default_branch
        if head_sha is None:
            head_sha = r.git.branches().get(branch)
            if head_sha is None:
                raise ValueError(f"{branch!r} is not a branch of {repo}: give head_sha")
        elif r.git.object_type(head_sha) != "commit":
            raise ValueError(f"{head_sha!r} is not a commit of {repo}")
        u = (fake._find_user(actor) or fake.add_user(actor)) if actor else r.owner
        workflow_id = r.workflows.setdefault(path, fake.ids.next("workflow"))
        number = 1 + sum(1 for x in r.workflow_runs.values() if x.workflow_id == workflow_id)
        now = fake.clock.now()
        run = WorkflowRun(run_id, r, number, workflow_id, fake.ids.next("check_suite"), name, path,
                          event, branch, head_sha, u, status, conclusion, now, now, now)
        r.workflow_runs[run_id] = run
        return run


def set_workflow_run(fake: "FakeGitHub", repo: str, run_id: int, status: str,
                     conclusion: Optional[str] = None) -> WorkflowRun:
    _check_state(status, conclusion)
    with fake._lock:
        run = fake.repo(repo).workflow_runs[run_id]
        now = fake.clock.now()
        if run.status == "completed" and status != "completed":  # a re-run: the next attempt
            run.run_attempt += 1
            run.run_started_at = now
        run.status, run.conclusion, run.updated_at = status, conclusion, now
        return run


@route("GET", R + "/actions/runs/{run_id}")
def get_workflow_run(ctx: Ctx) -> Reply:
    # "Anyone with read access to the repository can use this endpoint" (GITHUB_TOKEN has
    # actions: read); as the fake's other reads, no read access is 404.
    repo = ctx.repo()
    try:
        run = repo.workflow_runs.get(int(ctx.params["run_id"]))
    except ValueError:
        run = None
    if run is None:
        raise ApiError(404, "Not Found", doc=DOC)
    exclude = (ctx.q("exclude_pull_requests") or "").lower() == "true"
    ctx.fake._sync_refs(repo)  # the open pull requests as they are after the latest push
    return Reply(200, ctx.r.workflow_run(run, pull_requests=not exclude))
