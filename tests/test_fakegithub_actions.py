"""GitHub Actions on the fake GitHub: "Get a workflow run" (GET /repos/{owner}/{repo}/actions/runs/{run_id})."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from github import UnknownObjectException

from tests.fakegithub import FakeGitHub
from tests.fakegithub.testing import BOT, REPO, api, seed

RUN = "/repos/{owner}/{repo}/actions/runs/{run_id}"
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
RUN_ID = 9_876_543_210


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.clock.freeze(T0)
    return seed(fake_github, users=("alice",))


def run_as(fake: FakeGitHub, login: str, run_id: int):
    return fake.github_client(login).get_repo(REPO).get_workflow_run(run_id)


def test_a_run_read_by_pygithub_gives_its_status(fake):
    seeded = fake.add_workflow_run(REPO, RUN_ID)
    run = run_as(fake, BOT, RUN_ID)
    assert (run.id, run.status, run.conclusion) == (RUN_ID, "in_progress", None)
    assert run.head_branch == "main" and run.head_sha == fake.repo(REPO).git.resolve("main")
    assert run.event == "push" and run.run_number == 1 and run.run_attempt == 1
    assert run.created_at == T0 and run.updated_at == T0
    assert run.url == f"{fake.api_url}/repos/{REPO}/actions/runs/{RUN_ID}"
    assert run.html_url.endswith(f"/{REPO}/actions/runs/{RUN_ID}")
    assert run.display_title == "Initial commit" and run.path == seeded.path

    fake.clock.advance(60)
    fake.set_workflow_run(REPO, RUN_ID, "completed", "success")
    done = run_as(fake, BOT, RUN_ID)
    assert (done.status, done.conclusion) == ("completed", "success")
    assert done.updated_at == datetime(2024, 5, 1, 12, 1, 0, tzinfo=timezone.utc)
    assert fake.count(endpoint=RUN, status=200) == 2


def test_statuses_queued_then_in_progress_then_completed(fake):
    fake.add_workflow_run(REPO, RUN_ID, status="queued")
    seen = [api(fake, "GET", f"/repos/{REPO}/actions/runs/{RUN_ID}").json()["status"]]
    fake.set_workflow_run(REPO, RUN_ID, "in_progress")
    seen.append(api(fake, "GET", f"/repos/{REPO}/actions/runs/{RUN_ID}").json()["status"])
    fake.set_workflow_run(REPO, RUN_ID, "completed", "failure")
    last = api(fake, "GET", f"/repos/{REPO}/actions/runs/{RUN_ID}").json()
    assert seen + [last["status"]] == ["queued", "in_progress", "completed"]
    assert last["conclusion"] == "failure"


def test_an_unknown_run_is_404(fake):
    fake.add_workflow_run(REPO, RUN_ID)
    with pytest.raises(UnknownObjectException) as exc:
        run_as(fake, BOT, RUN_ID + 1).status
    assert exc.value.status == 404
    r = api(fake, "GET", f"/repos/{REPO}/actions/runs/{RUN_ID + 1}")
    assert r.status_code == 404 and r.json()["message"] == "Not Found"
    assert r.json()["documentation_url"].endswith("#get-a-workflow-run")
    assert api(fake, "GET", f"/repos/{REPO}/actions/runs/latest").status_code == 404
    # a run of another repository is not this one's
    fake.add_repo("acme/other")
    assert api(fake, "GET", f"/repos/acme/other/actions/runs/{RUN_ID}").status_code == 404


def test_a_token_that_cannot_read_the_repository_gets_404(fake):
    fake.add_repo("acme/secret", private=True)
    fake.grant("acme/secret", BOT, "read")
    fake.add_workflow_run("acme/secret", RUN_ID)
    assert api(fake, "GET", f"/repos/acme/secret/actions/runs/{RUN_ID}").status_code == 200
    r = api(fake, "GET", f"/repos/acme/secret/actions/runs/{RUN_ID}", login="alice")
    assert r.status_code == 404 and r.json()["message"] == "Not Found"
    with pytest.raises(UnknownObjectException):
        fake.github_client("alice").get_repo("acme/secret")


def test_an_app_installation_token_reads_a_run(fake):
    app = fake.add_app("drift-app", repos=[REPO], permissions={"actions": "read", "contents": "write",
                                                               "metadata": "read"})
    fake.add_workflow_run(REPO, RUN_ID, "completed", "cancelled")
    run = run_as(fake, app.bot_login, RUN_ID)
    assert (run.status, run.conclusion) == ("completed", "cancelled")


def test_the_answer_goes_through_the_contract_check(fake):
    fake.add_workflow_run(REPO, RUN_ID, "waiting", actor="alice", event="workflow_dispatch")
    r = api(fake, "GET", f"/repos/{REPO}/actions/runs/{RUN_ID}")
    (entry,) = fake.requests(endpoint=RUN)
    assert entry.template == RUN and entry.status == 200
    assert fake.contract.violations == []
    spec = fake.contract.spec
    op, params = spec.match("GET", f"/repos/{REPO}/actions/runs/{RUN_ID}")
    assert op.operation_id == "actions/get-workflow-run" and params["run_id"] == str(RUN_ID)
    assert spec.check_response(op, 200, r.content) == []
    body = r.json()
    assert body["actor"]["login"] == "alice" and body["event"] == "workflow_dispatch"
    del body["head_commit"]  # required by workflow-run
    assert spec.check_response(op, 200, json.dumps(body).encode())
    body = r.json()
    body["invented"] = 1  # the fake may not invent fields
    assert spec.check_response(op, 200, json.dumps(body).encode())


def test_pull_requests_of_the_head_branch_and_exclude_pull_requests(fake):
    main = fake.repo(REPO).git.resolve("main")
    sha = fake.commit(REPO, "feature", {"a.txt": "a\n"}, parent=main, message="Add a")
    pr = fake.add_pull(REPO, "feature", title="Add a", user=BOT)
    fake.add_workflow_run(REPO, RUN_ID, head_branch="feature", event="pull_request")
    body = api(fake, "GET", f"/repos/{REPO}/actions/runs/{RUN_ID}").json()
    assert body["head_sha"] == sha and body["display_title"] == "Add a"
    (p,) = body["pull_requests"]
    assert p["number"] == pr.number and p["head"]["ref"] == "feature" and p["base"]["sha"] == main
    excluded = api(fake, "GET", f"/repos/{REPO}/actions/runs/{RUN_ID}",
                   params={"exclude_pull_requests": "true"}).json()
    assert excluded["pull_requests"] == []


def test_a_rerun_is_the_next_attempt(fake):
    fake.add_workflow_run(REPO, RUN_ID, "completed", "failure")
    fake.clock.advance(30)
    fake.set_workflow_run(REPO, RUN_ID, "queued")
    body = api(fake, "GET", f"/repos/{REPO}/actions/runs/{RUN_ID}").json()
    assert (body["status"], body["conclusion"], body["run_attempt"]) == ("queued", None, 2)
    assert body["previous_attempt_url"].endswith(f"/actions/runs/{RUN_ID}/attempts/1")
    assert body["run_started_at"] == "2024-05-01T12:00:30Z" and body["created_at"] == "2024-05-01T12:00:00Z"


def test_run_numbers_count_per_workflow(fake):
    fake.add_workflow_run(REPO, 1)
    fake.add_workflow_run(REPO, 2)
    fake.add_workflow_run(REPO, 3, path=".github/workflows/drift.yml", name="Drift")
    numbers = [api(fake, "GET", f"/repos/{REPO}/actions/runs/{i}").json() for i in (1, 2, 3)]
    assert [b["run_number"] for b in numbers] == [1, 2, 1]
    assert numbers[0]["workflow_id"] == numbers[1]["workflow_id"] != numbers[2]["workflow_id"]


def test_the_seed_helpers_refuse_what_github_cannot_answer(fake):
    with pytest.raises(ValueError, match="needs a conclusion"):
        fake.add_workflow_run(REPO, 1, "completed")
    with pytest.raises(ValueError, match="no conclusion yet"):
        fake.add_workflow_run(REPO, 1, "in_progress", "success")
    with pytest.raises(ValueError, match="status must be one of"):
        fake.add_workflow_run(REPO, 1, "running")
    with pytest.raises(ValueError, match="not a branch"):
        fake.add_workflow_run(REPO, 1, head_branch="nope")
    fake.add_workflow_run(REPO, 1)
    fake.add_repo("acme/other")
    with pytest.raises(ValueError, match="unique"):
        fake.add_workflow_run("acme/other", 1)
    with pytest.raises(ValueError, match="needs a conclusion"):
        fake.set_workflow_run(REPO, 1, "completed")
    with pytest.raises(KeyError):
        fake.set_workflow_run(REPO, 2, "queued")
