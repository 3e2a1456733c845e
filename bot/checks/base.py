"""The checks' common ground: the two sides they read, their context, and the registry a
check joins with `@check(name)`. Every check module imports this; the package imports them."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.compare import file_kind
from bot.compare.compose import parsed
from bot.compare.yamlload import YamlError
from bot.config import Config
from bot.model import Finding, ServiceRuntime


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
