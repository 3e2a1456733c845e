"""A verification that passes closes the verification child — once its gate is open."""
from __future__ import annotations

import time
from pathlib import Path

from tests.audio import require_tools, speak
from tests.audio.server import AnswerServer, Reply
from tests.cli_support import run
from tests.github_world import World
from tests.test_closeout import close, enable_closing
from tests.test_tracker_github import mega_of


def point_probe_at(world: World, url: str) -> None:
    config = world.checkout / ".drift.yml"
    config.write_text(config.read_text().replace("http://127.0.0.1:8000/v1/audio/speech", url))


def verify_and_apply(world: World, tmp_path: Path) -> str:
    snap = tmp_path / "snap"
    code, out, err = run("snapshot", "--verify", "--repo", str(world.checkout), "--source", f"dir:{world.instance}",
                         "--out", str(snap))
    assert code == 0, err
    code, out, err = run("apply", "--repo", str(world.checkout), "--snapshot", str(snap), env=world.env)
    assert code == 0, err
    return out


def test_a_passing_verification_closes_r10_only_after_rt1(tracked_world: World, tmp_path: Path) -> None:
    require_tools()
    enable_closing(tracked_world)
    wav = speak("the voice stack answers", tmp_path / "ok.wav", rate=24000)
    with AnswerServer({"/v1/audio/speech": Reply(200, wav)}) as server:
        point_probe_at(tracked_world, server.url("/v1/audio/speech"))
        verify_and_apply(tracked_world, tmp_path)
        assert tracked_world.issue(670).state == "open"  # RT-1 is still open: R-10 waits
        assert "probe tts-speech passed" in mega_of(tracked_world).body
        close(tracked_world, 673)
        out = verify_and_apply(tracked_world, tmp_path)
    r10 = tracked_world.issue(670)
    assert r10.state == "closed" and f"closed #{r10.number} (R-10)" in out
    assert "every verification probe passed" in r10.comments[-1].body and "24000 Hz" in r10.comments[-1].body


def test_a_failing_probe_keeps_r10_open_and_shows_in_the_mega(tracked_world: World, tmp_path: Path) -> None:
    enable_closing(tracked_world)
    close(tracked_world, 673)
    with AnswerServer({"/v1/audio/speech": Reply(200, b"<!DOCTYPE html><p>502</p>", "audio/wav")}) as server:
        point_probe_at(tracked_world, server.url("/v1/audio/speech"))
        verify_and_apply(tracked_world, tmp_path)
    assert tracked_world.issue(670).state == "open"
    assert "probe tts-speech failed: not a WAV" in mega_of(tracked_world).body


def test_a_verified_host_that_stays_the_same_leaves_the_mega_alone(tracked_world: World, tmp_path: Path) -> None:
    require_tools()
    wav = speak("the voice stack answers", tmp_path / "ok.wav", rate=24000)
    with AnswerServer({"/v1/audio/speech": Reply(200, wav)}) as server:
        point_probe_at(tracked_world, server.url("/v1/audio/speech"))
        verify_and_apply(tracked_world, tmp_path)
        verify_and_apply(tracked_world, tmp_path)
        tracked_world.fake.reset_log()
        time.sleep(1.1)  # probe times are kept to the second
        out = verify_and_apply(tracked_world, tmp_path)  # the probe ran again, later
    assert out == "nothing to do: GitHub already matches the live host\n"
    assert tracked_world.fake.count("writes", kind="any") == 0
