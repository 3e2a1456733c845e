"""capture: read the tracked files (and, from an engine, the containers) into a Snapshot."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.capture.clock import now_utc
from bot.capture.dir import read_dir
from bot.errors import SourceError
from bot.model import Snapshot

if TYPE_CHECKING:
    from bot.config import Config


def capture(source: str, files: Sequence[tuple[str, str]], *, relative_to: Path) -> Snapshot:
    """`dir:PATH` (relative paths against `relative_to`), `docker://…` or `ssh://…`."""
    if source.startswith("dir:"):
        root = Path(source[4:]).expanduser()
        if not root.is_absolute():
            root = relative_to / root
        return Snapshot(source, os.uname().nodename, now_utc(), __version__, read_dir(root, files))
    if source.startswith(("docker://", "ssh://")):
        from bot.capture.docker import capture_engine  # the Docker SDK is only paid for when used

        return capture_engine(source, files, tool_version=__version__, now=now_utc)
    raise SourceError(f"unknown source {source!r}; use dir:PATH, docker://[?project=NAME] or ssh://user@host[:port][?project=NAME]")


def take_snapshot(config: "Config", source: str | None, saved: Path | None, relative_to: Path) -> Snapshot:
    """The live side: a saved snapshot, or a capture from `source` (default: `source:` in .drift.yml)."""
    from bot.capture.manifest import read_snapshot

    if saved is not None:
        if source:
            raise SourceError("give either --source or --snapshot, not both")
        return read_snapshot(saved)
    chosen = source or config.source
    if not chosen:
        raise SourceError("no source: pass --source (e.g. dir:/srv/voice) or set `source:` in .drift.yml")
    return capture(chosen, config.files, relative_to=relative_to if source else config.root)
