"""blobs: the id git gives a file's content, computed without git.

The plan compares a branch's files with the files it must hold by these ids, so that deciding
"is this branch up to date?" needs no git process."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping


def blob_sha(text: str) -> str:
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def blob_ids(files: Mapping[str, str | None]) -> dict[str, str | None]:
    """path -> blob id of what a commit must hold (None: the file is deleted)."""
    return {path: None if text is None else blob_sha(text) for path, text in files.items()}
