"""`dir:PATH`: a folder laid out like the instance (a copy of /srv/voice, or /srv/voice itself)."""
from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from bot.capture.files import oversize, read_bounded, take_file
from bot.errors import SourceError
from bot.model import FileCapture


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def read_dir(root: Path, files: Sequence[tuple[str, str]]) -> tuple[FileCapture, ...]:
    """Read each tracked (live path, repo path) under `root`, refusing anything that leaves it."""
    if not root.is_dir():
        raise SourceError(f"source folder {root} does not exist or is not a folder; check --source or `source:` in .drift.yml")
    real_root = root.resolve()
    out = []
    for live_path, repo_path in files:
        candidate = root / live_path
        resolved = candidate.resolve()
        if not _inside(resolved, real_root):
            kind = "a symlink leading" if candidate.is_symlink() or _has_link(root, live_path) else "a path"
            out.append(take_file(live_path, repo_path, None, problem=f"is {kind} outside the source root ({resolved}); refused"))
            continue
        if not resolved.exists():
            out.append(take_file(live_path, repo_path, None))
            continue
        if not resolved.is_file():
            out.append(take_file(live_path, repo_path, None, problem="is not a regular file"))
            continue
        try:
            data, size = read_bounded(resolved)
            mtime = datetime.fromtimestamp(resolved.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
        except OSError as exc:
            out.append(take_file(live_path, repo_path, None, problem=f"could not be read: {exc.strerror or exc}"))
            continue
        out.append(take_file(live_path, repo_path, data, mtime=mtime, problem=None if data is not None else oversize(size)))
    return tuple(out)


def _has_link(root: Path, live_path: str) -> bool:
    p = root
    for part in Path(live_path).parts:
        p = p / part
        if os.path.islink(p):
            return True
    return False
