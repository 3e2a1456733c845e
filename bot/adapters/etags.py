"""etags: answers GitHub already gave, kept between runs so a read can be made conditional.

GitHub answers a GET carrying `If-None-Match: <etag>` with 304 and no body when nothing
changed, and a 304 does not count against the API budget. ETags are per token, so this pays
where a token lives across runs (a cron job on the host with a long-lived token), not for the
GITHUB_TOKEN of an Actions job, which is new every job. The cache is a file per repository and
token under DRIFT_CACHE_DIR (default `$XDG_CACHE_HOME/drift-bot`, else `~/.cache/drift-bot`). It holds what the token could read from GitHub, never a value
from the host. Losing it, or finding it unreadable, only costs full reads.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from bot.cache import cache_dir

MAX_ENTRIES = 2000
MAX_AGE = 30 * 24 * 3600.0  # seconds: an answer not asked for in a month is dropped


def request_key(url: str, params: dict[str, Any] | None) -> str:
    query = "&".join(f"{k}={params[k]}" for k in sorted(params or {}))
    return f"{url}?{query}" if query else url


class EtagCache:
    """url -> (etag, answer); read when the run starts, written as answers change."""

    def __init__(self, path: Path | None, now: float | None = None):
        self.path = path
        self.now = time.time() if now is None else now
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        if path is not None:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            if isinstance(data, dict) and isinstance(data.get("entries"), dict):
                self.entries = {k: v for k, v in data["entries"].items()
                                if isinstance(v, dict) and isinstance(v.get("etag"), str) and "data" in v}

    @classmethod
    def for_repository(cls, api_url: str, repository: str, token: str = "") -> "EtagCache":
        """One file per repository and token: GitHub's ETags are per token, so answers kept under
        another token would never be answered 304. A token that lives (a PAT, the host's own)
        gains from them; GITHUB_TOKEN and app installation tokens are new every job, so in Actions
        a kept cache saves nothing. Files of tokens unused for MAX_AGE are removed."""
        import hashlib
        from urllib.parse import urlparse

        host = urlparse(api_url).netloc.replace(":", "_") or "github"
        stem = f"{host}--{repository.replace('/', '--')}"
        key = hashlib.sha256(token.encode()).hexdigest()[:16]
        folder = cache_dir()
        try:
            for old in folder.glob(f"{stem}--*.json"):
                if time.time() - old.stat().st_mtime > MAX_AGE:
                    old.unlink()
        except OSError:
            pass
        return cls(folder / f"{stem}--{key}.json")

    def etag(self, key: str) -> str | None:
        entry = self.entries.get(key)
        return entry["etag"] if entry else None

    def answer(self, key: str) -> Any:
        entry = self.entries[key]
        if self.now - float(entry.get("used") or 0) > 24 * 3600:
            entry["used"] = self.now  # a day's precision is plenty for ageing, and spares a write per read
            self.dirty = True
            self.save()
        return entry["data"]

    def store(self, key: str, etag: str | None, data: Any) -> None:
        """Kept at once: a run killed later still leaves what it read for the next one."""
        if not etag:
            if self.entries.pop(key, None) is not None:
                self.dirty = True
                self.save()
            return
        self.entries[key] = {"etag": etag, "data": data, "used": self.now}
        self.dirty = True
        self.save()

    def save(self) -> None:
        """Write the cache beside itself and move it into place: a killed run leaves the old one."""
        if self.path is None or not self.dirty:
            return
        fresh = {k: v for k, v in self.entries.items() if self.now - float(v.get("used") or 0) <= MAX_AGE}
        newest = sorted(fresh.items(), key=lambda kv: float(kv[1].get("used") or 0), reverse=True)[:MAX_ENTRIES]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"version": 1, "entries": dict(newest)}, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            return  # a cache that cannot be written costs full reads next time, nothing else
        self.dirty = False
