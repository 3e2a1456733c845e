"""bot/compare/dotenv.py (and its use by compare): `.env` files compared key by key.

A `.env` is read as compose reads it; what changes the environment a container gets is a
divergence at `/KEY`, what does not (order, comments, blank lines, quoting, `export`) is not.
Secret keys live on the host, so they are compared by presence only.
"""
from __future__ import annotations

from textwrap import dedent

import pytest

from bot.compare.dotenv import DotenvError, EnvEntry, parse_dotenv
from tests.compare_support import TrackedFile

ENV = "voice/.env.example"
FAKE_HF = "hf_" "AbCdEfGhIjKlMnOpQrStUvWxYz012345"  # assembled: no token-shaped literal in the source


_FILE = TrackedFile(ENV, ".env")
divergences, same = _FILE.divergences, _FILE.same


def values(text: str) -> dict[str, str | None]:
    return {k: e.value for k, e in parse_dotenv(dedent(text)).items()}


# --- parsing: what compose reads ---------------------------------------------------

# (what the file says, what compose reads): each row is one rule of compose's reading.
READINGS = {
    "a plain assignment is read by key": (
        "LOG_LEVEL=info\nTTS_VOICE=default\n", {"LOG_LEVEL": "info", "TTS_VOICE": "default"}),
    "an export prefix is ignored": ("export LOG_LEVEL=info\n", {"LOG_LEVEL": "info"}),
    "double and single quotes are removed": (
        "A=\"hello world\"\nB='hello world'\n", {"A": "hello world", "B": "hello world"}),
    "escapes are read inside double quotes only": ("A=\"a\\nb\"\nB='a\\nb'\n", {"A": "a\nb", "B": "a\\nb"}),
    "an escaped quote does not close its value": ("A=\"say \\\"hi\\\"\"\nB='it\\'s'\n", {"A": 'say "hi"', "B": "it's"}),
    "an inline comment after whitespace is not part of the value": ("LOG_LEVEL=info # or debug\n", {"LOG_LEVEL": "info"}),
    "a hash without whitespace before it is part of the value": (
        "COLOR=#ff0000\nURL=http://x/#frag\n", {"COLOR": "#ff0000", "URL": "http://x/#frag"}),
    "a hash inside quotes is part of the value": ("A=\"x # y\"\nB='x # y'\n", {"A": "x # y", "B": "x # y"}),
    "a comment after a quoted value is ignored": ("A=\"x\"  # note\n", {"A": "x"}),
    "an empty assignment is an empty string": ("HF_TOKEN=\n", {"HF_TOKEN": ""}),
    "a bare name takes its value from the shell": ("HF_TOKEN\n", {"HF_TOKEN": None}),
    "comments and blank lines are skipped": ("# heading\n\n   \n  # indented comment\nA=1\n", {"A": "1"}),
    "windows line endings are read like unix ones": ("A=1\r\nB=\"two\"\r\n", {"A": "1", "B": "two"}),
    # compose's dotenv parser reads a quoted value up to its closing quote, across lines.
    "a multi-line double-quoted value is one value": (
        'CERT="line one\nline two"\nNEXT=1\n', {"CERT": "line one\nline two", "NEXT": "1"}),
    "a multi-line single-quoted value is one value": ("S='one\n# two'\nNEXT=1\n", {"S": "one\n# two", "NEXT": "1"}),
}


@pytest.mark.parametrize("text, expected", READINGS.values(), ids=list(READINGS))
def test_a_file_is_read_as_compose_reads_it(text, expected):
    assert values(text) == expected


def test_the_last_assignment_of_a_key_wins():
    parsed = parse_dotenv("A=1\nB=2\nA=3\n")
    assert parsed["A"] == EnvEntry("A", "3", 3)
    assert list(parsed) == ["B", "A"]


def test_a_key_after_a_multi_line_value_keeps_its_own_line_number():
    parsed = parse_dotenv('CERT="one\ntwo\nthree"\nNEXT=1\n')
    assert (parsed["CERT"].line, parsed["NEXT"].line) == (1, 4)


def test_a_line_that_is_not_key_value_is_an_error_naming_the_line():
    with pytest.raises(DotenvError) as info:
        parse_dotenv("A=1\n# fine\nthis is not an assignment\n")
    assert info.value.line == 3
    assert "line 3" in str(info.value)
    # Never the line itself: a line that cannot be read cannot be told from a secret either.
    assert "this is not an assignment" not in str(info.value) and "is not KEY=value" in str(info.value)


def test_an_unclosed_quote_is_an_error_naming_the_line():
    with pytest.raises(DotenvError) as info:
        parse_dotenv("A=1\nB='open\n")
    assert info.value.line == 2


# --- comparing: cosmetic differences -----------------------------------------------

def test_reordered_keys_are_no_divergence():
    same("A=1\nB=2\n", "B=2\nA=1\n")


def test_comments_and_blank_lines_are_no_divergence():
    same("""\
        # Copy to .env on the instance
        LOG_LEVEL=info
        STT_LANGUAGE=en
        """, """\
        LOG_LEVEL=info

        # speech to text
        STT_LANGUAGE=en   # English only
        """)


def test_quoting_and_export_are_no_divergence():
    same("A=hello world\nB=x\nC=y\n", "export A=\"hello world\"\nB='x'\nexport C=y\n")


