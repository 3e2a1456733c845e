"""checks: findings beyond the diff (VRAM headroom, ephemeral model caches, health wiring,
unpinned images). Each check is a small module registered under its name; each runs on
both sides — the live snapshot and main at its commit — so a problem main still has after
it was fixed live is reported too, and said to be main's only.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.checks import health, images, model_cache, unused, vram
from bot.checks import runtime as runtime_check
from bot.checks.base import REGISTRY, CheckContext, Side, finding_id
from bot.config import Config
from bot.model import Finding, Snapshot, UnreadableBase
from bot.secrets import redact, redaction_kind


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
    settings = config.checks
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


CHECKS = (health, images, model_cache, runtime_check, unused, vram)  # each joined REGISTRY when imported
__all__ = ["CHECKS", "CheckContext", "Side", "finding_id", "run_checks", "sides"]
