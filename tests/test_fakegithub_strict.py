"""The fake is as strict as GitHub where GitHub's description is silent (issue 18): body limits,
secondary rate limits as 403 and 429 with and without retry-after, HTML where JSON was expected,
git over HTTP with Basic x-access-token only, and a lag between a push and a pull request.
Each behaviour cites its source in tests/fakegithub/README.md."""

from __future__ import annotations

import base64
import subprocess

import pytest

from tests.fakegithub import FakeGitHub
from tests.fakegithub.gitcli import clone, commit_files, git_env, run_git
from tests.fakegithub.testing import BOT, REPO, api, seed

ISSUES = "/repos/{owner}/{repo}/issues"
PULLS = "/repos/{owner}/{repo}/pulls"
LIMIT = 65_536


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    return seed(fake_github, users=("alice",))


def _branch(fake: FakeGitHub, tmp_path, name: str = "feature") -> None:
    work = clone(fake, REPO, tmp_path / "w", login=BOT)
    commit_files(work, {"a.txt": "a\n"}, "add a")
    run_git("push", "-q", "origin", f"HEAD:refs/heads/{name}", cwd=work, header=fake.git_auth_header(BOT))


def test_a_body_over_65536_characters_is_refused_on_issues_comments_and_pull_requests(fake, tmp_path):
    _branch(fake, tmp_path)
    fits, over = "x" * LIMIT, "x" * (LIMIT + 1)
    assert api(fake, "POST", f"/repos/{REPO}/issues", json={"title": "t", "body": fits}).status_code == 201
    for method, path, extra in (("POST", f"/repos/{REPO}/issues", {"title": "t"}),
                                ("PATCH", f"/repos/{REPO}/issues/1", {}),
                                ("POST", f"/repos/{REPO}/issues/1/comments", {}),
                                ("POST", f"/repos/{REPO}/pulls", {"title": "t", "head": "feature", "base": "main"})):
        r = api(fake, method, path, json={**extra, "body": over})
        assert r.status_code == 422, (method, path)
        assert "is too long (maximum is 65536 characters)" in r.json()["errors"][0]["message"]
    r = api(fake, "POST", f"/repos/{REPO}/pulls", json={"title": "t", "head": "feature", "base": "main", "body": fits})
    assert r.status_code == 201
    assert api(fake, "PATCH", f"/repos/{REPO}/pulls/{r.json()['number']}", json={"body": over}).status_code == 422
    assert len(fake.pulls(REPO)) == 1 and len(fake.repo(REPO).issues) == 2


@pytest.mark.parametrize(("fault", "status", "retry_after"), [
    ("secondary_rate_limit", 403, "3"), ("secondary_rate_limit_429", 429, "3"),
    ("secondary_rate_limit_no_retry_after", 403, None), ("secondary_rate_limit_429_no_retry_after", 429, None)])
def test_secondary_rate_limits_come_as_403_or_429_with_or_without_retry_after(fake, fault, status, retry_after):
    fake.inject("POST", ISSUES, fault=fault, seconds=3)
    r = api(fake, "POST", f"/repos/{REPO}/issues", json={"title": "refused"})
    assert r.status_code == status and r.headers.get("retry-after") == retry_after
    assert r.json()["message"].startswith("You have exceeded a secondary rate limit")
    assert int(r.headers["x-ratelimit-remaining"]) > 0  # only the body tells it from a refusal
    assert fake.repo(REPO).issues == {}


@pytest.mark.parametrize(("fault", "status"), [("html_502", 502), ("html_200", 200)])
def test_an_html_page_where_json_was_expected(fake, fault, status):
    fake.inject("GET", "/repos/{owner}/{repo}/pulls", fault=fault)
    r = api(fake, "GET", f"/repos/{REPO}/pulls")
    assert r.status_code == status and r.headers["content-type"].startswith("text/html")
    assert r.text.lstrip().startswith("<!DOCTYPE html>")


def test_git_takes_basic_x_access_token_and_refuses_bearer_and_two_authorization_headers(fake, tmp_path):
    work = clone(fake, REPO, tmp_path / "w", login=BOT)
    commit_files(work, {"a.txt": "a\n"}, "add a")
    token = fake.token_for(BOT)
    bearer = run_git("push", "origin", "HEAD:refs/heads/b", cwd=work, check=False, header=f"Authorization: bearer {token}")
    assert bearer.returncode != 0
    basic = f"Authorization: Basic {base64.b64encode(f'x-access-token:{token}'.encode()).decode()}"
    twice = ["git", "-c", "credential.helper=", "-c", f"http.extraHeader={basic}", "-c", f"http.extraHeader={basic}"]
    p = subprocess.run([*twice, "push", "origin", "HEAD:refs/heads/d"], cwd=work, capture_output=True, text=True,
                       env=git_env(work))
    assert p.returncode != 0 and 'Duplicate header: "Authorization"' in p.stderr
    assert [e.status for e in fake.requests(kind="git")][-2:] == [401, 400]
    run_git("push", "-q", "origin", "HEAD:refs/heads/ok", cwd=work, header=basic)
    assert set(fake.repo(REPO).git.branches()) == {"main", "ok"}


def test_a_pull_request_of_a_branch_just_pushed_is_refused_until_the_lag_has_passed(fake_github_factory, tmp_path):
    fake = seed(fake_github_factory(push_lag=2.0))
    _branch(fake, tmp_path)
    r = api(fake, "POST", f"/repos/{REPO}/pulls", json={"title": "t", "head": "feature", "base": "main"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "head"
    fake.clock.advance(2)
    r = api(fake, "POST", f"/repos/{REPO}/pulls", json={"title": "t", "head": "feature", "base": "main"})
    assert r.status_code == 201


def test_a_deleted_account_has_no_permission_to_look_up(fake):
    assert api(fake, "GET", f"/repos/{REPO}/collaborators/alice/permission").status_code == 200
    fake.delete_user("alice")
    assert api(fake, "GET", f"/repos/{REPO}/collaborators/alice/permission").status_code == 404
