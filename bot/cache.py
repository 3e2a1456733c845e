"""cache: the folder where drift keeps what it remembers between runs on one machine (GitHub's
answers and ETags, the detect-secrets rules of the installed version, configs already checked).
DRIFT_CACHE_DIR, else XDG_CACHE_HOME/drift-bot, else ~/.cache/drift-bot."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    configured = os.environ.get("DRIFT_CACHE_DIR", "").strip()
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "drift-bot"
