"""Issues, comments, reactions, labels and native sub-issues on the fake GitHub."""

from __future__ import annotations

import pytest
from github import GithubException

from tests.fakegithub import FakeGitHub
from tests.fakegithub.testing import BOT, api, seed



@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    return seed(fake_github, users=("alice",))


@pytest.fixture
def repo(fake):
    return fake.github_client(BOT).get_repo("acme/stack")




# ------------------------------------------------------------------ issues

def test_create_get_edit_issue(fake, repo):
    issue = repo.create_issue("Drift found", body="details", labels=["bug", "drift"])
    assert issue.number == 1 and issue.id != issue.number
    assert issue.user.login == BOT and issue.user.type == "Bot"
    assert {lb.name for lb in issue.labels} == {"bug", "drift"}  # unknown labels are created
    assert repo.get_label("drift").color == "ededed"
    issue.edit(title="Drift found (2)", body="more", labels=["bug"])
    again = repo.get_issue(1)
    assert again.title == "Drift found (2)" and again.body == "more"
    assert [lb.name for lb in again.labels] == ["bug"]
    issue.edit(state="closed", state_reason="not_planned")
    closed = repo.get_issue(1)
    assert closed.state == "closed" and closed.state_reason == "not_planned"
    assert closed.closed_at is not None and closed.closed_by.login == BOT
    closed.edit(state="open")
    reopened = repo.get_issue(1)
    assert reopened.state == "open" and reopened.state_reason == "reopened"
    assert reopened.closed_at is None
    raw = api(fake, "GET", "/repos/acme/stack/issues/1").json()
    assert raw["created_at"].endswith("Z") and raw["node_id"].startswith("I_")


def test_issue_close_defaults_to_completed(repo):
    issue = repo.create_issue("x")
    issue.edit(state="closed")
    assert repo.get_issue(issue.number).state_reason == "completed"


def test_missing_issue_is_404(repo):
    with pytest.raises(GithubException) as exc:
        repo.get_issue(99)
    assert exc.value.status == 404


def test_labels_dropped_without_push_access(fake):
    alice = fake.github_client("alice").get_repo("acme/stack")
    issue = alice.create_issue("from a stranger", labels=["bug"])
    assert issue.labels == []
    # the author may edit the own issue, but not another's
    issue.edit(title="renamed")
    other = fake.github_client(BOT).get_repo("acme/stack").create_issue("bot's")
    with pytest.raises(GithubException) as exc:
        alice.get_issue(other.number).edit(title="hijack")
    assert exc.value.status == 403


def test_list_issues_filters_and_pull_requests_appear(fake, repo):
    fake.commit("acme/stack", "feature", {"a.txt": "a"}, parent=fake.repo("acme/stack").git.resolve("main"))
    a = repo.create_issue("a", labels=["bug"])
    b = repo.create_issue("b", labels=["bug", "drift"])
    fake.github_client("alice").get_repo("acme/stack").create_issue("c")
    pr = repo.create_pull(title="p", body="", head="feature", base="main")
    b.edit(state="closed")
    numbers = [i.number for i in repo.get_issues()]
    assert numbers == [pr.number, 3, a.number]  # newest first, PRs included
    raw = api(fake, "GET", "/repos/acme/stack/issues").json()
    assert "pull_request" in raw[0] and "pull_request" not in raw[1]
    assert raw[0]["pull_request"]["url"].endswith(f"/pulls/{pr.number}")
    assert [i.number for i in repo.get_issues(state="closed")] == [b.number]
    assert [i.number for i in repo.get_issues(state="all", labels=["bug", "drift"])] == [b.number]
    assert [i.number for i in repo.get_issues(creator="alice")] == [3]
    assert [i.number for i in repo.get_issues(state="all", direction="asc")][:2] == [1, 2]
    assert repo.get_issue(pr.number).pull_request is not None
    # since filters on updated_at
    fake.clock.advance(3600)
    a.edit(body="touched")
    since = fake.issue("acme/stack", a.number).updated_at
    assert [i.number for i in repo.get_issues(since=since)] == [a.number]


