"""`drift attach`: a session file on the drift-attachments branch, linked from its MEGA slot."""
from __future__ import annotations

from pathlib import Path

from tests.cli_support import run
from tests.fakegithub.gitcli import run_git
from tests.github_world import REPO, World
from tests.test_tracker_github import mega_of

SECRET = "hf_Qx7Lm2Rv9Tn4Wc8Pd3Fy6Hs1Jg5Za0Kb"


def attach(world: World, file: Path, *extra: str) -> tuple[int, str, str]:
    return run("attach", str(file), *extra, "--repo", str(world.checkout), env=world.env)


def test_a_file_is_stored_on_its_branch_and_linked_in_place_of_the_placeholder(tracked_world: World, tmp_path: Path) -> None:
    tracked_world.drift("apply")
    notes = tmp_path / "session-memory.md"
    notes.write_text("# Session memory\n\nvoxtral needed v0.11.2; caddy healthcheck moved to 8081.\n")
    code, out, err = attach(tracked_world, notes, "--slot", "session-memory")
    assert (code, err) == (0, ""), err
    stored = run_git("show", "drift-attachments:attachments/session-memory/session-memory.md", cwd=tracked_world.fake.git_path(REPO)).stdout
    assert stored == notes.read_text()
    body = mega_of(tracked_world).body
    assert "<!-- drift-bot:slot session-memory -->[session-memory.md](" in body
    assert "_not attached yet: `drift attach FILE --slot transcript`" in body  # the other slot is left alone
    tracked_world.fake.reset_log()
    code, out, _ = attach(tracked_world, notes, "--slot", "session-memory")
    assert code == 0 and out.startswith("already attached") and tracked_world.fake.count("writes", kind="any") == 0


def test_a_file_with_a_secret_is_refused_and_nothing_is_stored(tracked_world: World, tmp_path: Path) -> None:
    tracked_world.drift("apply")
    transcript = tmp_path / "transcript.txt"
    transcript.write_text(f"user: here is the token HF_TOKEN={SECRET}\n")
    code, out, err = attach(tracked_world, transcript, "--slot", "transcript")
    assert code == 1 and "secret value(s); nothing was stored" in err and SECRET not in err
    assert "drift-attachments" not in run_git("branch", cwd=tracked_world.fake.git_path(REPO)).stdout


def test_redact_stores_it_without_the_secret(tracked_world: World, tmp_path: Path) -> None:
    tracked_world.drift("apply")
    transcript = tmp_path / "transcript.txt"
    transcript.write_text(f"user: here is the token HF_TOKEN={SECRET}\n")
    code, out, err = attach(tracked_world, transcript, "--slot", "transcript", "--redact")
    assert code == 0 and "secret value(s) redacted" in out and SECRET not in out
    stored = run_git("show", "drift-attachments:attachments/transcript/transcript.txt", cwd=tracked_world.fake.git_path(REPO)).stdout
    assert SECRET not in stored and "<redacted" in stored


def test_a_slot_a_human_filled_keeps_their_link(tracked_world: World, tmp_path: Path) -> None:
    tracked_world.drift("apply")
    mega = mega_of(tracked_world)
    import re

    filled = re.sub(r"(<!-- drift-bot:slot transcript -->).*?(<!-- drift-bot:slot-end -->)", r"\1[by hand](https://x.invalid/t)\2", mega.body)
    tracked_world.gh().get_issue(mega.number).edit(body=filled)
    transcript = tmp_path / "transcript.txt"
    transcript.write_text("a clean transcript\n")
    assert attach(tracked_world, transcript, "--slot", "transcript")[0] == 0
    assert "[by hand](https://x.invalid/t) · [transcript.txt](" in mega_of(tracked_world).body


def test_size_and_kind_limits_are_clear(tracked_world: World, tmp_path: Path) -> None:
    big = tmp_path / "huge.txt"
    big.write_bytes(b"a" * (10 * 1024 * 1024 + 1))
    code, _, err = attach(tracked_world, big, "--slot", "transcript")
    assert code == 1 and "attachments are limited to 10 MiB" in err
    binary = tmp_path / "audio.wav"
    binary.write_bytes(b"RIFF\xff\xfe\x00")
    code, _, err = attach(tracked_world, binary, "--slot", "transcript")
    assert code == 1 and "is not UTF-8 text" in err
