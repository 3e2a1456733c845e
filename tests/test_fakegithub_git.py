"""Real git behind the fake: smart HTTP push/fetch, refs API, pull requests and merges."""

from __future__ import annotations

from pathlib import Path

import git as gitpython
import pytest
from github import GithubException

from tests.fakegithub import FakeGitHub
from tests.fakegithub.testing import BOT, api, seed
from tests.fakegithub.gitcli import clone, commit_files, push_branch, run_git

PULLS = "/repos/{owner}/{repo}/pulls"


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    return seed(fake_github, users=("alice",),
                initial_files={"compose.yaml": "services:\n  web: {}\n", "README.md": "# stack\n"})


@pytest.fixture
def work(fake, tmp_path) -> Path:
    return clone(fake, "acme/stack", tmp_path / "work", login=BOT)


@pytest.fixture
def repo(fake):
    return fake.github_client(BOT).get_repo("acme/stack")




# ------------------------------------------------------------------ smart HTTP

def test_push_with_header_token(fake, work):
    commit_files(work, {"a.txt": "a\n"}, "add a")
    run_git("push", "--quiet", "origin", "HEAD:refs/heads/feature", cwd=work,
            header=fake.git_auth_header(BOT))
    bare = fake.repo("acme/stack").git
    assert bare.read_file("refs/heads/feature", "a.txt") == "a\n"
    assert fake.count("writes", kind="git") == 1


def test_push_refused_without_token_or_without_write(fake, work):
    commit_files(work, {"a.txt": "a\n"}, "add a")
    p = run_git("push", "origin", "HEAD:refs/heads/x", cwd=work, check=False)
    assert p.returncode != 0
    p = run_git("push", "origin", "HEAD:refs/heads/x", cwd=work, check=False,
                header=fake.git_auth_header("alice"))
    assert p.returncode != 0 and "denied to alice" in p.stderr
    p = run_git("push", "origin", "HEAD:refs/heads/x", cwd=work, check=False,
                header="Authorization: bearer wrong-token")
    assert p.returncode != 0
    assert fake.repo("acme/stack").git.ref_sha("refs/heads/x") is None
    statuses = {e.status for e in fake.requests(kind="git")}
    assert 401 in statuses and 403 in statuses


def test_private_repo_fetch_needs_token(fake, tmp_path):
    fake.add_repo("acme/secret", private=True)
    p = run_git("clone", fake.git_url("acme/secret"), str(tmp_path / "anon"), check=False,
                home=tmp_path)
    assert p.returncode != 0
    p = run_git("clone", fake.git_url("acme/secret"), str(tmp_path / "bot"), check=False,
                home=tmp_path, header=fake.git_auth_header(BOT))
    assert p.returncode != 0  # no access: looks like it does not exist
    fake.grant("acme/secret", BOT, "read")
    clone(fake, "acme/secret", tmp_path / "ok", login=BOT)
    assert (tmp_path / "ok" / "README.md").exists()


def test_gitpython_clone_fetch_push(fake, tmp_path):
    header = fake.git_auth_header(BOT)
    r = gitpython.Repo.clone_from(fake.git_url("acme/stack"), tmp_path / "gp",
                                  env={"GIT_TERMINAL_PROMPT": "0"})
    r.config_writer().set_value("user", "name", "bot").release()
    r.config_writer().set_value("user", "email", "bot@example.com").release()
    (tmp_path / "gp" / "b.txt").write_text("b\n")
    r.index.add(["b.txt"])
    r.index.commit("add b")
    r.git(c=f"http.extraHeader={header}").push("origin", "HEAD:refs/heads/gp")
    assert fake.repo("acme/stack").git.read_file("refs/heads/gp", "b.txt") == "b\n"
    fake.commit("acme/stack", "main", {"c.txt": "c\n"}, "someone else")
    r.git(c=f"http.extraHeader={header}").fetch("origin")
    assert r.git.show("origin/main:c.txt") == "c"


def test_git_path_is_the_bare_repository(fake):
    path = fake.git_path("acme/stack")
    assert (path / "HEAD").exists()
    assert gitpython.Repo(path).bare


