"""bot/compare/text.py (and its use by compare): any other file, the Caddyfile, by hunks.

Blank lines and whitespace inside or around a line are cosmetic; a run of changed lines is one
divergence. Pointers name lines of main: `/L{n}` for a hunk starting there, `/L{n}+1` for
lines added after line n (`/L0+1` before the first line).
"""
from __future__ import annotations

from pathlib import Path

from bot.compare.text import text_hunks
from tests.compare_support import TrackedFile

CADDYFILE = "voice/caddy/Caddyfile"
MAIN = (Path(__file__).resolve().parent.parent / "voice" / "caddy" / "Caddyfile").read_text()


# Tabs and blank lines are the subject here: the texts are compared exactly as written.
divergences = TrackedFile(CADDYFILE, "caddy/Caddyfile", dedent=False).divergences


# --- text_hunks ---------------------------------------------------------------------

def test_equal_texts_have_no_hunks():
    assert list(text_hunks("a\nb\n", "a\nb\n")) == []


# A hunk is (kind, pointer, anchor line in main, first line live, line numbers in main, line numbers live).

def test_a_changed_line_is_a_changed_hunk_with_both_line_numbers():
    assert list(text_hunks("a\nb\nc\n", "a\nB\nc\n")) == [("changed", "/b", 2, 2, [2], [2])]


def test_an_added_line_is_anchored_after_a_line_of_main():
    assert list(text_hunks("a\nb\n", "a\nx\nb\n")) == [("added", "/+x", 1, 2, [], [2])]


def test_a_removed_line_is_anchored_at_its_line_in_main():
    kind, pointer, anchor, _, old, new = next(text_hunks("a\nb\nc\n", "a\nc\n"))
    assert (kind, pointer, anchor, old, new) == ("removed", "/b", 2, [2], [])


def test_line_numbers_count_the_blank_lines_of_the_file():
    assert list(text_hunks("a\n\n\nb\n", "a\n\n\nB\n")) == [("changed", "/b", 4, 4, [4], [4])]


# --- cosmetic differences ----------------------------------------------------------

def test_the_same_caddyfile_is_no_divergence():
    assert divergences(MAIN, MAIN) == []


def test_indentation_is_cosmetic():
    assert divergences(MAIN, MAIN.replace("\t", "    ")) == []


def test_blank_lines_are_cosmetic():
    live = MAIN.replace("\n\n", "\n").replace("encode gzip\n", "encode gzip\n\n\n")
    assert divergences(MAIN, live) == []


def test_spacing_inside_a_line_and_trailing_spaces_are_cosmetic():
    live = MAIN.replace("reverse_proxy vllm-voxtral:8000", "reverse_proxy     vllm-voxtral:8000   ")
    assert divergences(MAIN, live) == []


def test_comment_lines_are_cosmetic():
    live = MAIN.replace("\tencode gzip\n", "\t# compress answers\n\tencode gzip\n")
    assert divergences(MAIN, live) == []


def test_line_endings_are_cosmetic():
    assert divergences(MAIN, MAIN.replace("\n", "\r\n")) == []


# --- real differences ------------------------------------------------------------

def test_a_changed_line_is_one_divergence_at_its_line_in_main():
    live = MAIN.replace("reverse_proxy vllm-voxtral:8000", "reverse_proxy vllm-voxtral:8010")
    (d,) = divergences(MAIN, live)
    assert (d.file, d.pointer, d.kind) == (CADDYFILE, "/reverse_proxy vllm-voxtral:8000", "changed")
    assert d.before == "\t\treverse_proxy vllm-voxtral:8000"
    assert d.after == "\t\treverse_proxy vllm-voxtral:8010"
    assert d.line == 9


def test_a_line_added_live_is_placed_after_the_line_of_main_before_it():
    live = MAIN.replace("\tencode gzip\n", "\tencode gzip\n\tlog\n")
    (d,) = divergences(MAIN, live)
    assert (d.pointer, d.kind, d.before, d.after, d.line) == ("/+log", "added", None, "\tlog", 7)


def test_a_line_added_at_the_top_is_named_by_its_content():
    (d,) = divergences("a\nb\n", "# managed by hand\nx\na\nb\n")
    assert (d.pointer, d.kind, d.line) == ("/+x", "added", 2)


def test_a_line_added_at_the_end_is_after_the_last_line():
    (d,) = divergences("a\nb\n", "a\nb\nc\n")
    assert (d.pointer, d.kind, d.after) == ("/+c", "added", "c")


def test_a_removed_block_is_one_divergence_with_all_its_lines():
    live = MAIN.replace("\thandle_path /stt/* {\n\t\treverse_proxy vllm-whisper:8001\n\t}\n", "")
    (d,) = divergences(MAIN, live)
    assert (d.pointer, d.kind, d.after) == ("/handle_path ~1stt~1* {", "removed", None)
    assert d.before == "\thandle_path /stt/* {\n\t\treverse_proxy vllm-whisper:8001\n\t}"


def test_two_separate_edits_are_two_divergences():
    live = MAIN.replace("encode gzip", "encode zstd gzip").replace("respond \"voice stack\" 200", "respond \"ok\" 200")
    assert [(d.pointer, d.kind) for d in divergences(MAIN, live)] == [("/encode gzip", "changed"), ('/respond "voice stack" 200', "changed")]


def test_a_changed_line_after_blank_lines_shows_the_lines_without_the_blanks():
    (d,) = divergences("a\n\nb\nc\n", "a\n\nB\n\nC\n")
    assert (d.pointer, d.kind) == ("/b", "changed")
    assert (d.before, d.after) == ("b\nc", "B\nC")


def test_a_hunk_keeps_its_name_when_main_gains_lines_elsewhere():
    live = MAIN.replace("reverse_proxy vllm-voxtral:8000", "reverse_proxy vllm-voxtral:8010")
    shifted = "# header\n:9000 {\n\trespond 204\n}\n\n" + MAIN
    before = [(d.pointer, d.kind) for d in divergences(MAIN, live)]
    after = [(d.pointer, d.kind) for d in divergences(shifted, "# header\n:9000 {\n\trespond 204\n}\n\n" + live)]
    assert before == after == [("/reverse_proxy vllm-voxtral:8000", "changed")]


def test_a_repeated_line_is_named_by_its_occurrence():
    (d,) = divergences("a {\n}\nb {\n}\n", "a {\n}\nb {\n\tlog\n}\n")
    assert (d.pointer, d.kind) == ("/+log", "added")
    (d,) = divergences("a {\n\tx\n}\nb {\n\tx\n}\n", "a {\n\tx\n}\nb {\n\ty\n}\n")
    assert d.pointer == "/x[1]"


# --- secrets -------------------------------------------------------------------------

def test_a_rotated_bearer_token_is_no_divergence():
    main = 'voice.example.com {\n\theader Authorization "Bearer Zq8vLmN3pR7sT1uWx4yA6bC9dE2fG5hJ"\n}\n'
    live = 'voice.example.com {\n\theader Authorization "Bearer Kp2mQ9rS4tU7vW1xY3zA5bC8dE0fG6hJ"\n}\n'
    assert divergences(main, live) == []


def test_an_added_bearer_header_is_shown_redacted_and_marked_secret():
    live = MAIN.replace("\tencode gzip\n", '\tencode gzip\n\theader Authorization "Bearer Zq8vLmN3pR7sT1uWx4yA6bC9dE2fG5hJ"\n')
    (d,) = divergences(MAIN, live)
    assert (d.kind, d.secret) == ("added", True)
    assert "Zq8vLmN3" not in d.after and "<redacted" in d.after
