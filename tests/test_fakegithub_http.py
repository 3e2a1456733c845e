"""The fake GitHub's HTTP behaviour: auth, visibility, users, rate limits, ETags, pagination."""

from __future__ import annotations

import time

import pytest
import requests
from github import BadCredentialsException, GithubException, UnknownObjectException

from tests.fakegithub import FakeGitHub


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_user("alice")
    fake_github.add_user("drift-bot[bot]", "Bot")
    fake_github.add_repo("acme/stack")
    fake_github.add_repo("acme/secret", private=True)
    fake_github.grant("acme/stack", "drift-bot[bot]", "write")
    return fake_github


def get(fake, path, login=None, **kw):
    headers = kw.pop("headers", {})
    if login:
        headers["Authorization"] = f"token {fake.token_for(login)}"
    return requests.get(fake.api_url + path, headers=headers, timeout=5, **kw)


def test_start_is_cheap():
    t0 = time.monotonic()
    with FakeGitHub() as fake:
        fake.add_repo("o/r")
    assert time.monotonic() - t0 < 0.5


def test_authenticated_user_and_bot_token(fake):
    me = fake.github_client("alice").get_user()
    assert me.login == "alice" and me.type == "User"
    # an installation token (Bot) may not read /user, as on GitHub
    with pytest.raises(GithubException) as exc:
        fake.github_client("drift-bot[bot]").get_user().login
    assert exc.value.status == 403
    assert "not accessible by integration" in exc.value.data["message"]
    # but it can look users up
    u = fake.github_client("drift-bot[bot]").get_user("alice")
    assert u.id == fake.user("alice").id


def test_bad_token_is_401(fake):
    r = get(fake, "/repos/acme/stack", headers={"Authorization": "token nope"})
    assert r.status_code == 401 and r.json()["message"] == "Bad credentials"
    from github import Auth, Github
    g = Github(auth=Auth.Token("nope"), base_url=fake.api_url, retry=None,
               seconds_between_requests=0, seconds_between_writes=0)
    with pytest.raises(BadCredentialsException):
        g.get_repo("acme/stack")


def test_anonymous_reads_public_but_not_private_and_cannot_write(fake):
    assert get(fake, "/repos/acme/stack").status_code == 200
    assert get(fake, "/repos/acme/secret").status_code == 404
    r = requests.post(fake.api_url + "/repos/acme/stack/issues", json={"title": "x"}, timeout=5)
    assert r.status_code == 401 and r.json()["message"] == "Requires authentication"


def test_private_repo_is_404_for_a_token_without_access(fake):
    with pytest.raises(UnknownObjectException):
        fake.github_client("alice").get_repo("acme/secret")
    fake.grant("acme/secret", "alice", "read")
    assert fake.github_client("alice").get_repo("acme/secret").private is True
    assert get(fake, "/repos/acme/secret/issues", "alice").status_code == 200


def test_repo_permissions_block_and_403_on_write_without_access(fake):
    repo = fake.github_client("drift-bot[bot]").get_repo("acme/stack")
    assert repo.permissions.push is True and repo.permissions.admin is False
    alice_repo = fake.github_client("alice").get_repo("acme/stack")
    assert alice_repo.permissions.push is False and alice_repo.permissions.pull is True
    with pytest.raises(GithubException) as exc:
        alice_repo.create_git_ref("refs/heads/x", fake.repo("acme/stack").git.resolve("main"))
    assert exc.value.status == 403


@pytest.mark.parametrize("role,permission", [
    ("admin", "admin"), ("maintain", "write"), ("write", "write"),
    ("triage", "read"), ("read", "read"),
])
def test_collaborator_permission_maps_roles_like_github(fake, role, permission):
    fake.add_user("carol")
    fake.grant("acme/stack", "carol", role)
    repo = fake.github_client("drift-bot[bot]").get_repo("acme/stack")
    assert repo.get_collaborator_permission("carol") == permission
    data = get(fake, "/repos/acme/stack/collaborators/carol/permission", "drift-bot[bot]").json()
    assert data["permission"] == permission and data["role_name"] == role
    assert data["user"]["login"] == "carol"


def test_collaborator_permission_owner_and_stranger(fake):
    fake.add_user("mallory")
    repo = fake.github_client("drift-bot[bot]").get_repo("acme/stack")
    assert repo.get_collaborator_permission("acme") == "admin"
    assert repo.get_collaborator_permission("mallory") == "read"  # public repository
    r = get(fake, "/repos/acme/stack/collaborators/nobody/permission", "drift-bot[bot]")
    assert r.status_code == 404


def test_rate_limit_headers_and_endpoint(fake):
    r = get(fake, "/repos/acme/stack", "alice")
    h = r.headers
    assert h["x-ratelimit-limit"] == "5000"
    assert int(h["x-ratelimit-remaining"]) == 4999
    assert h["x-ratelimit-used"] == "1" and h["x-ratelimit-resource"] == "core"
    assert int(h["x-ratelimit-reset"]) > time.time()
    rl = fake.github_client("alice").get_rate_limit()
    assert rl.resources.core.remaining == 4999  # GET /rate_limit itself is free
    assert get(fake, "/repos/acme/stack").headers["x-ratelimit-limit"] == "60"