# ------------------------------------------------------------------ refs API

def test_refs_create_get_match_update_delete(fake, repo):
    main = fake.repo("acme/stack").git.resolve("main")
    ref = repo.create_git_ref("refs/heads/drift/lock", main)
    assert ref.ref == "refs/heads/drift/lock" and ref.object.sha == main
    with pytest.raises(GithubException) as exc:
        repo.create_git_ref("refs/heads/drift/lock", main)
    assert exc.value.status == 422 and exc.value.data["message"] == "Reference already exists"
    assert repo.get_git_ref("heads/drift/lock").object.sha == main
    matching = api(fake, "GET", "/repos/acme/stack/git/matching-refs/heads/drift").json()
    assert [m["ref"] for m in matching] == ["refs/heads/drift/lock"]
    assert api(fake, "GET", "/repos/acme/stack/git/matching-refs/heads/nope").json() == []
    with pytest.raises(GithubException) as exc:
        repo.get_git_ref("heads/nope")
    assert exc.value.status == 404
    # fast-forward only unless forced
    new = fake.commit("acme/stack", "side", {"s": "1"}, parent=main)
    ref.edit(new)
    assert repo.get_git_ref("heads/drift/lock").object.sha == new
    other = fake.commit("acme/stack", "other", {"o": "1"}, parent=main)
    with pytest.raises(GithubException) as exc:
        ref.edit(other)
    assert exc.value.status == 422 and "fast forward" in exc.value.data["message"]
    ref.edit(other, force=True)
    assert repo.get_git_ref("heads/drift/lock").object.sha == other
    ref.delete()
    with pytest.raises(GithubException):
        repo.get_git_ref("heads/drift/lock")
    gone = api(fake, "DELETE", "/repos/acme/stack/git/refs/heads/drift/lock")
    assert gone.status_code == 422


def test_create_ref_is_a_compare_and_swap_lock(fake, repo):
    main = fake.repo("acme/stack").git.resolve("main")
    results = [api(fake, "POST", "/repos/acme/stack/git/refs",
                   json={"ref": "refs/heads/lock", "sha": main}).status_code for _ in range(3)]
    assert results == [201, 422, 422]
    bad = api(fake, "POST", "/repos/acme/stack/git/refs", json={"ref": "refs/heads/l2",
                                                                "sha": "0" * 40})
    assert bad.status_code == 422 and bad.json()["message"] == "Object does not exist"


def test_branches(fake, repo):
    b = repo.get_branch("main")
    assert b.commit.sha == fake.repo("acme/stack").git.resolve("main")
    assert b.commit.commit.message == "Initial commit"
    assert b.commit.author.login == "acme"
    assert [x.name for x in repo.get_branches()] == ["main"]
    with pytest.raises(GithubException) as exc:
        repo.get_branch("nope")
    assert exc.value.status == 404


# ------------------------------------------------------------------ pull requests

def test_pull_request_lifecycle_over_real_git(fake, work, repo):
    sha = push_branch(fake, "acme/stack", work, "drift/web", {"compose.yaml": "services:\n  web:\n    image: nginx\n"},
                      "drift: web", BOT)
    pr = repo.create_pull(title="Drift: web", body="found drift", head="drift/web", base="main",
                          maintainer_can_modify=True)
    assert pr.head.sha == sha and pr.head.ref == "drift/web" and pr.base.ref == "main"
    assert pr.head.label == "acme:drift/web"
    assert pr.merged is False and pr.mergeable is True and pr.mergeable_state == "clean"
    assert (pr.commits, pr.additions, pr.deletions, pr.changed_files) == (1, 2, 1, 1)
    assert pr.user.login == BOT
    # a second PR for the same head is refused as on GitHub
    with pytest.raises(GithubException) as exc:
        repo.create_pull(title="again", body="", head="drift/web", base="main")
    assert exc.value.status == 422
    assert exc.value.data["errors"][0]["message"] == "A pull request already exists for acme:drift/web."
    # list filters
    assert [p.number for p in repo.get_pulls(head="acme:drift/web")] == [pr.number]
    assert list(repo.get_pulls(head="acme:other")) == []
    assert [p.number for p in repo.get_pulls(base="main")] == [pr.number]
    # pushing more commits moves head.sha
    sha2 = commit_files(work, {"b.txt": "b\n"}, "more")
    run_git("push", "--quiet", "origin", "HEAD:refs/heads/drift/web", cwd=work,
            header=fake.git_auth_header(BOT))
    assert repo.get_pull(pr.number).head.sha == sha2
    assert [c.sha for c in repo.get_pull(pr.number).get_commits()] == [sha, sha2]
    pr.edit(title="Drift: web (2)", body="updated")
    got = repo.get_pull(pr.number)
    assert (got.title, got.body) == ("Drift: web (2)", "updated")
    pr.edit(state="closed")
    assert repo.get_pull(pr.number).state == "closed"
    assert [p.number for p in repo.get_pulls(state="closed")] == [pr.number]
    assert list(repo.get_pulls()) == []
    pr.edit(state="open")
    assert repo.get_pull(pr.number).state == "open"


