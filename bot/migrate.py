"""migrate: legacy Markdown (voice/DEPLOY-AWS.md, voice/CREDENTIALS-CHECKLIST.md) into docs-site MDX.

The Markdown structure is kept as it is; what MDX would read as code is neutralised outside
code blocks and code spans (`{`, `}`, `<`, HTML comments, `import`/`export` lines). The title
and description come from the first heading and paragraph. Relative links to other migrated
files point at their new pages; other relative links and images point at the file in the
repository. Secret values are redacted first: a credentials checklist keeps its items, never
their values.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.secrets import redact
from bot.errors import DriftError
from bot.mdx import mdx, yaml_str

if TYPE_CHECKING:
    from bot.config import Config

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)(\s+\"[^\"]*\")?\)")
_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")


@dataclass(frozen=True)
class Migrated:
    source: str  # repo path of the legacy file
    page: str  # repo path of the new .mdx page
    text: str
    redacted: int


def repo_relative(path: str, repo: Path) -> str:
    """A path given on the command line as the repository names it: `./voice/x.md` and an
    absolute path inside the checkout both become `voice/x.md`; `.env` stays `.env`; a path
    leading outside the repository (`../../etc/passwd`, `/etc/passwd`, a symlink out) is refused."""
    root = repo.resolve()
    given = Path(path)
    rel = posixpath.normpath(given.as_posix()) if not given.is_absolute() else None
    if rel is None:
        try:
            rel = given.resolve().relative_to(root).as_posix()
        except ValueError:
            raise DriftError(f"{path}: outside the repository {repo}; name a file in it") from None
    if rel == ".." or rel.startswith("../") or rel == ".":
        raise DriftError(f"{path}: outside the repository {repo}; name a file in it")
    resolved = (root / rel).resolve()
    if resolved != root and root not in resolved.parents:
        raise DriftError(f"{path}: leads outside the repository {repo} (through a symlink); name a file in it")
    return rel


def page_name(source: str) -> str:
    stem = posixpath.splitext(posixpath.basename(source))[0]
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "page"


def _plain(markdown: str) -> str:
    text = _LINK.sub(lambda m: m.group(2), markdown)
    return re.sub(r"[*_`>#]+", "", text).strip()


def _escape_text(segment: str) -> str:
    """Text outside code: keep Markdown, neutralise what only MDX would read as code."""
    segment = _AUTOLINK.sub(lambda m: f"[{m.group(1)}]({m.group(1)})", segment)
    return segment.replace("{", "\\{").replace("}", "\\}").replace("<", "\\<")


def _escape_line(line: str) -> str:
    # Inline code spans stay as they are; MDX reads them literally too.
    parts = re.split(r"(`+[^`]*`+)", line)
    out = "".join(p if p.startswith("`") else _escape_text(p) for p in parts)
    return re.sub(r"^(\s*)([ie])(mport|xport)\b", lambda m: f"{m[1]}&#x{ord(m[2]):x};{m[3]}", out)


def migrate(source: str, text: str, *, docs_dir: str, pages: Mapping[str, str], blob_url: str) -> Migrated:
    """`pages`: repo path of every file being migrated -> its page name (for links between them);
    `blob_url`: where a repo path is shown on GitHub (`https://github.com/o/r/blob/main`)."""
    done = redact(text, "text")
    text, redacted = done.text, done.count
    lines = text.splitlines()
    title, start = None, 0
    for i, line in enumerate(lines):
        m = _HEADING.match(line)
        if m:
            title, start = _plain(m.group(1)), i + 1
            break
        if line.strip():
            break
    if title is None:
        title = posixpath.splitext(posixpath.basename(source))[0].replace("-", " ").replace("_", " ").title()
    body = lines[start:]
    first = []
    for line in body:
        if not line.strip():
            if first:
                break
            continue
        if line.lstrip().startswith(("#", "```", "~~~", "|", "-", "*", ">")) and not first:
            break
        first.append(line.strip())
    description = _plain(" ".join(first))[:200] or title
    here = posixpath.dirname(source)

    def link(m: re.Match[str]) -> str:
        bang, label, target, title_part = m.group(1), m.group(2), m.group(3), m.group(4) or ""
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target, re.I):
            return m.group(0)
        path, _, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(here, path))
        if not bang and resolved in pages:
            new = pages[resolved] + (f"#{anchor}" if anchor else "")
        else:
            new = f"{blob_url}/{resolved}" + ("?raw=true" if bang else "") + (f"#{anchor}" if anchor else "")
        return f"{bang}[{label}]({new}{title_part})"

    out, fence = [], None
    raw = "\n".join(body)
    raw = _COMMENT.sub(lambda m: "{/*" + m.group(1).replace("*/", "* /") + "*/}", raw)
    for line in raw.split("\n"):
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * len(m.group(1))
            out.append(line)
            continue
        if fence is not None:
            out.append(line)
            if line.strip().startswith(fence):
                fence = None
            continue
        if line.startswith("{/*"):
            out.append(line)
            continue
        out.append(_escape_line(_LINK.sub(link, line)))
    if fence is not None:
        raise DriftError(f"{source}: a code block opened with {fence} is never closed")
    front = f"---\ntitle: {yaml_str(title)}\ndescription: {yaml_str(description)}\n---\n"
    note = f"\n_Migrated from `{source}`._\n" if source else ""
    page = f"{docs_dir.rstrip('/')}/{pages.get(source) or page_name(source)}.mdx"
    return Migrated(source, page, front + note + "\n" + "\n".join(out).strip("\n") + "\n", redacted)


__all__ = ["Migrated", "migrate", "mdx", "page_name"]


def migration_files(config: Config, sources: Mapping[str, str], read: Callable[[str], str | None],
                    server_url: str, repository: str) -> tuple[dict[str, str | None], list[Migrated]]:
    """The pages for `sources` (repo path -> legacy text) and the `meta.json` listing them;
    `read` gives a file of the docs folder as it stands (None when absent)."""
    from bot.docs_meta import meta_updates

    docs_dir = config.docs.dir
    names = {src: page_name(src) for src in sources}
    blob = f"{server_url.rstrip('/')}/{repository}/blob/{config.base}"
    migrated = [migrate(src, text, docs_dir=docs_dir, pages=names, blob_url=blob) for src, text in sources.items()]
    pages = {m.page: m.text for m in migrated}
    return {**pages, **meta_updates(pages, config.docs, read)}, migrated