@pytest.mark.parametrize("status", [403, 429])
def test_exhausted_budget_gives_primary_rate_limit_error(fake, status):
    fake.set_rate_limit("alice", remaining=1, reset_in=3600, status=status)
    assert get(fake, "/repos/acme/stack", "alice").status_code == 200
    r = get(fake, "/repos/acme/stack", "alice")
    assert r.status_code == status
    assert r.json()["message"].startswith("API rate limit exceeded")
    assert r.headers["x-ratelimit-remaining"] == "0"
    # PyGithub's retry refuses to wait an hour (max_rate_limit_wait) and raises
    with pytest.raises(GithubException):
        fake.github_client("alice").get_repo("acme/stack")


def test_budget_refills_at_reset(fake):
    fake.set_rate_limit("alice", remaining=0, reset_in=-1)
    assert get(fake, "/repos/acme/stack", "alice").status_code == 200


def test_etag_304_is_not_counted(fake):
    first = get(fake, "/repos/acme/stack", "alice")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    left = int(first.headers["x-ratelimit-remaining"])
    again = get(fake, "/repos/acme/stack", "alice", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert int(again.headers["x-ratelimit-remaining"]) == left
    assert fake.count("not_modified") == 1
    # a change invalidates the ETag
    fake.add_issue("acme/stack", "new")
    third = get(fake, "/repos/acme/stack", "alice", headers={"If-None-Match": etag})
    assert third.status_code == 200 and third.headers["ETag"] != etag
    assert int(third.headers["x-ratelimit-remaining"]) == left - 1


def test_pygithub_conditional_requests_use_304(fake):
    fake.add_issue("acme/stack", "one")
    g = fake.github_client("alice")
    issue = g.get_repo("acme/stack").get_issue(1)
    assert issue.update() is False  # PyGithub sent If-None-Match and got 304
    assert fake.count("not_modified", endpoint="/repos/{owner}/{repo}/issues/{issue_number}") == 1


def test_pagination_link_headers(fake):
    for n in range(7):
        fake.add_issue("acme/stack", f"issue {n}")
    r = get(fake, "/repos/acme/stack/issues", "alice", params={"per_page": 3})
    assert [i["number"] for i in r.json()] == [7, 6, 5]
    links = requests.utils.parse_header_links(r.headers["Link"])
    rels = {x["rel"]: x["url"] for x in links}
    assert set(rels) == {"next", "last"}
    assert "page=2" in rels["next"] and "per_page=3" in rels["next"]
    assert "page=3" in rels["last"]
    r3 = requests.get(rels["last"], headers={"Authorization": f"token {fake.token_for('alice')}"},
                      timeout=5)
    assert [i["number"] for i in r3.json()] == [1]
    rels3 = {x["rel"] for x in requests.utils.parse_header_links(r3.headers["Link"])}
    assert rels3 == {"prev", "first"}
    # no Link when everything fits
    assert "Link" not in get(fake, "/repos/acme/stack/issues", "alice").headers


def test_per_page_is_capped_at_100(fake):
    for n in range(105):
        fake.add_issue("acme/stack", f"i{n}")
    r = get(fake, "/repos/acme/stack/issues", "alice", params={"per_page": 500})
    assert len(r.json()) == 100
    # PyGithub walks the pages through Link
    g = fake.github_client("alice", per_page=100)
    issues = g.get_repo("acme/stack").get_issues()
    assert len(list(issues)) == 105
    assert issues.totalCount == 105
    assert fake.count("reads", endpoint="/repos/{owner}/{repo}/issues") >= 3


def test_request_log_counts_reads_and_writes(fake):
    g = fake.github_client("drift-bot[bot]")
    repo = g.get_repo("acme/stack")
    repo.create_issue("a")
    repo.create_issue("b")
    list(repo.get_issues())
    assert fake.count("writes") == 2
    assert fake.count("writes", endpoint="/repos/{owner}/{repo}/issues") == 2
    assert fake.count("reads", endpoint="/repos/{owner}/{repo}") == 1
    assert fake.count("reads", endpoint="/repos/{owner}/{repo}/issues") == 1
    entry = fake.requests("writes")[0]
    assert entry.method == "POST" and entry.status == 201 and entry.login == "drift-bot[bot]"
    assert entry.body == {"title": "a"}
    fake.reset_log()
    assert fake.count() == 0


def test_unknown_path_is_404_and_flagged(fake):
    r = get(fake, "/repos/acme/stack/no-such-thing", "alice")
    assert r.status_code == 404
    (v,) = fake.contract.take()
    assert v.kind == "undocumented-request" and v.side == "request"