def test_head_filter_without_owner_is_ignored_like_github(fake, work, repo):
    push_branch(fake, "acme/stack", work, "one", {"1": "1"}, "one", BOT, base="main")
    push_branch(fake, "acme/stack", work, "two", {"2": "2"}, "two", BOT, base="main")
    repo.create_pull(title="1", body="", head="one", base="main")
    repo.create_pull(title="2", body="", head="two", base="main")
    assert len(list(repo.get_pulls(head="one"))) == 2
    assert len(list(repo.get_pulls(head="acme:one"))) == 1


def test_pull_422s(fake, work, repo):
    with pytest.raises(GithubException) as exc:
        repo.create_pull(title="x", body="", head="missing", base="main")
    assert exc.value.status == 422 and exc.value.data["errors"][0]["field"] == "head"
    with pytest.raises(GithubException) as exc:
        repo.create_pull(title="x", body="", head="main", base="missing")
    assert exc.value.data["errors"][0]["field"] == "base"
    run_git("push", "--quiet", "origin", "HEAD:refs/heads/same", cwd=work,
            header=fake.git_auth_header(BOT))
    with pytest.raises(GithubException) as exc:
        repo.create_pull(title="x", body="", head="same", base="main")
    assert exc.value.data["errors"][0]["message"] == "No commits between main and same"
    with pytest.raises(GithubException) as exc:
        repo.create_pull(title="x", body="", head="someone:same", base="main")
    assert exc.value.status == 422


def test_draft_pr(fake, work, repo):
    push_branch(fake, "acme/stack", work, "d", {"d": "d"}, "d", BOT)
    pr = repo.create_pull(title="draft", body="", head="d", base="main", draft=True)
    assert pr.draft is True
    with pytest.raises(GithubException) as exc:
        pr.merge()
    assert exc.value.status == 405


@pytest.mark.parametrize("method", ["merge", "squash", "rebase"])
def test_merge_really_merges(fake, work, repo, tmp_path, method):
    fake.grant("acme/stack", "alice", "maintain")
    push_branch(fake, "acme/stack", work, "drift/x", {"x.txt": "x\n"}, "add x", BOT)
    commit_files(work, {"y.txt": "y\n"}, "add y")
    run_git("push", "--quiet", "origin", "HEAD:refs/heads/drift/x", cwd=work,
            header=fake.git_auth_header(BOT))
    main_before = fake.commit("acme/stack", "main", {"other.txt": "o\n"}, "meanwhile on main")
    pr = repo.create_pull(title="Drift x", body="", head="drift/x", base="main")
    head_sha = pr.head.sha
    status = fake.github_client("alice").get_repo("acme/stack").get_pull(pr.number).merge(
        merge_method=method)
    assert status.merged is True
    got = repo.get_pull(pr.number)
    assert got.merged and got.state == "closed" and got.merged_by.login == "alice"
    assert got.merge_commit_sha == status.sha and got.merged_at is not None
    assert got.head.sha == head_sha and got.commits == 2
    assert repo.get_pull(pr.number).is_merged()
    bare = fake.repo("acme/stack").git
    main = bare.resolve("main")
    assert main == status.sha
    info = bare.commit_info(main)
    if method == "merge":
        assert info.parents == [main_before, head_sha]
        assert info.message.startswith(f"Merge pull request #{pr.number} from acme/drift/x")
    elif method == "squash":
        assert info.parents == [main_before]
        assert info.message.startswith(f"Drift x (#{pr.number})")
    else:
        assert bare.commit_info(info.parents[0]).message == "add x"
    # the merged main is there for a fresh clone (re-run the bot on it)
    fresh = clone(fake, "acme/stack", tmp_path / "fresh", login=BOT)
    assert {(fresh / f).read_text() for f in ("x.txt", "y.txt", "other.txt")} == {"x\n", "y\n", "o\n"}
    with pytest.raises(GithubException) as exc:
        got.merge()
    assert exc.value.status == 405


