"""The one place where bytes read from a live host become a FileCapture.

Every source (a folder, an engine, an engine over SSH) hands its raw bytes here, so the
limits and the redaction are the same whichever way the file was reached.
"""
from __future__ import annotations

import hashlib
import os

from bot.secrets import Redactor, redact, redaction_kind
from bot.model import FileCapture

MAX_FILE_BYTES = 5 * 1024 * 1024


def live_redactor() -> Redactor:
    """Placeholders of live values carry a keyed digest only where the host (or the runner's
    secrets) holds a key: `DRIFT_REDACTION_KEY`, or a file named by `DRIFT_REDACTION_KEY_FILE`."""
    key = os.environ.get("DRIFT_REDACTION_KEY")
    path = os.environ.get("DRIFT_REDACTION_KEY_FILE")
    if not key and path:
        try:
            with open(path, "rb") as f:
                return Redactor(f.read().strip() or None)
        except OSError:
            return Redactor()
    return Redactor(key.encode() if key else None)


def oversize(size: int) -> str:
    return f"is {size / 1048576:.1f} MiB, over the 5 MiB limit for a tracked file"


def read_bounded(path: str | os.PathLike[str]) -> tuple[bytes | None, int]:
    """(bytes, size) of a file, its size taken from the open file before anything is read:
    a file over the limit is (None, size), never read into memory. A file growing meanwhile is
    read no further than one byte past the limit, which `take_file` then refuses."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_FILE_BYTES:
            return None, size
        data = f.read(MAX_FILE_BYTES + 1)
    return data, len(data)


def take_file(
    live_path: str,
    repo_path: str,
    data: bytes | None,
    *,
    mtime: str | None = None,
    problem: str | None = None,
) -> FileCapture:
    """Turn what a source read into a capture; `data=None` without a problem means absent live."""
    if problem is not None:
        return FileCapture(live_path, repo_path, None, problem=problem, mtime=mtime)
    if data is None:
        return FileCapture(live_path, repo_path, None, missing=True)
    live_sha = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_FILE_BYTES:
        return FileCapture(live_path, repo_path, None, live_sha256=live_sha, size=len(data), mtime=mtime,
                           problem=oversize(len(data)))
    if b"\0" in data:
        return FileCapture(live_path, repo_path, None, live_sha256=live_sha, size=len(data), mtime=mtime,
                           problem="is a binary file; only text files can be compared")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FileCapture(live_path, repo_path, None, live_sha256=live_sha, size=len(data), mtime=mtime,
                           problem=f"is not UTF-8 text (byte {exc.start}); only text files can be compared")
    done = redact(text, redaction_kind(repo_path), live_redactor())
    redacted, count = done.text, done.count
    stored = redacted.encode()
    return FileCapture(
        live_path,
        repo_path,
        redacted,
        sha256=hashlib.sha256(stored).hexdigest(),
        live_sha256=live_sha,
        size=len(data),
        mtime=mtime,
        redactions=count,
    )