def test_issue_and_pr_share_numbers_but_not_ids(fake, repo):
    fake.commit("acme/stack", "f", {"x": "1"}, parent=fake.repo("acme/stack").git.resolve("main"))
    i1 = repo.create_issue("one")
    pr = repo.create_pull(title="p", body="", head="f", base="main")
    i3 = repo.create_issue("three")
    assert (i1.number, pr.number, i3.number) == (1, 2, 3)
    as_issue = repo.get_issue(2)
    assert as_issue.id != pr.id  # the issue id of a PR differs from the PR id
    with pytest.raises(GithubException):
        repo.get_pull(1)


# ------------------------------------------------------------------ comments

def test_comments_create_list_edit_delete(fake, repo):
    issue = repo.create_issue("x")
    c1 = issue.create_comment("first")
    c2 = issue.create_comment("second")
    assert [c.body for c in issue.get_comments()] == ["first", "second"]
    assert repo.get_issue(issue.number).comments == 2
    c1.edit("first, edited")
    assert repo.get_issue(issue.number).get_comment(c1.id).body == "first, edited"
    c2.delete()
    assert [c.id for c in issue.get_comments()] == [c1.id]
    assert [c.id for c in repo.get_issues_comments()] == [c1.id]
    assert c1.html_url.endswith(f"/issues/{issue.number}#issuecomment-{c1.id}")
    raw = api(fake, "GET", f"/repos/acme/stack/issues/comments/{c1.id}").json()
    assert raw["author_association"] == "COLLABORATOR"


def test_comment_permissions(fake, repo):
    issue = repo.create_issue("x")
    mine = issue.create_comment("bot says")
    alice_issue = fake.github_client("alice").get_repo("acme/stack").get_issue(issue.number)
    theirs = alice_issue.create_comment("alice says")
    assert theirs.user.login == "alice"
    with pytest.raises(GithubException) as exc:
        alice_issue.get_comment(mine.id).edit("vandalism")
    assert exc.value.status == 403
    # write access may edit anyone's comment
    repo.get_issue(issue.number).get_comment(theirs.id).edit("moderated")


def test_empty_comment_is_422(fake, repo):
    issue = repo.create_issue("x")
    r = api(fake, "POST", f"/repos/acme/stack/issues/{issue.number}/comments", json={"body": ""})
    assert r.status_code == 422


# ------------------------------------------------------------------ reactions

def test_reactions_on_issue_and_comment(fake, repo):
    issue = repo.create_issue("x")
    r1 = api(fake, "POST", f"/repos/acme/stack/issues/{issue.number}/reactions",
             json={"content": "eyes"})
    assert r1.status_code == 201
    r2 = api(fake, "POST", f"/repos/acme/stack/issues/{issue.number}/reactions",
             json={"content": "eyes"})
    assert r2.status_code == 200 and r2.json()["id"] == r1.json()["id"]
    issue.create_reaction("rocket")
    assert sorted(x.content for x in issue.get_reactions()) == ["eyes", "rocket"]
    assert repo.get_issue(issue.number).reactions["total_count"] == 2
    comment = issue.create_comment("hi")
    comment.create_reaction("+1")
    fake.github_client("alice").get_repo("acme/stack").get_issue(issue.number) \
        .get_comment(comment.id).create_reaction("+1")
    got = list(comment.get_reactions())
    assert [x.user.login for x in got] == [BOT, "alice"]
    assert comment.delete_reaction(got[0].id) is True
    assert [x.user.login for x in comment.get_reactions()] == ["alice"]
    eyes = r1.json()["id"]
    assert api(fake, "DELETE", f"/repos/acme/stack/issues/{issue.number}/reactions/{eyes}",
               login="alice").status_code == 403  # not alice's reaction
    assert issue.delete_reaction(eyes) is True
    assert sorted(x.content for x in issue.get_reactions()) == ["rocket"]
    issue.create_reaction("eyes")
    bad = api(fake, "POST", f"/repos/acme/stack/issues/{issue.number}/reactions",
              json={"content": "tada"})
    assert bad.status_code == 422
    fake.contract.take()  # 'tada' is not in the documented enum: a client-side violation
    only_eyes = api(fake, "GET", f"/repos/acme/stack/issues/{issue.number}/reactions",
                    params={"content": "eyes"}).json()
    assert [x["content"] for x in only_eyes] == ["eyes"]


# ------------------------------------------------------------------ labels

