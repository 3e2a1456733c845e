"""`drift init`: a starter `.drift.yml` from what the repository and the live source hold (a
`dir:` folder, or a compose project on a Docker engine, local or over SSH).

`starter_config` is pure: the repository's tracked paths, the live files found under the source,
the compose texts and the base branch in; the YAML text out, with the schema line on top, every
tracked file mapped (live path -> repo path), one child per compose service. `write_starter`
does the reading and refuses to overwrite a `.drift.yml` that is there.
"""
from __future__ import annotations

import posixpath
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.config import CONFIG_NAME, config_problems
from bot.errors import ConfigError, DriftError
from bot.kinds import kind_by_name, tracked_kind

SCHEMA_URL = "https://raw.githubusercontent.com/fragjulia/drift-bot/v1/schema/drift.schema.json"
_SKIP = {".git", "node_modules", ".venv", "__pycache__"}


def map_files(live: Sequence[str], repo: Sequence[str]) -> dict[str, str]:
    """Live path -> repo path: the repo file with the same path below some folder (the stack's
    folder in the repository), or for a live `.env` its example beside the compose file."""
    out: dict[str, str | None] = {}
    for path in sorted(live):
        same = sorted((r for r in repo if r == path or r.endswith("/" + path)), key=len)
        if not same and kind_by_name(path) == "dotenv":
            same = sorted((r for r in repo if kind_by_name(r) == "dotenv"
                           and posixpath.basename(r).startswith(posixpath.basename(path))), key=len)
        out[path] = same[0] if same else None
    # A live file main does not have yet goes where the others live in the repository.
    prefixes = [repo_path[:-len(live_path)] for live_path, repo_path in out.items()
                if repo_path and repo_path.endswith(live_path)]
    prefix = max(sorted(set(prefixes)), key=prefixes.count) if prefixes else ""
    return {live_path: repo_path or prefix + live_path for live_path, repo_path in out.items()}


def _yaml_str(value: str) -> str:
    import json

    return value if value.replace("/", "").replace(".", "").replace("-", "").replace("_", "").isalnum() \
        and not value[0].isdigit() else json.dumps(value)


def starter_config(repo_files: Sequence[str], live_files: Sequence[str] | None, compose_texts: Mapping[str, str],
                   base: str, source: str | None) -> str:
    """The text of a starter `.drift.yml` (see the module's docstring)."""
    from bot.compare.yamlload import YamlError, load_yaml

    candidates = [p for p in repo_files if tracked_kind(p)]
    files = map_files(live_files, repo_files) if live_files is not None else {p: p for p in candidates}
    if not files:
        raise DriftError("no compose file, .env, Dockerfile or Caddyfile found to track; "
                         "add `files:` to .drift.yml by hand (see README: .drift.yml)")
    lines = [f"# yaml-language-server: $schema={SCHEMA_URL}",
             "# Made by `drift init`: check the paths, set each child's issue number, then `drift validate`.",
             "version: 1", f"base: {_yaml_str(base)}"]
    lines.append(f"source: {_yaml_str(source)}" if source else "# source: docker://?project=NAME   # or dir:PATH, ssh://user@host?project=NAME")
    lines += ["", "files:                             # live path (relative to the source root) -> repo path"]
    lines += [f"  {_yaml_str(live)}: {_yaml_str(repo)}" for live, repo in files.items()]
    children = []
    for repo_path in sorted({r for r in files.values() if kind_by_name(r) == "compose"}):
        try:
            doc = load_yaml(compose_texts.get(repo_path) or "")
        except YamlError:
            continue
        services = doc.get("services") if isinstance(doc, dict) else None
        for service in services if isinstance(services, dict) else ():
            children.append((str(service), f"{repo_path}#/services/{service}/**"))
    lines += ["", "children:                          # one per service; the first matching rule wins"]
    if not children:
        lines[-1] = "children: {}                       # add one per area of the stack: NAME: {issue: N, match: [RULE]}"
    for number, (service, rule) in enumerate(children, start=1):
        lines += [f"  R-{number}:", f"    title: {_yaml_str(service)}", "    # issue: 0                      # the child issue's number",
                  f"    match: [{_yaml_str(rule)}]"]
    return "\n".join(lines) + "\n"


def _git(repo: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=60)
    return proc.stdout.strip() if proc.returncode == 0 else None


def repo_base(repo: Path) -> str:
    """The default branch as the remote names it, else the branch checked out, else main."""
    head = _git(repo, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    if head and "/" in head:
        return head.split("/", 1)[1]
    return _git(repo, "symbolic-ref", "--quiet", "--short", "HEAD") or "main"


def _walk(root: Path) -> list[str]:
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in _SKIP for part in rel.parts) or path.is_symlink() or not path.is_file():
            continue
        if tracked_kind(rel.as_posix()):
            out.append(rel.as_posix())
    return out


def write_starter(repo: Path, source: str | None) -> tuple[Path, str]:
    target = repo / CONFIG_NAME
    if target.exists():
        raise DriftError(f"{target} already exists; drift init does not overwrite it (check it with `drift validate`)")
    listed = _git(repo, "ls-files")
    repo_files = [p for p in (listed.splitlines() if listed is not None else _walk(repo)) if p]
    live_files = None
    if source and source.startswith("dir:"):
        folder = (repo / source[4:]).resolve() if not Path(source[4:]).is_absolute() else Path(source[4:])
        if not folder.is_dir():
            raise DriftError(f"source folder {folder} does not exist or is not a folder; check --source")
        live_files = _walk(folder)
    elif source and source.startswith(("docker://", "ssh://")):
        from bot.capture.docker import engine_project_files

        live_files = engine_project_files(source)  # the compose project's files, read on its host
    elif source:
        raise DriftError(f"unknown source {source!r}; use dir:PATH, docker://[?project=NAME] or ssh://user@host[?project=NAME]")
    texts = {}
    for path in repo_files:
        if kind_by_name(path) == "compose" and (repo / path).is_file() and (repo / path).stat().st_size <= 5 << 20:
            texts[path] = (repo / path).read_text(encoding="utf-8", errors="replace")
    text = starter_config(repo_files, live_files, texts, repo_base(repo), source)
    problems = config_problems(text, target)
    if problems:  # a starter that does not pass its own schema is a bug here, not the user's
        raise ConfigError(f"drift init made a .drift.yml it cannot read ({problems[0]}); please report it")
    target.write_text(text, encoding="utf-8")
    return target, text
