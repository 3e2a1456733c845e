"""checks: findings beyond the diff (VRAM headroom, ephemeral model caches, health wiring,
unpinned images). Each check is a small module registered under its name; each runs on
both sides — the live snapshot and main at its commit — so a problem main still has after
it was fixed live is reported too, and said to be main's only.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.compare import file_kind
from bot.secrets import redact, redaction_kind
from bot.compare.compose import parsed
from bot.compare.yamlload import YamlError
from bot.config import Config
from bot.model import Finding, ServiceRuntime, Snapshot, UnreadableBase


@dataclass(frozen=True)
class Side:
    """One side of the comparison as the checks see it."""

    name: str  # "live" or "main"
    at: str  # the snapshot id (live) or the commit sha (main): where evidence points
    files: Mapping[str, str]  # repo path -> text (live texts are redacted)
    live_paths: Mapping[str, str]  # repo path -> path relative to the source root

    def compose_files(self) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """(repo path, raw document, normalised document) of every readable compose file."""
        out = []
        for path, text in self.files.items():
            if file_kind(path) != "compose":
                continue
            try:
                raw, normalised = parsed(text, path)
            except YamlError:
                continue  # the diff reports it; a check has nothing to say about it
            out.append((path, raw, normalised))
        return out

    def evidence(self, path: str, line: int | None, **facts: Any) -> dict[str, Any]:
        return {"side": self.name, "at": self.at, "file": path, "line": line, **facts}


@dataclass(frozen=True)
class CheckContext:
    config: Config
    side: Side
    runtime: tuple[ServiceRuntime, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)  # `checks: {name: {...}}` from .drift.yml
    captured_at: str | None = None  # when `runtime` was read (the live side only)


Check = Callable[[CheckContext], Iterable[Finding]]
REGISTRY: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        REGISTRY[name] = fn
        return fn

    return register


def finding_id(check_name: str, subject: str) -> str:
    """Stable across runs for the same problem in the same place, whichever side shows it."""
    return hashlib.sha256(f"{check_name}:{subject}".encode()).hexdigest()[:12]


def _load_all() -> None:
    from bot.checks import health, images, model_cache, runtime, unused, vram  # noqa: F401 - registration


def sides(config: Config, snapshot: Snapshot, base_files: Mapping[str, str | None], base_commit: str | None) -> tuple[Side, Side]:
    live_paths = {repo: live for live, repo in config.files}
    live = Side("live", snapshot.id, {f.repo_path: f.text for f in snapshot.files if f.text is not None}, live_paths)
    # Main's texts are redacted as the diff reads them: the same text, parsed once for both.
    main = Side("main", base_commit or "", {p: redact(t, redaction_kind(p)).text for p, t in base_files.items()
                                            if t is not None and not isinstance(t, UnreadableBase)}, live_paths)
    return live, main


def run_checks(config: Config, snapshot: Snapshot, base_files: Mapping[str, str | None],
               base_commit: str | None) -> tuple[Finding, ...]:
    """Every registered check on both sides; a finding main shares with live is reported once, from live."""
    _load_all()
    settings = config.extra.get("checks") or {}
    live, main = sides(config, snapshot, base_files, base_commit)
    found: dict[str, Finding] = {}
    for name, fn in REGISTRY.items():
        options = settings.get(name) or {}
        if options.get("enabled") is False:
            continue
        for side, runtime, seen in ((live, snapshot.runtime, snapshot.captured_at), (main, (), None)):
            for f in fn(CheckContext(config, side, runtime, options, seen)):
                if f.id in found:
                    continue
                if side.name == "main":
                    f = replace(f, message=f"{f.message} (in main only: fixed live)")
                found[f.id] = f
    order = {"error": 0, "warning": 1, "info": 2}
    return tuple(sorted(found.values(), key=lambda f: (order[f.severity], f.check, f.id)))
