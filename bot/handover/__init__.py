"""handover: the facts of a run -> the docs pages a bring-up ends with. Pure: no I/O.

`handover_pages` turns a DiffReport (with its findings), `.drift.yml`, and what GitHub holds
(pull requests, issues; both optional) into MDX pages: the session handover, optionally the
stack's architecture page, and a changelog entry when `docs.changelog` is set. The words are in
the templates (`handover.mdx.j2`, `architecture.mdx.j2`, `changelog-entry.mdx.j2`), which a team
may override; this package only gathers the facts (`facts`, from `issues`, `changes`,
`findings`, `architecture`) and orders them (`follow_ups`); this module names and renders the pages.

Follow-ups are ordered as a careful engineer would sequence them, from the data:
1. work that waits for nothing comes before work gated on a decision (`gates:`), and gated
   work follows its gates' order (the end-to-end verification comes last);
2. among ready work, bringing live-only fixes back to main comes first, smallest and most
   self-contained first: a doc-only close, then one-child PRs by files and changes touched,
   then atomic multi-child PRs;
3. then other open issues under the parent, then the tracker's attachment slots.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.config import DOCS_DIR, Config, DocsConfig
from bot.errors import DriftError
from bot.handover.facts import ICONS, Facts, _slug, gather
from bot.handover.issues import Ref
from bot.handover_entry import AsOf, with_entry
from bot.mdx import mdx, register
from bot.model import DiffReport, IssueState, PullRequestState
from bot.render import environment

ARCHITECTURE_PAGE = "stack-architecture"
# Fumadocs serves the pages under `content/docs` at `/docs` (its default `baseUrl`).
CONTENT_ROOT, BASE_URL = "content/docs", "/docs"

# What the CLI, the docs run and the tests import from here; `gather` lives in `facts`.
__all__ = ["ARCHITECTURE_PAGE", "BASE_URL", "CONTENT_ROOT", "DOCS_DIR", "ICONS", "entry_slug", "gather",
           "handover_pages", "mdx_ref", "page_icons", "page_name", "plural", "render_mdx", "site_url"]


def handover_pages(report: DiffReport, config: Config, *, date: str, slug: str | None = None,
                   pulls: Sequence[PullRequestState] = (), issues: Mapping[int, IssueState] | None = None,
                   live: Mapping[str, str] | None = None, architecture: bool = False,
                   templates: str | None = None, github_url: str = "https://github.com") -> dict[str, str]:
    """Repo path -> MDX text of the pages a handover writes.

    `issues` (number -> IssueState) is None without GitHub: PRs then read "not opened yet" and
    issue states are not claimed. `live` (repo path -> live text, from the snapshot) feeds the
    architecture page's service list. Settings come from `docs:` in `.drift.yml`: `dir`,
    `changelog` (a folder: one page per entry), `architecture` (its page name), `sidebar` and
    `head` (for meta.json, see bot.docs_meta) and `doc_only` (child -> why it closes with a
    note rather than code).
    """
    facts = gather(report, config, date=date, slug=slug, pulls=pulls, issues=issues, live=live,
                   github_url=github_url)
    docs = config.docs
    folder = _inside("docs.dir", docs.dir)
    paths = {"handover": f"{folder}/handover-{facts.date}-{facts.slug}.mdx"}
    if architecture:
        paths["architecture"] = f"{folder}/{_slug(docs.architecture or ARCHITECTURE_PAGE)}.mdx"
    if docs.changelog:
        paths["changelog"] = f"{_inside('docs.changelog', docs.changelog)}/{facts.date}-{facts.slug}.mdx"
    titles = {"handover": f"Handover {facts.date}: {facts.title}",
              "architecture": page_name(paths.get("architecture", ARCHITECTURE_PAGE)).replace("-", " ").capitalize()}
    links = {role: url for role, path in paths.items() if (url := site_url(path, docs))}
    facts = Facts(**{**facts.__dict__, "pages": paths, "titles": titles, "links": links, "icons": page_icons(docs)})
    names = {"handover": "handover.mdx.j2", "architecture": "architecture.mdx.j2", "changelog": "changelog-entry.mdx.j2"}
    pages = {path: render_mdx(names[role], templates, facts=facts) for role, path in paths.items()}
    # The handover page remembers what it was written as of: a later run can tell news from a new clock.
    as_of = AsOf(facts.date, report.captured_at or "", report.base_commit or "")
    pages[paths["handover"]] = with_entry(pages[paths["handover"]], as_of)
    return pages


def page_icons(docs: DocsConfig) -> dict[str, str]:
    """Role -> frontmatter icon. `docs.icons: false` leaves them out (a site without an icon
    plugin would show the name as text); a mapping names other icons."""
    setting = docs.icons
    if setting is True:
        return dict(ICONS)
    if setting is False:
        return {}
    if isinstance(setting, Mapping) and all(k in ICONS and isinstance(v, str) and v for k, v in setting.items()):
        return {**ICONS, **setting}
    raise DriftError(".drift.yml: docs.icons must be true, false, or icon names for handover, architecture, changelog")


def site_url(path: str, docs: DocsConfig) -> str | None:
    """The URL the docs site serves a page at: the part of its path under `docs.content_root`
    (default `content/docs`) below `docs.base_url` (default `/docs`), without `.mdx`, route
    groups `(name)` or a final `index`. None when the page is not under the content root: the
    pages then name each other by path instead of linking."""
    base = docs.base_url or BASE_URL
    if not re.fullmatch(r"/[A-Za-z0-9._~/-]*", base):
        raise DriftError(f".drift.yml: docs.base_url must be a path like /docs, not {base!r}")
    root = (docs.content_root or CONTENT_ROOT).strip("/").split("/")
    parts = posixpath.splitext(path)[0].split("/")
    starts = [i for i in range(len(parts) - len(root) + 1) if parts[i:i + len(root)] == root]
    if not starts:
        return None
    rest = [p for p in parts[starts[-1] + len(root):] if not (p.startswith("(") and p.endswith(")"))]
    if rest and rest[-1] == "index":
        rest.pop()
    if any(not re.fullmatch(r"[A-Za-z0-9._~-]+", p) for p in rest):
        return None  # a name a URL would have to escape: named by path instead
    return "/".join([base.rstrip("/"), *rest]) or "/"


def render_mdx(name: str, templates: str | None, **context: Any) -> str:
    def env_of(folder: str | None) -> Any:
        env = register(environment(folder))
        env.filters.update(ref=mdx_ref, plural=plural)
        return env

    env = env_of(templates)
    context = {"plural": plural, **context}
    # The changelog says its follow-ups in the handover's words (its macros). A team's own
    # handover template may not define them: then the bundled one lends its macros.
    macros = env.get_template("handover.mdx.j2").make_module(context)
    if not hasattr(macros, "follow_up") and templates is not None:
        macros = env_of(None).get_template("handover.mdx.j2").make_module(context)
    return env.get_template(name).render(handover=macros, **context)


def mdx_ref(r: Ref | None, title: bool = False) -> str:
    """`R-5 ([#666](…))`, linked when the repository is known; `title` adds the title:
    `R-10 ([#670](…), bring-up verification)`."""
    if r is None:
        return ""
    url = r.url if r.url and not re.search(r"[\s()<>]", r.url) else None
    number = (f"[#{r.number}]({url})" if url else f"#{r.number}") if r.number else ""
    name = mdx(r.name) if r.name else ""
    extra = [number] if name and number else []
    if title and r.title and r.title != r.name:
        extra.append(mdx(r.title))
    head = name or number or "an issue"
    return f"{head} ({', '.join(extra)})" if extra else head


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def _inside(key: str, folder: str) -> str:
    """A docs folder as a repo path; one that leaves the repository is a mistake in `.drift.yml`."""
    clean = posixpath.normpath(folder.strip())
    if clean.startswith(("/", "..")) or clean == ".":
        raise DriftError(f".drift.yml: {key} must be a folder inside the repository, not {folder!r}")
    return clean


def entry_slug(slug: str | None) -> str:
    """The tail of a handover page's name, as `handover_pages` writes it."""
    return _slug(slug or "bring-up")


def page_name(path: str) -> str:
    return posixpath.splitext(posixpath.basename(path))[0]
