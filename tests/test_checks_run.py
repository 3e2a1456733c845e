"""All checks on the bundled example against main: exactly the findings the 2026-04-24 bring-up left."""
from __future__ import annotations

from pathlib import Path

from bot.adapters.git_base import read_base
from bot.capture import capture
from bot.checks import finding_id, run_checks
from bot.config import load_config

ROOT = Path(__file__).resolve().parent.parent
MAIN_ONLY = " (in main only: fixed live)"


def test_the_example_instance_against_main():
    config = load_config(ROOT)
    snapshot = capture("dir:examples/instance", config.files, relative_to=ROOT)
    commit, base_files = read_base(ROOT, "HEAD", [repo for _, repo in config.files])
    found = run_checks(config, snapshot, base_files, commit)

    # run_checks orders by severity, check, id: the ids are hashes, so this order is fixed
    assert [(f.check, f.id) for f in found] == [
        ("health", finding_id("health", "caddy:port")),  # port 8080 and its missing route: one cause, said once
        ("model_cache", finding_id("model_cache", "voice-agent")),
        ("vram", finding_id("vram", "gpu:0")),
    ]
    assert all(f.severity == "warning" for f in found)
    by_check: dict[str, list] = {}
    for f in found:
        by_check.setdefault(f.check, []).append(f)

    [vram] = by_check["vram"]
    assert vram.message == ("GPU 0 (L4): 22.4 / 23.0 GiB claimed = 97 % "
                            "(vllm-voxtral 12.65, vllm-whisper 9.20, voice-agent 0.55); above the 90 % threshold")
    assert vram.evidence["side"] == "live" and vram.evidence["at"] == snapshot.id

    [cache] = by_check["model_cache"]
    assert cache.message.startswith("voice-agent downloads models at runtime into /cache/hf (from HF_HOME)")
    assert not cache.message.endswith(MAIN_ONLY) and cache.evidence["side"] == "live"
    assert "voice/agent/Dockerfile:14 installs livekit-plugins-turn-detector" in cache.evidence["reasons"]

    [health] = by_check["health"]
    assert health.message.endswith(MAIN_ONLY)
    assert (health.evidence["side"], health.evidence["at"], health.evidence["file"]) == ("main", commit, "voice/docker-compose.yml")
    assert health.message.startswith("caddy healthcheck asks for /healthz on 127.0.0.1:8080, but caddy listens only on "
                                     "80, 443, 2019 and voice/caddy/Caddyfile has no site on port 8080")
