"""What kind of file a tracked path is, for comparing it and for finding its secrets.

By the common naming conventions of either side's name (`.env`, `*.env`, `.env.*`, `env.*`,
`*.env.example`; `Dockerfile`, `Dockerfile.*`, `*.Dockerfile`; `compose*.y*ml`,
`docker-compose*.y*ml`; `Caddyfile`), or as `files:` in `.drift.yml` says it
(`{path: ..., kind: env}`): a tracked `.env` kept in the repository as `voice/settings.txt` is
still read by key.
"""
from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterable, Mapping

KINDS = ("compose", "dotenv", "dockerfile", "text")  # how a file is compared
# `kind:` in .drift.yml, as a person names it -> how the file is compared (a Caddyfile by hunks)
DECLARED = {"compose": "compose", "env": "dotenv", "dockerfile": "dockerfile", "caddyfile": "text", "text": "text"}

# Repo path -> kind, for files whose kind `.drift.yml` gives or their live name tells (see declare).
_declared: dict[str, str] = {}
_named: dict[str, str] = {}


def kind_by_name(path: str) -> str:
    """compose, dotenv, dockerfile or text, by the file's name alone."""
    name = path.rsplit("/", 1)[-1].lower()
    if fnmatch.fnmatch(name, "*compose*.y*ml"):
        return "compose"
    if (name == ".env" or name.startswith((".env.", "env.")) or name.endswith(".env")
            or ".env." in name):
        return "dotenv"
    if name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile"):
        return "dockerfile"
    return "text"


def file_kind(repo_path: str) -> str:
    """How the file at `repo_path` is compared: as declared, else by its name."""
    return _declared.get(repo_path) or kind_by_name(repo_path)


def kinds_of(files: Iterable[tuple[str, str]], declared: Mapping[str, str] = {}) -> dict[str, str]:
    """Repo path -> kind for the tracked files whose kind is not their repo name's: declared in
    `.drift.yml`, or told by the live name (`.env` live, `voice/env-example.txt` in the repo)."""
    out = {}
    for live, repo in files:
        if repo in declared:
            out[repo] = DECLARED[declared[repo]]
        elif kind_by_name(repo) == "text" and kind_by_name(live) != "text":
            out[repo] = kind_by_name(live)
    return out


def declare(kinds: Mapping[str, str], named: Mapping[str, str] = {}) -> None:
    """Make `kinds` (from `kinds_of`) the kinds of this run's tracked files; the CLI calls it
    once the config is loaded, so every stage (compare, edit, secrets, checks) reads a file alike.
    `named` keeps `kind:` as `.drift.yml` says it (a `caddyfile` is compared as text, but its
    secrets are looked for as a Caddyfile's)."""
    _declared.clear()
    _declared.update(kinds)
    _named.clear()
    _named.update(named)


def declared_as(repo_path: str) -> str | None:
    """`kind:` of the file as `.drift.yml` names it, if it names one."""
    return _named.get(repo_path)


def tracked_kind(path: str) -> bool:
    """A file drift compares by structure: compose, env, Dockerfile, or a Caddyfile."""
    return kind_by_name(path) != "text" or posixpath.basename(path).lower().startswith("caddyfile")