def test_repo_and_issue_labels(fake, repo):
    names = {lb.name for lb in repo.get_labels()}
    assert {"bug", "enhancement", "wontfix"} <= names
    lb = repo.create_label("drift", "ff0000", "Live differs from git")
    assert lb.description == "Live differs from git"
    with pytest.raises(GithubException) as exc:
        repo.create_label("Drift", "00ff00")
    assert exc.value.status == 422
    lb.edit("drift", "00ff00", "changed")
    assert repo.get_label("drift").color == "00ff00"
    issue = repo.create_issue("x")
    issue.add_to_labels("drift", "bug")
    assert [x.name for x in issue.get_labels()] == ["drift", "bug"]
    issue.remove_from_labels("bug")
    assert [x.name for x in repo.get_issue(issue.number).labels] == ["drift"]
    issue.set_labels("question")
    assert [x.name for x in repo.get_issue(issue.number).labels] == ["question"]
    issue.delete_labels()
    assert repo.get_issue(issue.number).labels == []
    with pytest.raises(GithubException) as exc:
        issue.remove_from_labels("nope")
    assert exc.value.status == 404
    repo.get_label("drift").delete()
    with pytest.raises(GithubException):
        repo.get_label("drift")


# ------------------------------------------------------------------ sub-issues

def test_sub_issues_add_list_remove_prioritise_parent(fake, repo):
    parent = repo.create_issue("epic")
    kids = [repo.create_issue(f"child {n}") for n in range(3)]
    for k in kids:
        parent.add_sub_issue(k.id)  # the id, not the number
    assert [s.number for s in parent.get_sub_issues()] == [k.number for k in kids]
    summary = repo.get_issue(parent.number).sub_issues_summary
    assert (summary.total, summary.completed, summary.percent_completed) == (3, 0, 0)
    kids[0].edit(state="closed")
    assert repo.get_issue(parent.number).sub_issues_summary.percent_completed == 33
    # reprioritise: child 0 after child 2
    parent.prioritize_sub_issue(kids[0].id, kids[2].id)
    assert [s.number for s in parent.get_sub_issues()] == [kids[1].number, kids[2].number,
                                                           kids[0].number]
    r = api(fake, "PATCH", f"/repos/acme/stack/issues/{parent.number}/sub_issues/priority",
            json={"sub_issue_id": kids[0].id, "before_id": kids[1].id})
    assert r.status_code == 200
    assert [s.number for s in parent.get_sub_issues()][0] == kids[0].number
    # parent of a child
    p = api(fake, "GET", f"/repos/acme/stack/issues/{kids[1].number}/parent")
    assert p.status_code == 200 and p.json()["number"] == parent.number
    child_raw = api(fake, "GET", f"/repos/acme/stack/issues/{kids[1].number}").json()
    assert child_raw["parent_issue_url"].endswith(f"/issues/{parent.number}")
    assert "parent_issue_url" not in api(fake, "GET",
                                         f"/repos/acme/stack/issues/{parent.number}").json()
    assert api(fake, "GET", f"/repos/acme/stack/issues/{parent.number}/parent").status_code == 404
    parent.remove_sub_issue(kids[1].id)
    assert [s.number for s in parent.get_sub_issues()] == [kids[0].number, kids[2].number]
    assert api(fake, "GET", f"/repos/acme/stack/issues/{kids[1].number}/parent").status_code == 404


def _add(fake, parent_number, child_id, **extra):
    return api(fake, "POST", f"/repos/acme/stack/issues/{parent_number}/sub_issues",
               json={"sub_issue_id": child_id, **extra})


def test_sub_issue_422s(fake, repo):
    a, b, c = (repo.create_issue(t) for t in "abc")
    r = _add(fake, a.number, a.id)
    assert r.status_code == 422 and "itself" in r.json()["errors"][0]["message"]
    assert _add(fake, a.number, c.id).status_code == 201
    dup = _add(fake, a.number, c.id)
    assert dup.status_code == 422 and "duplicate" in dup.json()["errors"][0]["message"]
    one_parent = _add(fake, b.number, c.id)
    assert one_parent.status_code == 422
    assert "Sub issue may only have one parent" in one_parent.json()["errors"][0]["message"]
    with pytest.raises(GithubException) as exc:
        b.add_sub_issue(c.id)
    assert exc.value.status == 422
    moved = _add(fake, b.number, c.id, replace_parent=True)
    assert moved.status_code == 201
    assert [s.number for s in b.get_sub_issues()] == [c.number]
    assert list(a.get_sub_issues()) == []
    cycle = _add(fake, c.number, b.id)  # b is c's parent
    assert cycle.status_code == 422
    # a number where the id belongs is not found (the classic mistake)
    wrong = _add(fake, a.number, b.number)
    assert wrong.status_code == 404
    gone = api(fake, "DELETE", f"/repos/acme/stack/issues/{a.number}/sub_issue",
               json={"sub_issue_id": c.id})
    assert gone.status_code == 404  # c is b's child, not a's


