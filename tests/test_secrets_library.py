"""bot/secrets/library.py: detect-secrets' token rules are the installed library's own, and a
run after the first reads them from the cache without importing the library (60 ms saved)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from bot.secrets.library import LEFT_OUT, from_library, token_rules


def test_the_rules_are_the_librarys_and_are_kept_under_its_version(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DRIFT_CACHE_DIR", str(tmp_path))
    rules = token_rules()
    kept = tmp_path / f"detect-secrets-{metadata.version('detect-secrets')}.json"
    assert json.loads(kept.read_text()) == [list(r) for r in from_library()]
    assert [p.pattern for p in rules] == [p for p, _ in from_library()] and len(rules) > 30
    assert not any("ip" in p.pattern.lower() and "\\d{1,3}" in p.pattern for p in rules)  # IPPublicDetector left out
    assert "KeywordDetector" in LEFT_OUT


def test_a_later_run_does_not_import_the_library(tmp_path: Path) -> None:
    env = {**os.environ, "DRIFT_CACHE_DIR": str(tmp_path)}
    probe = ("import sys; from bot.secrets import redact; "
             "out = redact('HF_X=hf_' + 'Q' * 34 + '\\n', 'dotenv').text; "
             "print('detect_secrets' in sys.modules, 'hf_' in out)")
    first = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout.split()
    again = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert first == ["True", "False"] and again == ["False", "False"]


def test_a_cache_that_cannot_be_read_costs_only_the_import(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DRIFT_CACHE_DIR", str(tmp_path))
    (tmp_path / f"detect-secrets-{metadata.version('detect-secrets')}.json").write_text("{not json")
    assert [p.pattern for p in token_rules()] == [p for p, _ in from_library()]
