"""The fake and its clients are held to GitHub's official OpenAPI description."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests
from jsonschema import Draft202012Validator

from tests.fakegithub import ContractViolation, FakeGitHub
from tests.fakegithub.testing import BOT, api, seed
from tests.fakegithub.api import ROUTES
from tests.fakegithub.contract import SPEC_PATH, OpenAPIContract, convert_schema
from tests.fakegithub.operations import OPENAPI_VERSION, SERVED_OPERATIONS
from tests.fakegithub.render import Renderer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    return seed(fake_github)




# ------------------------------------------------------------------ the pinned copy

def test_subset_is_pinned_and_self_contained():
    spec = json.loads(SPEC_PATH.read_text())
    assert spec["x-subset-of"]["package"] == "@octokit/openapi"
    assert spec["x-subset-of"]["version"] == OPENAPI_VERSION
    assert OPENAPI_VERSION.startswith("23.")
    text = SPEC_PATH.read_text()
    for kind, names in spec["components"].items():
        for name in names:
            assert f'"#/components/{kind}/{name}"' in text
    refs = set()

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "$ref":
                    refs.add(v)
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(spec["paths"])
    walk(spec["components"])
    for ref in refs:
        _, _, kind, name = ref.split("/", 3)
        assert name in spec["components"][kind], f"dangling {ref}"


def test_fake_serves_exactly_the_pinned_operations():
    contract = OpenAPIContract.load()
    served = set(SERVED_OPERATIONS)
    assert contract.served == served
    assert set(ROUTES) == served
    for method, path in served:
        assert method in contract.spec["x-documented-operations"][path]


@pytest.mark.skipif(os.environ.get("FAKEGITHUB_CHECK_UPSTREAM") != "1" or not shutil.which("npm"),
                    reason="set FAKEGITHUB_CHECK_UPSTREAM=1 (needs npm and the npm registry)")
def test_subset_matches_the_npm_package():
    script = ROOT / "tests" / "fakegithub" / "openapi" / "regenerate.py"
    p = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr


# ------------------------------------------------------------------ conversion

def _validator(schema):
    return Draft202012Validator(convert_schema(schema))


def test_nullable_is_honoured():
    v = _validator({"type": "string", "nullable": True})
    assert v.is_valid(None) and v.is_valid("x") and not v.is_valid(1)
    v = _validator({"type": "string", "enum": ["a"], "nullable": True})
    assert v.is_valid(None) and v.is_valid("a") and not v.is_valid("b")
    v = _validator({"type": "string"})
    assert not v.is_valid(None)
    v = _validator({"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}}],
                    "nullable": True})
    assert v.is_valid(None) and v.is_valid({"a": 1}) and not v.is_valid({"a": 1, "b": 2})


def test_objects_are_closed():
    v = _validator({"type": "object", "properties": {"a": {"type": "integer"}}})
    assert v.is_valid({"a": 1}) and not v.is_valid({"a": 1, "extra": True})
    v = _validator({"type": "object", "properties": {"a": {}}, "additionalProperties": True})
    assert v.is_valid({"b": 1})


def test_discriminator_picks_the_mapped_schema():
    contract = OpenAPIContract.load()
    op, _ = contract.match("GET", "/user")
    r = Renderer("http://127.0.0.1:1")
    from datetime import datetime, timezone
    from tests.fakegithub.state import User
    u = User("alice", 1, "User", datetime(2024, 1, 1, tzinfo=timezone.utc))
    private = json.dumps(r.full_user(u, True, 0, 0)).encode()
    assert contract.check_response(op, 200, private) == []
    broken = r.full_user(u, True, 0, 0)
    del broken["two_factor_authentication"]  # required by private-user only
    assert contract.check_response(op, 200, json.dumps(broken).encode())


# ------------------------------------------------------------------ catching drift

def test_contract_catches_a_missing_field(fake, monkeypatch):
    original = Renderer.issue

    def broken(self, i):
        d = original(self, i)
        del d["number"]
        return d
    monkeypatch.setattr(Renderer, "issue", broken)
    fake.add_issue("acme/stack", "x")
    api(fake, "GET", "/repos/acme/stack/issues/1")
    (v,) = fake.contract.take()
    assert v.side == "response" and v.kind == "bad-response"
    assert "'number' is a required property" in v.message


def test_contract_catches_an_invented_field_and_wrong_types(fake, monkeypatch):
    original = Renderer.comment

    def broken(self, c):
        d = original(self, c)
        d["invented"] = 1
        d["id"] = str(d["id"])
        d["created_at"] = "2024-01-01 10:00:00"
        return d
    monkeypatch.setattr(Renderer, "comment", broken)
    fake.add_issue("acme/stack", "x")
    api(fake, "POST", "/repos/acme/stack/issues/1/comments", json={"body": "hi"})
    messages = " | ".join(v.message for v in fake.contract.take())
    assert "'invented' was unexpected" in messages
    assert "is not of type 'integer'" in messages
    assert "is not a 'date-time'" in messages


def test_contract_catches_a_non_nullable_null(fake, monkeypatch):
    original = Renderer.label

    def broken(self, r, lb, **kw):
        d = original(self, r, lb, **kw)
        d["color"] = None
        return d
    monkeypatch.setattr(Renderer, "label", broken)
    api(fake, "GET", "/repos/acme/stack/labels/bug")
    assert any("None is not of type 'string'" in v.message for v in fake.contract.take())


def test_undocumented_status_is_caught(fake, monkeypatch):
    from tests.fakegithub import api as handlers
    from tests.fakegithub.httputil import Reply
    monkeypatch.setitem(handlers.ROUTES, ("GET", "/repos/{owner}/{repo}/labels/{name}"),
                        lambda ctx: Reply(201, {"message": "hm"}))
    api(fake, "GET", "/repos/acme/stack/labels/bug")
    (v,) = fake.contract.take()
    assert "status 201 is not documented" in v.message


def test_undocumented_request_is_caught(fake):
    r = api(fake, "POST", "/repos/acme/stack/drift-report", json={"x": 1})
    assert r.status_code == 404
    (v,) = fake.contract.take()
    assert (v.side, v.kind) == ("request", "undocumented-request")
    assert "CLIENT sent POST /repos/acme/stack/drift-report" in str(v)


def test_documented_but_unimplemented_is_caught(fake):
    r = api(fake, "GET", "/repos/acme/stack/contents/README.md")
    assert r.status_code == 404
    (v,) = fake.contract.take()
    assert v.kind == "unimplemented" and v.template == "/repos/{owner}/{repo}/contents/{path}"


def test_bad_request_bodies_and_queries_are_caught(fake):
    r = api(fake, "POST", "/repos/acme/stack/issues", json={"titel": "typo"})
    assert r.status_code == 422
    msgs = [v.message for v in fake.contract.take()]
    assert any("'title' is a required property" in m for m in msgs)
    assert any("'titel' was unexpected" in m for m in msgs)
    api(fake, "GET", "/repos/acme/stack/pulls", params={"state": "merged", "colour": "red"})
    msgs = [v.message for v in fake.contract.take()]
    assert any("'colour' is not documented" in m for m in msgs)
    assert any("state='merged' not in" in m for m in msgs)
    api(fake, "POST", "/repos/acme/stack/git/refs", json={"ref": "refs/heads/x"})
    assert any("'sha' is a required property" in v.message for v in fake.contract.take())


def test_pygithub_calls_are_documented(fake):
    """A tour of the PyGithub calls the bot uses: none may trip the contract."""
    g = fake.github_client(BOT)
    repo = g.get_repo("acme/stack")
    issue = repo.create_issue("t", body="b", labels=["bug"])
    child = repo.create_issue("c")
    issue.add_sub_issue(child.id)
    list(issue.get_sub_issues())
    issue.remove_sub_issue(child.id)
    issue.create_comment("x").create_reaction("heart")
    issue.create_reaction("+1")
    list(repo.get_issues(state="all", labels=["bug"], creator=BOT))
    repo.get_collaborator_permission(BOT)
    g.get_rate_limit()
    repo.get_branch("main")
    assert fake.contract.violations == []


def test_prioritize_sub_issue_without_anchor_is_flagged(fake):
    """PyGithub sends after_id: null when no anchor is given; the description says integer."""
    g = fake.github_client(BOT, retry=None)
    repo = g.get_repo("acme/stack")
    parent, a, b = (repo.create_issue(t) for t in "pab")
    parent.add_sub_issue(a.id)
    parent.add_sub_issue(b.id)
    parent.prioritize_sub_issue(b.id, a.id)  # with an anchor: fine
    assert fake.contract.violations == []
    with pytest.raises(Exception):
        parent.prioritize_sub_issue(b.id, None)
    assert any("after_id" in v.message for v in fake.contract.take())


@pytest.mark.fake_github(strict=False)
def test_non_strict_fake_does_not_fail_the_test(fake):
    api(fake, "GET", "/repos/acme/stack/nothing-here")
    assert len(fake.contract.violations) == 1


def test_context_manager_raises_on_violations():
    with pytest.raises(ContractViolation):
        with FakeGitHub() as fake:
            requests.get(fake.api_url + "/nope", timeout=5)


def test_a_violation_fails_the_test_that_caused_it(tmp_path):
    test = tmp_path / "test_drift.py"
    test.write_text(textwrap.dedent("""
        import requests

        def test_bot_calls_something_github_does_not_have(fake_github):
            fake_github.add_repo("o/r")
            requests.get(fake_github.api_url + "/repos/o/r/driftz", timeout=5)
    """))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.fakegithub.plugin",
                        "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(test)],
                       capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "1 failed" in p.stdout
    assert "undocumented-request: CLIENT sent GET /repos/o/r/driftz" in p.stdout


def test_validation_is_fast_enough(fake):
    for n in range(100):
        fake.add_issue("acme/stack", f"issue {n}", body="x" * 50, labels=["bug"])
    t0 = time.monotonic()
    for page in (1, 2, 3, 4):
        api(fake, "GET", "/repos/acme/stack/issues", params={"per_page": 25, "page": page})
    for n in range(1, 101):
        api(fake, "GET", f"/repos/acme/stack/issues/{n}")
    elapsed = time.monotonic() - t0
    assert fake.contract.violations == []
    assert elapsed < 5, elapsed
