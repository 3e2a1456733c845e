"""Scripted faults: 5xx, secondary rate limits, connection resets, delays, lost answers."""

from __future__ import annotations

import time

import pytest
import requests
from github import GithubException, RateLimitExceededException

from tests.fakegithub import FakeGitHub
from tests.fakegithub.testing import BOT, seed
from tests.fakegithub.gitcli import clone, commit_files, run_git

ISSUES = "/repos/{owner}/{repo}/issues"
PULLS = "/repos/{owner}/{repo}/pulls"


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    return seed(fake_github)


def client(fake, **kw):
    return fake.github_client(BOT, lazy=True, **kw).get_repo("acme/stack")


@pytest.mark.parametrize("status", ["500", "502", "503"])
def test_5xx_on_a_read_is_retried(fake, status):
    fake.add_issue("acme/stack", "x")
    fake.inject("GET", "/repos/{owner}/{repo}/issues/{issue_number}", fault=status)
    assert client(fake).get_issue(1).title == "x"
    entries = fake.requests(endpoint="/repos/{owner}/{repo}/issues/{issue_number}")
    assert [e.status for e in entries] == [int(status), 200]
    assert entries[0].fault == status


def test_5xx_without_retry_raises(fake):
    fake.inject("GET", "/repos/{owner}/{repo}", fault="502")
    with pytest.raises(GithubException) as exc:
        fake.github_client(BOT, retry=None).get_repo("acme/stack")
    assert exc.value.status == 502


def test_pygithub_resends_a_post_after_502(fake):
    """A 502 before the write: the retry creates the issue once."""
    fake.inject("POST", ISSUES, fault="502")
    client(fake).create_issue("once")
    assert fake.count("writes", endpoint=ISSUES) == 2
    assert [i.title for i in fake.repo("acme/stack").issues.values()] == ["once"]


def test_lost_answer_to_a_performed_write_duplicates_it(fake):
    """The write happens, the answer is lost (502): PyGithub's retry of the POST
    creates a second issue -- the duplicate-creation risk the bot must handle."""
    fake.inject("POST", ISSUES, apply_then="502")
    issue = client(fake).create_issue("drift report")
    titles = [i.title for i in fake.repo("acme/stack").issues.values()]
    assert titles == ["drift report", "drift report"]
    assert issue.number == 2
    assert fake.count("writes", endpoint=ISSUES) == 2


def test_lost_answer_to_pr_creation_surfaces_as_422(fake, tmp_path):
    work = clone(fake, "acme/stack", tmp_path / "w", login=BOT)
    commit_files(work, {"a": "a"}, "a")
    run_git("push", "-q", "origin", "HEAD:refs/heads/drift", cwd=work,
            header=fake.git_auth_header(BOT))
    fake.inject("POST", PULLS, apply_then="reset")
    with pytest.raises(GithubException) as exc:
        client(fake).create_pull(title="t", body="", head="drift", base="main")
    assert exc.value.status == 422  # the retry found the PR the first attempt created
    assert "already exists" in exc.value.data["errors"][0]["message"]
    assert len(fake.pulls("acme/stack")) == 1


def test_secondary_rate_limit(fake):
    fake.add_issue("acme/stack", "x")
    fake.inject("GET", "/repos/{owner}/{repo}/issues/{issue_number}",
                fault="secondary_rate_limit", seconds=7)
    r = requests.get(f"{fake.api_url}/repos/acme/stack/issues/1", timeout=5,
                     headers={"Authorization": f"token {fake.token_for(BOT)}"})
    assert r.status_code == 403 and r.headers["retry-after"] == "7"
    assert r.json()["message"].startswith("You have exceeded a secondary rate limit")
    fake.inject("POST", ISSUES, fault="secondary_rate_limit", seconds=0)
    with pytest.raises(RateLimitExceededException):
        fake.github_client(BOT, retry=None, lazy=True).get_repo("acme/stack").create_issue("no")


def test_secondary_rate_limit_retry_waits_retry_after(fake):
    fake.inject("POST", ISSUES, fault="secondary_rate_limit", seconds=1)
    t0 = time.monotonic()
    client(fake).create_issue("after waiting")
    assert time.monotonic() - t0 >= 1.0
    assert [e.status for e in fake.requests(endpoint=ISSUES)] == [403, 201]


def test_connection_reset(fake):
    fake.inject("GET", "/repos/{owner}/{repo}", fault="reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{fake.api_url}/repos/acme/stack", timeout=5)
    fake.inject("GET", "/repos/{owner}/{repo}", fault="reset")
    assert fake.github_client(BOT).get_repo("acme/stack").name == "stack"  # retried
    resets = [e for e in fake.requests(endpoint="/repos/{owner}/{repo}") if e.fault == "reset"]
    assert len(resets) == 2 and all(e.status is None for e in resets)


def test_delay_and_client_timeout(fake):
    fake.inject("GET", "/repos/{owner}/{repo}", fault="delay", seconds=0.4)
    t0 = time.monotonic()
    fake.github_client(BOT).get_repo("acme/stack")
    assert time.monotonic() - t0 >= 0.4
    fake.inject("GET", "/repos/{owner}/{repo}", fault="delay", seconds=0.6)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{fake.api_url}/repos/acme/stack", timeout=0.2)


def test_nth_and_times(fake):
    fake.inject("POST", ISSUES, nth=2, times=2, fault="500")
    g = fake.github_client(BOT, retry=None, lazy=True).get_repo("acme/stack")
    g.create_issue("1")
    for _ in range(2):
        with pytest.raises(GithubException):
            g.create_issue("fails")
    g.create_issue("4")
    assert [e.status for e in fake.requests("writes")] == [201, 500, 500, 201]


def test_concrete_path_and_any_method(fake):
    fake.add_issue("acme/stack", "x")
    f = fake.inject(path="/repos/acme/stack/issues/1", fault="500")
    with pytest.raises(GithubException):
        fake.github_client(BOT, retry=None).get_repo("acme/stack").get_issue(1)
    assert f.fired == 1
    fake.clear_faults()


def test_git_push_answer_lost_but_ref_updated(fake, tmp_path):
    work = clone(fake, "acme/stack", tmp_path / "w", login=BOT)
    sha = commit_files(work, {"a": "a"}, "a")
    fake.inject("POST", "/{owner}/{repo}.git/git-receive-pack", apply_then="reset")
    p = run_git("push", "origin", "HEAD:refs/heads/lost", cwd=work, check=False,
                header=fake.git_auth_header(BOT))
    assert p.returncode != 0
    assert fake.repo("acme/stack").git.ref_sha("refs/heads/lost") == sha


def test_bad_fault_name():
    with FakeGitHub() as fake:
        with pytest.raises(ValueError):
            fake.inject(fault="418")


def test_apply_then_delay_performs_the_write_first_and_holds_the_answer(fake) -> None:
    import threading
    import time

    fake.inject("POST", "/repos/{owner}/{repo}/issues", apply_then="delay", seconds=1.5)
    client = fake.github_client(BOT, retry=None)
    done = threading.Event()
    threading.Thread(target=lambda: (client.get_repo("acme/stack").create_issue("held"), done.set()), daemon=True).start()
    deadline = time.time() + 1.0
    while time.time() < deadline and not any(i.title == "held" for i in fake.repo("acme/stack").issues.values()):
        time.sleep(0.05)
    assert any(i.title == "held" for i in fake.repo("acme/stack").issues.values())  # written already
    assert not done.is_set()  # while the answer is still held
    assert done.wait(5)
