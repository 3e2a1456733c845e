"""Pull request reviews on the fake GitHub: list, create, dismiss, and updated_at."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
from github import GithubException

from tests.fakegithub import FakeGitHub
from tests.fakegithub.testing import BOT, REPO, api, seed

REVIEWS = "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.clock.freeze(T0)
    seed(fake_github, users=("alice", "bob"))
    main = fake_github.repo(REPO).git.resolve("main")
    fake_github.commit(REPO, "feature", {"a.txt": "a\n"}, parent=main)
    fake_github.commit(REPO, "other", {"b.txt": "b\n"}, parent=main)
    return fake_github


@pytest.fixture
def pr(fake):
    """An open pull request by the bot, seeded without HTTP."""
    return fake.add_pull(REPO, "feature", title="Drift: web", user=BOT)


def pull_as(fake, login, number):
    return fake.github_client(login).get_repo(REPO).get_pull(number)


def _422(exc) -> list:
    assert exc.value.status == 422, exc.value
    return exc.value.data["errors"]


# ------------------------------------------------------------------ create and list

def test_approve_comment_request_changes_and_list_in_order(fake, pr):
    alice = pull_as(fake, "alice", pr.number)
    approved = alice.create_review(event="APPROVE")
    assert approved.state == "APPROVED" and approved.user.login == "alice"
    assert approved.body == "" and approved.commit_id == pr.pull.head_sha
    assert approved.submitted_at == T0
    assert approved.html_url.endswith(f"/acme/stack/pull/{pr.number}#pullrequestreview-{approved.id}")
    assert approved.pull_request_url == f"{fake.api_url}/repos/acme/stack/pulls/{pr.number}"
    fake.clock.advance(5)
    pull_as(fake, "bob", pr.number).create_review(event="COMMENT", body="a question")
    fake.clock.advance(5)
    alice.create_review(event="REQUEST_CHANGES", body="please fix")

    reviews = list(pull_as(fake, BOT, pr.number).get_reviews())
    assert [(r.user.login, r.state, r.body) for r in reviews] == [
        ("alice", "APPROVED", ""), ("bob", "COMMENTED", "a question"),
        ("alice", "CHANGES_REQUESTED", "please fix")]
    assert [r.id for r in reviews] == sorted(r.id for r in reviews)
    assert [r.submitted_at for r in reviews] == [T0, T0 + timedelta(seconds=5),
                                                 T0 + timedelta(seconds=10)]
    raw = api(fake, "GET", f"/repos/acme/stack/pulls/{pr.number}/reviews").json()
    assert raw[0]["node_id"].startswith("PRR_")
    assert raw[0]["_links"]["pull_request"]["href"] == raw[0]["pull_request_url"]
    assert raw[0]["author_association"] == "NONE"
    assert raw[0]["submitted_at"] == "2024-05-01T12:00:00Z"
    assert fake.contract.violations == []


def test_review_ids_are_their_own_sequence(fake, pr):
    rv = pull_as(fake, "alice", pr.number).create_review(event="APPROVE")
    assert rv.id not in (pr.id, pr.pull.id, pr.number)
    issue_comment = fake.add_comment(REPO, pr.number, "hi")
    assert rv.id != issue_comment.id


def test_anonymous_can_list_a_public_pull_requests_reviews(fake, pr):
    pull_as(fake, "alice", pr.number).create_review(event="APPROVE")
    anon = fake.github_client(None).get_repo(REPO).get_pull(pr.number)
    assert [r.state for r in anon.get_reviews()] == ["APPROVED"]


def test_commit_id_defaults_to_the_current_head(fake, pr):
    old_head = pr.pull.head_sha
    new_head = fake.commit(REPO, "feature", {"a.txt": "a2\n"})
    rv = pull_as(fake, "alice", pr.number).create_review(event="APPROVE")
    assert rv.commit_id == new_head != old_head
    # an explicit (older) commit is kept as given
    r = api(fake, "POST", f"/repos/acme/stack/pulls/{pr.number}/reviews", login="bob",
            json={"event": "COMMENT", "body": "on the old head", "commit_id": old_head})
    assert r.status_code == 200 and r.json()["commit_id"] == old_head
    r = api(fake, "POST", f"/repos/acme/stack/pulls/{pr.number}/reviews", login="bob",
            json={"event": "COMMENT", "body": "x", "commit_id": "0" * 40})
    assert r.status_code == 422


# ------------------------------------------------------------------ GitHub's rules

def test_no_approving_or_requesting_changes_on_your_own_pull_request(fake, pr):
    own = pull_as(fake, BOT, pr.number)
    with pytest.raises(GithubException) as exc:
        own.create_review(event="APPROVE")
    assert _422(exc) == ["Can not approve your own pull request"]
    assert exc.value.data["message"] == "Unprocessable Entity"
    with pytest.raises(GithubException) as exc:
        own.create_review(event="REQUEST_CHANGES", body="hm")
    assert _422(exc) == ["Can not request changes on your own pull request"]
    # commenting on one's own pull request is fine
    assert own.create_review(event="COMMENT", body="note to self").state == "COMMENTED"
    assert [r.state for r in own.get_reviews()] == ["COMMENTED"]


def test_request_changes_and_comment_need_a_body(fake, pr):
    alice = pull_as(fake, "alice", pr.number)
    with pytest.raises(GithubException) as exc:
        alice.create_review(event="REQUEST_CHANGES")
    assert _422(exc) == ["You need to leave a comment indicating the requested changes."]
    with pytest.raises(GithubException) as exc:
        alice.create_review(event="COMMENT", body="   ")
    assert len(_422(exc)) == 1
    assert list(alice.get_reviews()) == []
    assert fake.issue(REPO, pr.number).updated_at == T0  # failed attempts change nothing


def test_missing_pull_request_is_404(fake, pr):
    issue = fake.add_issue(REPO, "not a PR")
    for number in (99, issue.number):
        r = api(fake, "POST", f"/repos/acme/stack/pulls/{number}/reviews", login="alice",
                json={"event": "APPROVE"})
        assert r.status_code == 404
        assert api(fake, "GET", f"/repos/acme/stack/pulls/{number}/reviews").status_code == 404


def test_reviewing_needs_authentication(fake, pr):
    r = requests.post(f"{fake.api_url}/repos/acme/stack/pulls/{pr.number}/reviews",
                      json={"event": "APPROVE"}, timeout=5)
    assert r.status_code == 401
    assert list(pull_as(fake, BOT, pr.number).get_reviews()) == []


def test_pending_review_is_private_and_does_not_touch_updated_at(fake, pr):
    fake.clock.advance(30)
    alice = pull_as(fake, "alice", pr.number)
    pending = alice.create_review(body="draft thoughts")
    assert pending.state == "PENDING" and pending.submitted_at is None
    raw = api(fake, "GET", f"/repos/acme/stack/pulls/{pr.number}/reviews", login="alice").json()
    assert [r["state"] for r in raw] == ["PENDING"] and "submitted_at" not in raw[0]
    assert list(pull_as(fake, "bob", pr.number).get_reviews()) == []
    with pytest.raises(GithubException) as exc:
        alice.create_review(event="APPROVE")
    assert _422(exc) == ["User can only have one pending review per pull request"]
    assert fake.issue(REPO, pr.number).updated_at == T0


# ------------------------------------------------------------------ dismissal

def test_dismiss_review(fake, pr):
    rv = pull_as(fake, "alice", pr.number).create_review(event="REQUEST_CHANGES", body="no")
    fake.clock.advance(60)
    bot_view = next(iter(pull_as(fake, BOT, pr.number).get_reviews()))
    bot_view.dismiss("outdated")
    assert bot_view.state == "DISMISSED" and bot_view.id == rv.id
    assert bot_view.body == "no" and bot_view.submitted_at == T0  # only the state changes
    assert [r.state for r in pull_as(fake, "bob", pr.number).get_reviews()] == ["DISMISSED"]
    assert fake.issue(REPO, pr.number).updated_at == T0 + timedelta(seconds=60)
    with pytest.raises(GithubException) as exc:
        bot_view.dismiss("again")
    assert _422(exc) == ["Can not dismiss a dismissed pull request review"]
    assert exc.value.data["message"] == "Validation Failed"


def test_dismiss_rules(fake, pr):
    approval = pull_as(fake, "alice", pr.number).create_review(event="APPROVE")
    comment = pull_as(fake, "bob", pr.number).create_review(event="COMMENT", body="fyi")
    with pytest.raises(GithubException) as exc:  # read access is not enough
        approval.dismiss("mine to dismiss?")
    assert exc.value.status == 403
    bot_reviews = {r.id: r for r in pull_as(fake, BOT, pr.number).get_reviews()}
    with pytest.raises(GithubException) as exc:
        bot_reviews[comment.id].dismiss("nope")
    assert _422(exc) == ["Can not dismiss a commented pull request review"]
    url = f"/repos/acme/stack/pulls/{pr.number}/reviews"
    assert api(fake, "PUT", f"{url}/1/dismissals", json={"message": "x"}).status_code == 404
    other = fake.add_pull(REPO, "other", user=BOT)  # a review of another PR is not found here
    assert api(fake, "PUT", f"/repos/acme/stack/pulls/{other.number}/reviews/{approval.id}"
                            "/dismissals", json={"message": "x"}).status_code == 404
    bot_reviews[approval.id].dismiss("ok")
    assert [r.state for r in pull_as(fake, BOT, pr.number).get_reviews()] == ["DISMISSED",
                                                                               "COMMENTED"]


# ------------------------------------------------------------------ pagination

def test_reviews_are_paginated(fake, pr):
    for n in range(7):
        fake.add_review(REPO, pr.number, f"reviewer{n}", "COMMENTED", body=f"r{n}")
    url = f"/repos/acme/stack/pulls/{pr.number}/reviews"
    first = api(fake, "GET", url, params={"per_page": 3})
    assert [r["body"] for r in first.json()] == ["r0", "r1", "r2"]
    assert first.links["next"]["url"].endswith("per_page=3&page=2")
    assert first.links["last"]["url"].endswith("page=3")
    last = api(fake, "GET", url, params={"per_page": 3, "page": 3})
    assert [r["body"] for r in last.json()] == ["r6"] and "next" not in last.links
    fake.reset_log()
    got = fake.github_client(BOT, per_page=3).get_repo(REPO).get_pull(pr.number).get_reviews()
    assert [r.body for r in got] == [f"r{n}" for n in range(7)]
    assert fake.count(endpoint=REVIEWS, method="GET") == 3


# ------------------------------------------------------------------ updated_at

def _by_updated(fake) -> list[tuple[int, datetime]]:
    """The open PRs as GET /pulls?sort=updated&direction=desc lists them."""
    pulls = fake.github_client(BOT).get_repo(REPO).get_pulls(sort="updated", direction="desc")
    return [(p.number, p.updated_at) for p in pulls]


def test_submitting_a_review_moves_the_pull_requests_updated_at(fake, pr):
    fake.clock.advance(10)
    newer = fake.add_pull(REPO, "other", title="newer", user=BOT)
    t_newer = T0 + timedelta(seconds=10)
    assert _by_updated(fake) == [(newer.number, t_newer), (pr.number, T0)]

    # reading changes nothing
    fake.clock.advance(100)
    alice = pull_as(fake, "alice", pr.number)
    list(alice.get_reviews())
    api(fake, "GET", f"/repos/acme/stack/pulls/{pr.number}/reviews")
    assert _by_updated(fake) == [(newer.number, t_newer), (pr.number, T0)]

    # a submitted review does
    rv = alice.create_review(event="APPROVE")
    t_review = T0 + timedelta(seconds=110)
    assert rv.submitted_at == t_review
    assert _by_updated(fake) == [(pr.number, t_review), (newer.number, t_newer)]
    assert fake.github_client(BOT).get_repo(REPO).get_issue(pr.number).updated_at == t_review

    # and so does a dismissal (of the other PR's review)
    other_rv = pull_as(fake, "bob", newer.number).create_review(event="APPROVE")
    fake.clock.advance(50)
    assert _by_updated(fake)[0] == (newer.number, t_review)
    next(iter(pull_as(fake, BOT, newer.number).get_reviews())).dismiss("stale")
    assert other_rv.id == next(iter(pull_as(fake, BOT, newer.number).get_reviews())).id
    assert _by_updated(fake)[0] == (newer.number, t_review + timedelta(seconds=50))


# ------------------------------------------------------------------ seeding

def test_add_review_seeds_without_http(fake, pr):
    fake.reset_log()
    fake.clock.advance(20)
    rv = fake.add_review(REPO, pr.number, "carol", "APPROVED", body="lgtm")
    pending = fake.add_review(REPO, pr.number, "dave", "PENDING")
    assert fake.log == []
    assert (rv.state, rv.user.login, rv.body, rv.commit_id) == ("APPROVED", "carol", "lgtm",
                                                                pr.pull.head_sha)
    assert pending.submitted_at is None
    assert fake.issue(REPO, pr.number).updated_at == T0 + timedelta(seconds=20)
    listed = list(pull_as(fake, "alice", pr.number).get_reviews())
    assert [(r.id, r.state) for r in listed] == [(rv.id, "APPROVED")]  # dave's is private
    assert [r.state for r in pull_as(fake, "dave", pr.number).get_reviews()] == ["APPROVED",
                                                                                 "PENDING"]
    for state in ("CHANGES_REQUESTED", "COMMENTED", "DISMISSED"):
        fake.add_review(REPO, pr.number, "erin", state)
    assert fake.contract.violations == []


def test_add_review_rejects_bad_input(fake, pr):
    with pytest.raises(ValueError):
        fake.add_review(REPO, pr.number, "carol", "APPROVE")  # an event, not a state
    issue = fake.add_issue(REPO, "plain issue")
    with pytest.raises(ValueError):
        fake.add_review(REPO, issue.number, "carol", "APPROVED")
    with pytest.raises(KeyError):
        fake.add_review(REPO, 99, "carol", "APPROVED")


def test_bodies_github_refuses_by_schema(fake, pr):
    url = f"/repos/acme/stack/pulls/{pr.number}/reviews"
    r = api(fake, "POST", url, login="alice", json={"event": "PENDING"})
    assert r.status_code == 422 and "properties/event" in r.json()["message"]
    r = api(fake, "POST", url, login="alice", json={"event": "APPROVE", "body": None})
    assert r.status_code == 422 and "nil is not a string" in r.json()["message"]
    r = api(fake, "PUT", f"{url}/1/dismissals", json={})
    assert r.status_code in (404, 422)
    found = fake.contract.take()
    # the client broke the description each time; the fake's answers were fine
    assert found and all(v.side == "request" for v in found)
    assert fake.issue(REPO, pr.number).pull.reviews == []
