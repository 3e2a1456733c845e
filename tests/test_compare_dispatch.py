"""bot/compare/__init__.py: every tracked file compared by its kind; problems stay per file.

A file absent on one side is one whole-file divergence (pointer ""); a file that cannot be
read or parsed is a FileError that names the side and the place, and the other files are
compared all the same.
"""
from __future__ import annotations

import re

import pytest

import bot.compare
from bot.capture.files import MAX_FILE_BYTES, take_file
from bot.compare import compare_file, compare_snapshot, file_kind
from bot.model import FileCapture, Snapshot

COMPOSE = "voice/docker-compose.yml"
ENV = "voice/.env.example"
DOCKERFILE = "voice/agent/Dockerfile"
CADDYFILE = "voice/caddy/Caddyfile"
FAKE_HF = "hf_" "AbCdEfGhIjKlMnOpQrStUvWxYz012345"  # assembled: no token-shaped literal in the source


def live(repo_path: str, data: bytes | None, live_path: str | None = None) -> FileCapture:
    return take_file(live_path or repo_path.removeprefix("voice/"), repo_path, data)


def snapshot(*files: FileCapture) -> Snapshot:
    return Snapshot("dir:/srv/voice", "gpu-host", "2026-04-24T10:00:00Z", "test", tuple(files))


# --- which comparison a file gets ----------------------------------------------------

@pytest.mark.parametrize("path, kind", [
    ("voice/docker-compose.yml", "compose"),
    ("voice/docker-compose.yaml", "compose"),
    ("compose.yaml", "compose"),
    ("voice/docker-compose.override.yml", "compose"),
    ("voice/.env", "dotenv"),
    ("voice/.env.example", "dotenv"),
    ("voice/prod.env", "dotenv"),
    ("voice/agent/Dockerfile", "dockerfile"),
    ("voice/agent/Dockerfile.gpu", "dockerfile"),
    ("voice/agent/agent.dockerfile", "dockerfile"),
    ("voice/caddy/Caddyfile", "text"),
    ("voice/agent/requirements.txt", "text"),
])
def test_file_kind_follows_the_file_name(path, kind):
    assert file_kind(path) == kind


@pytest.mark.parametrize("path, text", [
    (COMPOSE, "services:\n  caddy:\n    image: caddy:2\n"),
    (ENV, "LOG_LEVEL=info\n"),
    (DOCKERFILE, "FROM python:3.11-slim\n"),
    (CADDYFILE, "voice.example.com {\n\tencode gzip\n}\n"),
])
def test_an_unchanged_file_has_no_divergence_and_no_error(path, text):
    assert compare_file(path, text, live(path, text.encode())) == ([], [])


# --- a file on one side only -----------------------------------------------------------

def test_a_file_absent_live_is_one_whole_file_removal():
    found, errors = compare_file(CADDYFILE, "voice.example.com {\n}\n", live(CADDYFILE, None))
    assert errors == []
    assert [(d.file, d.kind, d.pointer, d.before, d.after, d.secret) for d in found] == [
        (CADDYFILE, "removed", "", "voice.example.com {\n}\n", None, False)]


def test_a_file_absent_in_main_is_one_whole_file_addition():
    found, errors = compare_file(CADDYFILE, None, live(CADDYFILE, b"voice.example.com {\n}\n"))
    assert errors == []
    assert len(found) == 1
    assert (found[0].kind, found[0].pointer, found[0].before, found[0].after) == (
        "added", "", None, "voice.example.com {\n}\n")


def test_a_file_added_live_with_a_secret_is_shown_redacted_and_marked_secret():
    (d,) = compare_file(ENV, None, live(ENV, f"HF_TOKEN={FAKE_HF}\n".encode()))[0]
    assert (d.kind, d.pointer, d.secret) == ("added", "", True)
    assert "AbCdEf" not in d.after


def test_a_file_neither_in_main_nor_live_is_an_error_pointing_at_the_config():
    found, errors = compare_file(CADDYFILE, None, live(CADDYFILE, None))
    assert found == [] and len(errors) == 1
    assert errors[0].file == CADDYFILE and ".drift.yml" in errors[0].message


# --- a live file that could not be taken ------------------------------------------------

def test_a_binary_live_file_is_a_file_error():
    found, errors = compare_file(CADDYFILE, "a\n", live(CADDYFILE, b"\x00\x01binary"))
    assert found == [] and len(errors) == 1
    assert "binary" in errors[0].message and "caddy/Caddyfile" in errors[0].message


def test_a_live_file_over_5_mib_is_a_file_error():
    found, errors = compare_file(CADDYFILE, "a\n", live(CADDYFILE, b"a" * (MAX_FILE_BYTES + 1)))
    assert found == [] and len(errors) == 1
    assert "5 MiB" in errors[0].message