def test_merge_conflict_and_sha_guard(fake, work, repo):
    push_branch(fake, "acme/stack", work, "c", {"compose.yaml": "from branch\n"}, "branch", BOT)
    pr = repo.create_pull(title="c", body="", head="c", base="main")
    assert pr.is_merged() is False  # GET .../merge answers 404 with no body
    with pytest.raises(GithubException) as exc:
        pr.merge(sha="0" * 40)
    assert exc.value.status == 409
    fake.commit("acme/stack", "main", {"compose.yaml": "from main\n"}, "main moved")
    got = repo.get_pull(pr.number)
    assert got.mergeable is False and got.mergeable_state == "dirty"
    with pytest.raises(GithubException) as exc:
        got.merge()
    assert exc.value.status == 405
    assert repo.get_pull(pr.number).merged is False


def test_merge_needs_write(fake, work, repo):
    push_branch(fake, "acme/stack", work, "w", {"w": "w"}, "w", BOT)
    pr = repo.create_pull(title="w", body="", head="w", base="main")
    with pytest.raises(GithubException) as exc:
        fake.github_client("alice").get_repo("acme/stack").get_pull(pr.number).merge()
    assert exc.value.status == 403


def test_deleting_head_branch_by_push_closes_open_pr(fake, work, repo):
    push_branch(fake, "acme/stack", work, "gone", {"g": "g"}, "g", BOT)
    pr = repo.create_pull(title="g", body="", head="gone", base="main")
    head = pr.head.sha
    run_git("push", "--quiet", "origin", ":gone", cwd=work, header=fake.git_auth_header(BOT))
    assert fake.repo("acme/stack").git.ref_sha("refs/heads/gone") is None
    got = repo.get_pull(pr.number)
    assert got.state == "closed" and got.merged is False and got.head.sha == head
    with pytest.raises(GithubException) as exc:
        got.edit(state="open")
    assert exc.value.status == 422


def test_merged_pr_stays_merged_when_branch_deleted(fake, work, repo):
    push_branch(fake, "acme/stack", work, "m", {"m": "m"}, "m", BOT)
    pr = repo.create_pull(title="m", body="", head="m", base="main")
    pr.merge()
    repo.get_git_ref("heads/m").delete()
    got = repo.get_pull(pr.number)
    assert got.merged is True and got.state == "closed"


def test_pushing_head_into_base_marks_pr_merged(fake, work, repo):
    sha = push_branch(fake, "acme/stack", work, "ff", {"f": "f"}, "f", BOT)
    pr = repo.create_pull(title="ff", body="", head="ff", base="main")
    run_git("push", "--quiet", "origin", f"{sha}:refs/heads/main", cwd=work,
            header=fake.git_auth_header(BOT))
    got = repo.get_pull(pr.number)
    assert got.merged is True and got.merge_commit_sha == sha


def test_pr_base_change(fake, work, repo):
    main = fake.repo("acme/stack").git.resolve("main")
    fake.commit("acme/stack", "release", {"r": "r"}, parent=main)
    push_branch(fake, "acme/stack", work, "feat", {"f": "f"}, "f", BOT, base="main")
    pr = repo.create_pull(title="f", body="", head="feat", base="main")
    pr.edit(base="release")
    assert repo.get_pull(pr.number).base.ref == "release"
    with pytest.raises(GithubException):
        pr.edit(base="nope")