def test_a_key_set_twice_compares_by_its_last_value():
    same("LOG_LEVEL=info\n", "LOG_LEVEL=debug\nLOG_LEVEL=info\n")


def test_line_endings_are_no_divergence():
    same("A=1\nB=2\n", "A=1\r\nB=2\r\n")


# --- comparing: real differences ---------------------------------------------------

def test_a_changed_value_is_one_divergence_at_its_key():
    (d,) = divergences("""\
        TTS_VOICE=default
        AGENT_INSTRUCTIONS=You are a consise voice assistant.
        """, """\
        TTS_VOICE=default
        AGENT_INSTRUCTIONS=You are a concise voice assistant.
        """)
    assert (d.file, d.pointer, d.kind) == (ENV, "/AGENT_INSTRUCTIONS", "changed")
    assert (d.before, d.after, d.secret) == ("You are a consise voice assistant.", "You are a concise voice assistant.", False)
    assert d.line == 2


def test_a_key_added_live_is_kind_added_with_its_live_line():
    (d,) = divergences("A=1\n", "A=1\n\nSTT_BEAM_SIZE=5\n")
    assert (d.pointer, d.kind, d.before, d.after, d.line) == ("/STT_BEAM_SIZE", "added", None, "5", 3)


def test_a_key_removed_live_is_kind_removed_with_its_line_in_main():
    (d,) = divergences("A=1\nLOG_LEVEL=info\n", "A=1\n")
    assert (d.pointer, d.kind, d.before, d.after, d.line) == ("/LOG_LEVEL", "removed", "info", None, 2)


def test_every_changed_key_is_its_own_divergence():
    found = divergences("A=1\nB=2\nC=3\n", "A=9\nB=2\nC=8\nD=4\n")
    assert [(d.pointer, d.kind) for d in found] == [("/A", "changed"), ("/C", "changed"), ("/D", "added")]


def test_an_empty_value_and_a_value_from_the_shell_differ():
    (d,) = divergences("LOG_LEVEL=\n", "LOG_LEVEL\n")
    assert (d.pointer, d.before, d.after) == ("/LOG_LEVEL", "", None)


# --- secrets: by presence only -------------------------------------------------------

@pytest.mark.parametrize("key", ["LIVEKIT_API_SECRET", "GITHUB_TOKEN", "LIVEKIT_API_KEY", "OPENAI_API_KEY"])
def test_change_me_in_main_against_a_real_value_live_is_no_divergence(key):
    same(f"{key}=change-me\n", f"{key}=Zq8vLmN3pR7sT1uW\n")


def test_an_empty_token_in_main_against_a_real_token_live_is_no_divergence():
    same("HF_TOKEN=\n", f"HF_TOKEN={FAKE_HF}\n")


def test_a_rotated_secret_is_no_divergence():
    same("LIVEKIT_API_SECRET=first-s3cret-value\n", "LIVEKIT_API_SECRET=second-s3cret-value\n")


def test_a_secret_key_added_live_is_added_redacted_and_marked_secret():
    (d,) = divergences("LOG_LEVEL=info\n", "LOG_LEVEL=info\nDEEPGRAM_API_KEY=dg-0123456789abcdefXYZ\n")
    assert (d.pointer, d.kind, d.before, d.secret) == ("/DEEPGRAM_API_KEY", "added", None, True)
    assert d.after.startswith("<redacted") and d.after.endswith(">")
    assert "0123456789" not in d.after


def test_a_secret_key_removed_live_is_removed_redacted_and_marked_secret():
    (d,) = divergences("LOG_LEVEL=info\nLIVEKIT_API_SECRET=change-me\n", "LOG_LEVEL=info\n")
    assert (d.pointer, d.kind, d.after, d.secret) == ("/LIVEKIT_API_SECRET", "removed", None, True)
    assert "change-me" not in str(d.before)


def test_a_secret_shaped_value_under_an_ordinary_name_is_compared_by_presence():
    same("LIVEKIT_URL=wss://voice.example.com/livekit\n",
         "LIVEKIT_URL=wss://agent:Pa55w0rdXyz@voice.example.com/livekit\n")


def test_a_token_count_is_not_a_secret_and_its_change_is_reported():
    # `*_TOKENS` counts tokens; it holds no secret, and a change to it is real drift.
    (d,) = divergences("MAX_TOKENS=512\n", "MAX_TOKENS=1024\n")
    assert (d.pointer, d.before, d.after, d.secret) == ("/MAX_TOKENS", "512", "1024", False)


def test_tokenizers_parallelism_is_not_a_secret():
    (d,) = divergences("TOKENIZERS_PARALLELISM=false\n", "TOKENIZERS_PARALLELISM=true\n")
    assert (d.before, d.after, d.secret) == ("false", "true", False)


# --- errors -------------------------------------------------------------------------

def test_a_malformed_live_line_is_a_file_error_naming_the_line():
    found, errors = _FILE.compared("A=1\n", "A=1\nnot a pair\n")
    assert found == [] and len(errors) == 1
    assert errors[0].file == ENV
    assert "line 2" in errors[0].message and "live" in errors[0].message


def test_a_malformed_line_in_main_is_a_file_error_naming_main():
    found, errors = _FILE.compared("A=1\nB='x\n", "A=1\n")
    assert found == [] and len(errors) == 1
    assert "in main" in errors[0].message and "line 2" in errors[0].message
