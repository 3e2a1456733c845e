"""How the bot reads GitHub: conditional requests answered from the kept ETags, and the memory
of closed pull requests beyond the first page of the listing."""
from __future__ import annotations

import json
from pathlib import Path

from bot.adapters.etags import EtagCache, request_key
from tests.github_world import BOT, HUMAN, REPO, World


# --- the cache itself ------------------------------------------------------------------

def test_an_answer_kept_is_found_again_by_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "cache.json"
    first = EtagCache(path, now=1000.0)
    key = request_key("https://api.example/repos/a/b/pulls", {"state": "all", "page": 1})
    first.store(key, 'W/"abc"', [{"number": 1}])
    again = EtagCache(path, now=2000.0)
    assert again.etag(key) == 'W/"abc"'
    assert again.answer(key) == [{"number": 1}]


def test_the_request_key_does_not_depend_on_the_order_of_the_parameters() -> None:
    assert request_key("u", {"a": 1, "b": 2}) == request_key("u", {"b": 2, "a": 1}) == "u?a=1&b=2"
    assert request_key("u", None) == "u"


def test_an_answer_without_an_etag_is_not_kept_and_forgets_an_older_one(tmp_path: Path) -> None:
    cache = EtagCache(tmp_path / "c.json")
    cache.store("k", 'W/"1"', {"x": 1})
    cache.store("k", None, {"x": 2})
    assert cache.etag("k") is None
    assert EtagCache(tmp_path / "c.json").etag("k") is None


def test_an_unreadable_cache_file_only_costs_full_reads(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    for broken in ("{not json", json.dumps([1, 2]), json.dumps({"entries": {"k": {"etag": 3}}})):
        path.write_text(broken)
        cache = EtagCache(path)
        assert cache.etag("k") is None
        cache.store("k", 'W/"1"', 1)
        assert EtagCache(path).etag("k") == 'W/"1"'


def test_answers_not_asked_for_in_a_month_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    cache = EtagCache(path, now=0.0)
    cache.store("old", 'W/"1"', 1)
    later = EtagCache(path, now=40 * 24 * 3600.0)
    later.store("new", 'W/"2"', 2)
    kept = EtagCache(path)
    assert kept.etag("old") is None and kept.etag("new") == 'W/"2"'


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = EtagCache(blocker / "sub" / "c.json")  # its folder cannot be made
    cache.store("k", 'W/"1"', 1)
    assert cache.etag("k") == 'W/"1"'


def test_the_cache_lives_under_drift_cache_dir_else_the_xdg_cache(monkeypatch, tmp_path: Path) -> None:
    from bot.cache import cache_dir

    monkeypatch.setenv("DRIFT_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("DRIFT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "drift-bot"
    path = EtagCache.for_repository("http://127.0.0.1:8080/api/v3", "owner/name", "tok-1").path
    assert path is not None and path.parent == tmp_path / "xdg" / "drift-bot"
    assert path.name.startswith("127.0.0.1_8080--owner--name--") and "tok-1" not in path.name
    # GitHub's ETags are per token: another token keeps its answers apart.
    assert EtagCache.for_repository("http://127.0.0.1:8080/api/v3", "owner/name", "tok-2").path != path


# --- against the fake GitHub ------------------------------------------------------------

def test_a_new_token_reads_in_full_as_on_github_where_etags_are_per_token(world: World) -> None:
    """GITHUB_TOKEN is new every Actions job: the ETags kept by the last job earn no 304."""
    assert world.drift("apply")[0] == 0
    assert world.drift("apply")[0] == 0
    world.fake.revoke_token(BOT)  # the next job's token
    world.fake.reset_log()
    code, _, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert world.fake.count("reads", kind="api") > 0 and world.fake.count("not_modified") == 0
    world.fake.reset_log()
    assert world.drift("apply")[0] == 0  # the same token again: answered from its own ETags
    assert world.fake.count("not_modified") == world.fake.count("reads", kind="api") > 0


def test_a_no_op_run_is_answered_from_the_kept_etags_and_costs_no_budget(tracked_world: World) -> None:
    world = tracked_world
    assert world.drift("apply")[0] == 0
    assert world.drift("apply")[0] == 0  # reads fresh what the first run wrote after reading it
    world.fake.reset_log()
    remaining = world.fake.rate_limit(BOT).remaining
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    reads = world.fake.count("reads", kind="api")
    assert reads > 0 and world.fake.count("not_modified") == reads
    assert world.fake.count("writes", kind="any") == 0
    assert world.fake.rate_limit(BOT).remaining == remaining


def test_a_changed_answer_is_read_in_full_and_used(world: World) -> None:
    world.drift("apply")
    number = next(p.number for p in world.pulls() if p.pull.head_ref == "drift/r-9")
    world.gh().get_pull(number).edit(state="closed")  # the listing changes: its ETag no longer matches
    world.fake.reset_log()
    code, out, err = world.drift("plan")
    assert code == 0, err
    listing = world.fake.requests("reads", endpoint="/repos/{owner}/{repo}/pulls")
    assert listing and listing[0].status == 200
    assert f"#{number} with these same fixes was closed without merging" in out  # the fresh listing was used


def test_without_a_kept_cache_every_read_is_full(world: World, _etag_cache: Path) -> None:
    world.drift("apply")
    for kept in _etag_cache.iterdir():
        kept.write_text("garbage")
    world.fake.reset_log()
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert world.fake.count("not_modified") == 0
    assert out == "nothing to do: GitHub already matches the live host\n"


def test_a_pr_a_human_closed_long_ago_is_still_respected_behind_a_hundred_newer_ones(world: World) -> None:
    world.drift("apply")
    number = next(p.number for p in world.pulls() if p.pull.head_ref == "drift/r-9")
    world.gh().get_pull(number).edit(state="closed")
    world.fake.commit(REPO, "feature", {"notes.md": "work\n"}, "a human's branch", author=HUMAN)
    for i in range(101):  # newer pull requests push the closed one off the listing's only page
        world.fake.add_pull(REPO, "feature", title=f"human work {i}", user=HUMAN)
    world.fake.reset_log()
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert len([p for p in world.pulls() if p.pull.head_ref == "drift/r-9"]) == 1
    lookups = [e for e in world.fake.requests("reads", endpoint="/repos/{owner}/{repo}/pulls")
               if "head" in (e.query or {})]
    assert lookups, "the branch about to be proposed was looked up by head"


def test_a_short_listing_is_complete_and_needs_no_look_up(world: World) -> None:
    world.drift("apply")
    world.fake.reset_log()
    world.drift("apply")
    assert not [e for e in world.fake.requests("reads", endpoint="/repos/{owner}/{repo}/pulls") if "head" in (e.query or {})]