def test_sub_issue_limits(fake, repo):
    parent = fake.add_issue("acme/stack", "big epic")
    for n in range(100):
        child = fake.add_issue("acme/stack", f"c{n}")
        assert _add(fake, parent.number, child.id).status_code == 201
    extra = fake.add_issue("acme/stack", "one too many")
    r = _add(fake, parent.number, extra.id)
    assert r.status_code == 422 and "100" in r.json()["errors"][0]["message"]
    # nesting depth: 8 levels at most
    chain = [fake.add_issue("acme/stack", f"level {n}") for n in range(9)]
    for upper, lower in zip(chain, chain[1:8]):
        assert _add(fake, upper.number, lower.id).status_code == 201
    deep = _add(fake, chain[7].number, chain[8].id)
    assert deep.status_code == 422 and "levels" in deep.json()["errors"][0]["message"]


def test_pr_cannot_be_a_sub_issue(fake, repo):
    fake.commit("acme/stack", "f", {"x": "1"}, parent=fake.repo("acme/stack").git.resolve("main"))
    pr = repo.create_pull(title="p", body="", head="f", base="main")
    epic = repo.create_issue("epic")
    r = _add(fake, epic.number, repo.get_issue(pr.number).id)
    assert r.status_code == 422


def test_sub_issues_need_triage(fake):
    epic = fake.add_issue("acme/stack", "epic")
    kid = fake.add_issue("acme/stack", "kid")
    r = api(fake, "POST", f"/repos/acme/stack/issues/{epic.number}/sub_issues", login="alice",
            json={"sub_issue_id": kid.id})
    assert r.status_code == 403
    fake.grant("acme/stack", "alice", "triage")
    r = api(fake, "POST", f"/repos/acme/stack/issues/{epic.number}/sub_issues", login="alice",
            json={"sub_issue_id": kid.id})
    assert r.status_code == 201


# ------------------------------------------------------------------ events

def test_issue_comment_event_payload(fake, tmp_path):
    fake.add_user("maintainer")
    fake.grant("acme/stack", "maintainer", "maintain")
    issue = fake.add_issue("acme/stack", "Drift report")
    path = tmp_path / "event.json"
    ev = fake.issue_comment_event("acme/stack", issue.number, "maintainer", "/drift accept",
                                  path=path)
    assert ev["action"] == "created"
    assert ev["comment"]["user"]["login"] == "maintainer"
    assert ev["comment"]["user"]["type"] == "User"
    assert ev["comment"]["author_association"] == "COLLABORATOR"
    assert ev["comment"]["body"] == "/drift accept"
    assert ev["issue"]["number"] == issue.number and "pull_request" not in ev["issue"]
    assert ev["repository"]["full_name"] == "acme/stack"
    assert ev["sender"]["login"] == "maintainer"
    assert "installation" not in ev
    import json
    assert json.loads(path.read_text()) == ev
    # the comment exists in the fake too
    got = fake.github_client(BOT).get_repo("acme/stack").get_issue(issue.number).get_comment(
        ev["comment"]["id"])
    assert got.body == "/drift accept"
    edited = fake.issue_comment_event("acme/stack", issue.number, "maintainer", "/drift reject",
                                      action="edited", comment_id=got.id)
    assert edited["changes"] == {"body": {"from": "/drift accept"}}


def test_issue_comment_event_on_pr(fake):
    fake.commit("acme/stack", "f", {"x": "1"}, parent=fake.repo("acme/stack").git.resolve("main"))
    pr = fake.add_pull("acme/stack", "f", title="drift: update")
    ev = fake.issue_comment_event("acme/stack", pr.number, "acme", "looks good")
    assert ev["issue"]["pull_request"]["url"].endswith(f"/pulls/{pr.number}")
    assert ev["comment"]["author_association"] == "OWNER"