def test_a_live_file_of_exactly_5_mib_is_compared():
    data = b"x " * (MAX_FILE_BYTES // 2)
    found, errors = compare_file(CADDYFILE, "x\n", live(CADDYFILE, data))
    assert errors == []


def test_a_live_file_that_is_not_utf8_is_a_file_error():
    found, errors = compare_file(CADDYFILE, "a\n", live(CADDYFILE, b"caf\xe9\n"))
    assert found == [] and len(errors) == 1
    assert "UTF-8" in errors[0].message


def test_a_problem_reported_by_the_source_is_a_file_error():
    capture = take_file("docker-compose.yml", COMPOSE, None, problem="is a symlink leaving the source root")
    found, errors = compare_file(COMPOSE, "services: {}\n", capture)
    assert found == [] and len(errors) == 1
    assert errors[0].file == COMPOSE
    assert "docker-compose.yml" in errors[0].message and "symlink leaving the source root" in errors[0].message


# --- errors name the side and the place -----------------------------------------------

def test_malformed_compose_live_names_live_line_and_column():
    _, errors = compare_file(COMPOSE, "services: {}\n", live(COMPOSE, b"services:\n  caddy:\n    image: [x\n  tts: {}\n"))
    (error,) = errors
    assert "live" in error.message
    assert re.search(r"line \d+, column \d+", error.message)


def test_an_error_message_names_the_place_once():
    _, errors = compare_file(COMPOSE, "services: {}\n", live(COMPOSE, b"services:\n  caddy: [\n"))
    (error,) = errors
    assert len(re.findall(r"line \d+, column \d+", error.message)) == 1, error.message


def test_malformed_compose_in_main_names_main_line_and_column():
    _, errors = compare_file(COMPOSE, "services:\n  caddy: {image: [x}\n", live(COMPOSE, b"services: {}\n"))
    (error,) = errors
    assert "in main" in error.message
    assert "line 2, column" in error.message


def test_an_unexpected_failure_is_one_line_about_its_file_and_never_quotes_it(monkeypatch):
    def broken(*_):
        # Another library's message may quote the file, and so a secret in it.
        raise RuntimeError("invalid literal: 'hunter2hunter2'\nwith a second line")

    monkeypatch.setitem(bot.compare._BY_KIND, "text", broken)
    found, errors = compare_file(CADDYFILE, "a\n", live(CADDYFILE, b"b\n"))
    (error,) = errors
    assert found == [] and error.file == CADDYFILE and error.message.endswith("cannot be compared: RuntimeError")
    assert "\n" not in error.message and "hunter2" not in error.message


# --- a snapshot: every file, whatever happens to one -----------------------------------

def test_a_broken_file_does_not_stop_the_others():
    snap = snapshot(
        live(CADDYFILE, b"\x00binary"),
        live(COMPOSE, b"services:\n  caddy: [\n"),
        live(ENV, b"LOG_LEVEL=debug\n"),
        live(DOCKERFILE, b"FROM python:3.12-slim\n"),
    )
    base = {CADDYFILE: "a\n", COMPOSE: "services: {}\n", ENV: "LOG_LEVEL=info\n", DOCKERFILE: "FROM python:3.11-slim\n"}
    divergences, errors = compare_snapshot(snap, base)
    assert [(d.file, d.pointer, d.kind) for d in divergences] == [(ENV, "/LOG_LEVEL", "changed"), (DOCKERFILE, "/stages/0/FROM", "changed")]
    assert [e.file for e in errors] == [CADDYFILE, COMPOSE]


def test_a_file_missing_from_main_is_compared_as_added():
    divergences, errors = compare_snapshot(snapshot(live(CADDYFILE, b"a\n")), {})
    assert errors == () and [(d.kind, d.pointer) for d in divergences] == [("added", "")]


def test_ignore_rules_drop_matching_divergences_only():
    snap = snapshot(live(COMPOSE, b"services:\n  caddy:\n    image: caddy:3\n    labels: {com.example.deployed-at: '2026-04-24'}\n"))
    base = {COMPOSE: "services:\n  caddy:\n    image: caddy:2\n    labels: {com.example.deployed-at: '2026-04-01'}\n"}
    divergences, _ = compare_snapshot(snap, base, ["voice/docker-compose.yml#/services/*/labels/com.example.deployed-at"])
    assert [d.pointer for d in divergences] == ["/services/caddy/image"]


def test_an_ignore_rule_without_a_pointer_drops_the_whole_file():
    snap = snapshot(live(COMPOSE, b"services:\n  caddy: {image: caddy:3}\n"), live(ENV, b"A=2\n"))
    base = {COMPOSE: "services:\n  caddy: {image: caddy:2}\n", ENV: "A=1\n"}
    divergences, _ = compare_snapshot(snap, base, ["voice/*.yml"])
    assert [d.file for d in divergences] == [ENV]


# --- secrets never leave through a divergence -------------------------------------------

def test_a_secret_committed_to_main_never_appears_in_a_divergence():
    secret = "sk-proj-" "AbCdEfGhIjKlMnOpQrStUvWx0123"
    found, _ = compare_file(ENV, f"OPENAI_API_KEY={secret}\nLOG_LEVEL=info\n", live(ENV, b"LOG_LEVEL=info\n"))
    (d,) = found
    assert (d.pointer, d.kind, d.secret) == ("/OPENAI_API_KEY", "removed", True)
    assert secret not in repr(d.to_json())


def test_a_whole_main_file_removed_live_is_shown_redacted():
    secret = "ghp_" "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    (d,) = compare_file(ENV, f"GITHUB_TOKEN={secret}\n", live(ENV, None))[0]
    assert d.kind == "removed" and secret not in d.before and d.secret is True


def test_divergence_json_carries_the_contract_fields():
    (d,) = compare_file(ENV, "A=1\n", live(ENV, b"A=2\n"))[0]
    assert set(d.to_json()) >= {"id", "file", "kind", "pointer", "before", "after", "secret", "child"}
    assert d.to_json()["child"] is None
