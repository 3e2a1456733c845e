"""Main's side of the comparison, read from a git ref (never the working tree)."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.errors import BaseRefError


def read_base(repo: Path, ref: str, paths: Iterable[str]) -> tuple[str, dict[str, str | None]]:
    """Return the commit `ref` names and each path's text there (None when absent at that ref)."""
    import git  # GitPython

    try:
        repository = git.Repo(repo, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise BaseRefError(f"{repo} is not a git checkout; pass --repo with the repository that holds .drift.yml") from None
    commit = None
    for candidate in (ref, f"origin/{ref}"):
        try:
            commit = repository.commit(candidate)
            break
        except (git.BadName, ValueError, git.GitCommandError):
            continue
    if commit is None:
        raise BaseRefError(f"ref {ref!r} not found in {repo}; fetch it (git fetch origin {ref}) or pass --ref")
    out: dict[str, str | None] = {}
    for path in paths:
        try:
            blob = commit.tree / path
        except KeyError:
            out[path] = None
            continue
        data = blob.data_stream.read()
        try:
            out[path] = data.decode("utf-8")
        except UnicodeDecodeError:
            out[path] = None
    return commit.hexsha, out
