"""clock: when a capture was taken (UTC, to the second). The one clock capture reads."""
from __future__ import annotations

from datetime import datetime, timezone


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
