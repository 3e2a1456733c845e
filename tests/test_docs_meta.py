"""meta.json beside the docs pages: sidebar order, idempotence, humans' keys kept, Fumadocs' shape."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import DocsConfig
from bot.docs_meta import MetaError, entry_problem, meta_problems, meta_updates, update_meta

OPS = json.dumps({
    "title": "Operations",
    "icon": "Server",
    "defaultOpen": True,
    "pages": ["index", "voice-stack-architecture", "---Handovers---", "handover-2026-03-02-gpu",
              "handover-2026-01-15-first", "---Elsewhere---", "[Status](https://status.example.com)", "!drafts", "..."],
    "x-owner": {"team": "voice"},
}, indent=2) + "\n"
HEAD = ["index", "voice-stack-architecture"]


def pages(text: str) -> list[str]:
    return json.loads(text)["pages"]


def test_newest_first_puts_a_new_handover_above_older_ones_after_the_head() -> None:
    out = update_meta(OPS, ["handover-2026-04-24-voice-bringup"], head=HEAD)
    assert pages(out)[:5] == ["index", "voice-stack-architecture", "---Handovers---", "handover-2026-04-24-voice-bringup",
                              "handover-2026-03-02-gpu"]


def test_an_older_date_goes_between_the_dates_around_it() -> None:
    out = update_meta(OPS, ["handover-2026-02-01-mid"], head=HEAD)
    assert pages(out)[3:6] == ["handover-2026-03-02-gpu", "handover-2026-02-01-mid", "handover-2026-01-15-first"]


def test_a_head_page_goes_to_its_place_in_the_head() -> None:
    meta = json.dumps({"title": "Ops", "pages": ["index", "handover-2026-03-02-gpu"]})
    out = update_meta(meta, ["voice-stack-architecture", "handover-2026-04-24-x"], head=HEAD)
    assert pages(out) == ["index", "voice-stack-architecture", "handover-2026-04-24-x", "handover-2026-03-02-gpu"]


def test_append_puts_new_pages_last() -> None:
    out = update_meta(OPS, ["handover-2026-04-24-voice-bringup"], order="append", head=HEAD)
    assert pages(out)[-1] == "handover-2026-04-24-voice-bringup" and pages(out)[:-1] == pages(OPS)


def test_everything_else_is_kept_and_a_second_run_changes_nothing() -> None:
    once = update_meta(OPS, ["handover-2026-04-24-voice-bringup", "voice-stack-architecture"], head=HEAD)
    data, before = json.loads(once), json.loads(OPS)
    assert {k: v for k, v in data.items() if k != "pages"} == {k: v for k, v in before.items() if k != "pages"}
    assert list(data) == list(before)  # key order too
    assert [p for p in data["pages"] if p != "handover-2026-04-24-voice-bringup"] == before["pages"]
    assert update_meta(once, ["handover-2026-04-24-voice-bringup", "voice-stack-architecture"], head=HEAD) == once


def test_a_listed_or_excluded_page_leaves_the_file_byte_for_byte() -> None:
    odd = '{"pages":["./index","!drafts"],   "title":"Ops"}'
    assert update_meta(odd, ["index", "drafts"]) == odd


def test_without_a_file_one_is_made_that_hides_no_page() -> None:
    out = json.loads(update_meta(None, ["handover-2026-04-24-x"], title="Operations"))
    assert out == {"title": "Operations", "pages": ["handover-2026-04-24-x", "..."]}
    assert json.loads(update_meta('{"title": "Ops"}', ["a"]))["pages"] == ["a", "..."]  # no `pages` meant: all pages


def test_invalid_json_is_an_error_naming_the_file() -> None:
    with pytest.raises(MetaError, match=r"apps/docs/operations/meta.json is not valid JSON .*it was not changed"):
        update_meta('{"pages": [,]}', ["x"], path="apps/docs/operations/meta.json")
    with pytest.raises(MetaError, match=r"meta.json: `pages\[1\]` must be a string"):
        update_meta('{"pages": ["a", 3]}', ["x"])
    with pytest.raises(MetaError, match="docs.sidebar must be one of newest-first, append"):
        update_meta(None, ["x"], order="oldest-first")


def test_meta_updates_names_the_broken_file_and_returns_no_text_for_it() -> None:
    docs = DocsConfig(dir="ops", changelog="log", head=tuple(HEAD))
    files = {"ops/meta.json": "{oops", "log/meta.json": None}
    with pytest.raises(MetaError, match="ops/meta.json is not valid JSON"):
        meta_updates(["ops/handover-2026-04-24-x.mdx"], docs, files.get)
    out = meta_updates(["log/2026-04-24-x.mdx", "log/2026-05-01-y.mdx"], docs, files.get)
    assert pages(out["log/meta.json"]) == ["2026-05-01-y", "2026-04-24-x", "..."]


@pytest.mark.parametrize("entry", ["index", "../guides/intro", "...", "z...a", "...folder", "---Separator---",
                                   "---[Server]Ops---", "[Status](https://status.example.com)",
                                   "[Icon][Text](https://x.io/a)", "external:[Docs](https://x.io)", "!drafts"])
def test_fumadocs_entries_are_accepted(entry: str) -> None:
    assert entry_problem(entry) is None


@pytest.mark.parametrize("entry", ["", " index", "[Broken](no close", "---Sep", "!", 3, None, "a\nb"])
def test_malformed_entries_are_named(entry: object) -> None:
    assert entry_problem(entry)


def test_the_shape_fumadocs_reads() -> None:
    assert meta_problems(json.loads(OPS)) == []
    assert meta_problems({"title": 1, "pages": "index", "root": "yes"}) == [
        "`title` must be a string", "`root` must be true or false", "`pages` must be a list of strings"]


names = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
dated = st.builds(lambda d, n: f"handover-2026-{d:02d}-01-{n}", st.integers(1, 12), names)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(names, dated), unique=True, max_size=8), st.lists(st.one_of(names, dated), max_size=4),
       st.sampled_from(["newest-first", "append"]))
def test_any_update_keeps_old_entries_in_order_adds_each_new_page_once_and_is_idempotent(old, new, order) -> None:
    text = json.dumps({"title": "T", "pages": old, "keep": [1, 2]})
    once = update_meta(text, new, order=order, head=["index"])
    data = json.loads(once)
    assert [p for p in data["pages"] if p in old] == old
    assert set(data["pages"]) == set(old) | set(new) and len(data["pages"]) == len(set(old) | set(new))
    assert data["keep"] == [1, 2] and meta_problems(data) == []
    assert update_meta(once, new, order=order, head=["index"]) == once
