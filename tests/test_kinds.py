"""bot/kinds.py: a tracked file's kind from either side's name, or as `files:` declares it."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.kinds import declare, file_kind, kind_by_name, kinds_of


@pytest.mark.parametrize("name,kind", [
    ("voice/env.example", "dotenv"), ("voice/.env.sample", "dotenv"), ("voice/example.env", "dotenv"),
    ("voice/app.env", "dotenv"), ("voice/app.env.example", "dotenv"), ("voice/.env", "dotenv"),
    ("voice/.env.production", "dotenv"), ("Dockerfile.gpu", "dockerfile"), ("agent.Dockerfile", "dockerfile"),
    ("compose.override.yaml", "compose"), ("docker-compose.prod.yml", "compose"), ("Caddyfile", "text"),
    ("voice/environment.md", "text"), ("voice/envoy.yaml", "text"), ("voice/requirements.txt", "text"),
])
def test_the_common_conventions_name_the_kind(name: str, kind: str) -> None:
    assert kind_by_name(name) == kind


def test_the_live_name_tells_the_kind_when_the_repo_name_does_not() -> None:
    assert kinds_of([(".env", "voice/settings.txt"), ("Caddyfile", "voice/caddy.conf"),
                     ("docker-compose.yml", "voice/stack.yaml")]) == {"voice/settings.txt": "dotenv",
                                                                      "voice/stack.yaml": "compose"}


def test_a_declared_kind_wins_over_both_names() -> None:
    assert kinds_of([("notes", "voice/notes.txt"), (".env", "voice/.env.example")],
                    {"voice/notes.txt": "env", "voice/.env.example": "text"}) == {"voice/notes.txt": "dotenv",
                                                                                    "voice/.env.example": "text"}


def test_a_loaded_config_makes_every_stage_read_the_declared_kind(tmp_path: Path, monkeypatch) -> None:
    from bot.compare import compare_file
    from bot.config import load_config
    from bot.model import FileCapture

    monkeypatch.setenv("DRIFT_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / ".drift.yml").write_text("files:\n  env.example: voice/env.example\n"
                                         "  settings: {path: voice/settings, kind: env}\n")
    try:
        load_config(tmp_path)
        assert file_kind("voice/settings") == "dotenv" and file_kind("voice/env.example") == "dotenv"
        live = FileCapture("settings", "voice/settings", "A=1\nB=3\n")
        found, errors = compare_file("voice/settings", "A=1\nB=2\n", live)
        assert errors == [] and [(d.pointer, d.kind) for d in found] == [("/B", "changed")]
    finally:
        declare({})
