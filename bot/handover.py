"""handover: the facts of a run -> the docs pages a bring-up ends with. Pure: no I/O.

`handover_pages` turns a DiffReport (with its findings), `.drift.yml`, and what GitHub holds
(pull requests, issues; both optional) into MDX pages: the session handover, optionally the
stack's architecture page, and a changelog entry when `docs.changelog` is set. The words are in
the templates (`handover.mdx.j2`, `architecture.mdx.j2`, `changelog-entry.mdx.j2`), which a team
may override; this module only gathers and orders the facts.

Follow-ups are ordered as a careful engineer would sequence them, from the data:
1. work that waits for nothing comes before work gated on a decision (`gates:`), and gated
   work follows its gates' order (the end-to-end verification comes last);
2. among ready work, bringing live-only fixes back to main comes first, smallest and most
   self-contained first: a doc-only close, then one-child PRs by files and changes touched,
   then atomic multi-child PRs;
3. then other open issues under the parent, then the tracker's attachment slots.
"""
from __future__ import annotations

import datetime as _dt
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.compare import file_kind
from bot.config import Config
from bot.handover_entry import AsOf, with_entry
from bot.errors import DriftError
from bot.mdx import mdx, register, short
from bot.model import DiffReport, Divergence, Finding, IssueState, PullRequestState
from bot.plan import proposed_prs

DOCS_DIR = "apps/docs/content/docs/operations"
ARCHITECTURE_PAGE = "stack-architecture"
# Frontmatter icons: lucide names, which Fumadocs' icon plugin shows beside the sidebar entry.
ICONS = {"handover": "ClipboardCheck", "architecture": "Server", "changelog": "History"}
# Fumadocs serves the pages under `content/docs` at `/docs` (its default `baseUrl`).
CONTENT_ROOT, BASE_URL = "content/docs", "/docs"
_TITLE_NAME = re.compile(r"^\s*\[?([A-Z][A-Z0-9]*-\d+)\]?\s*[:·—–-]?\s*(.*)$", re.S)
# Words in a research ticket's title that say which check's findings it answers.
_CHECK_WORDS = {"vram": ("vram", "gpu memory"), "model_cache": ("cache",), "health": ("health",), "images": ("image",)}


@dataclass(frozen=True)
class Ref:
    """An issue the pages name: R-5 (#666), RT-1 (#673), or only one of the two."""

    name: str | None
    number: int | None
    title: str | None = None
    state: str | None = None  # open | closed | None: not known (GitHub not consulted)
    url: str | None = None

    @property
    def closed(self) -> bool:
        return self.state == "closed"


@dataclass(frozen=True)
class Change:
    child: str | None
    file: str
    label: str
    where: str
    kind: str
    before: str | None
    after: str | None
    secret: bool
    whole_file: bool
    brief: tuple[str | None, str | None] | None = None  # (before, after) in a few characters, when that fits
    keyed: bool = True  # a key (compose, .env) rather than a line of text


@dataclass(frozen=True)
class PullItem:
    slug: str
    branch: str
    title: str
    children: tuple[Ref, ...]
    changes: tuple[Change, ...]
    files: tuple[str, ...]
    number: int | None
    state: str  # none | open | merged | closed
    url: str | None
    doc_only: str | None  # why its children close with a note, when a human decided so

    @property
    def atomic(self) -> bool:
        return len(self.children) > 1


@dataclass(frozen=True)
class FollowUp:
    kind: str  # close | pr | issue | attach | gate
    ref: Ref | None = None
    pull: PullItem | None = None
    reason: str | None = None
    after: tuple[Ref, ...] = ()  # decisions it waits for
    then: tuple[Ref, ...] = ()  # what waits for it
    slots: tuple[tuple[str, str], ...] = ()  # (key, label) of attachment slots still empty
    known: bool = True  # False: GitHub was not consulted, so it may be done already
    probes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facts:
    """Everything the templates may say, gathered once."""

    date: str
    slug: str
    title: str
    report: DiffReport
    github: bool
    base_commit: str
    changes: tuple[Change, ...]
    by_file: tuple[tuple[str, tuple[Change, ...]], ...]
    pulls: tuple[PullItem, ...]
    unrouted: tuple[Change, ...]
    findings: tuple[dict[str, Any], ...]
    vram: dict[str, Any] | None
    caches: tuple[dict[str, Any], ...]
    research: tuple[dict[str, Any], ...]
    gates: tuple[dict[str, Any], ...]
    follow_ups: tuple[FollowUp, ...]
    parent: Ref | None
    mega: Ref | None
    services: tuple[dict[str, Any], ...] = ()
    contested: tuple[tuple[str, int], ...] = ()  # files more than one unmerged pull request edits
    pages: dict[str, str] = field(default_factory=dict)  # role -> repo path of the pages written
    titles: dict[str, str] = field(default_factory=dict)  # role -> page title
    links: dict[str, str] = field(default_factory=dict)  # role -> the page's URL in the docs site, when known
    icons: dict[str, str] = field(default_factory=lambda: dict(ICONS))  # role -> frontmatter icon


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
    folder = _inside("docs.dir", str(docs.get("dir") or DOCS_DIR))
    paths = {"handover": f"{folder}/handover-{facts.date}-{facts.slug}.mdx"}
    if architecture:
        paths["architecture"] = f"{folder}/{_slug(str(docs.get('architecture') or ARCHITECTURE_PAGE))}.mdx"
    if docs.get("changelog"):
        paths["changelog"] = f"{_inside('docs.changelog', str(docs['changelog']))}/{facts.date}-{facts.slug}.mdx"
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


def page_icons(docs: Mapping[str, Any]) -> dict[str, str]:
    """Role -> frontmatter icon. `docs.icons: false` leaves them out (a site without an icon
    plugin would show the name as text); a mapping names other icons."""
    setting = docs.get("icons", True)
    if setting is True:
        return dict(ICONS)
    if setting is False:
        return {}
    if isinstance(setting, Mapping) and all(k in ICONS and isinstance(v, str) and v for k, v in setting.items()):
        return {**ICONS, **setting}
    raise DriftError(".drift.yml: docs.icons must be true, false, or icon names for handover, architecture, changelog")


def site_url(path: str, docs: Mapping[str, Any]) -> str | None:
    """The URL the docs site serves a page at: the part of its path under `docs.content_root`
    (default `content/docs`) below `docs.base_url` (default `/docs`), without `.mdx`, route
    groups `(name)` or a final `index`. None when the page is not under the content root: the
    pages then name each other by path instead of linking."""
    base = str(docs.get("base_url") or BASE_URL)
    if not re.fullmatch(r"/[A-Za-z0-9._~/-]*", base):
        raise DriftError(f".drift.yml: docs.base_url must be a path like /docs, not {base!r}")
    root = str(docs.get("content_root") or CONTENT_ROOT).strip("/").split("/")
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
    from bot.render import environment

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


def gather(report: DiffReport, config: Config, *, date: str, slug: str | None = None,
           pulls: Sequence[PullRequestState] = (), issues: Mapping[int, IssueState] | None = None,
           live: Mapping[str, str] | None = None, github_url: str = "https://github.com") -> Facts:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise ValueError(date)
        _dt.date.fromisoformat(date)
    except (TypeError, ValueError):
        raise DriftError(f"--date must be a date like 2026-04-24, not {date!r}") from None
    if not isinstance(config.docs.get("doc_only") or {}, Mapping):
        raise DriftError(".drift.yml: docs.doc_only must map a child to the reason it closes without code")
    if not isinstance(config.docs.get("head") or [], list):
        raise DriftError(".drift.yml: docs.head must be a list of page names")
    slug = _slug(slug or "bring-up")
    if not slug:
        raise DriftError("--slug must contain letters or digits (it names the page file)")
    refs = _Refs(config, issues, github_url)
    docs = config.docs
    doc_only = {str(k): str(v) for k, v in (docs.get("doc_only") or {}).items()}

    changes = tuple(_change(d) for d in report.divergences)
    by_file: dict[str, list[Change]] = {}
    for c in changes:
        by_file.setdefault(c.file, []).append(c)
    items = _pull_items(report, config, refs, pulls, doc_only)
    findings = tuple(_finding(f) for f in report.findings)
    research = _research(config, refs, report.findings)
    # A gate that waits only for gated work (R-0 after R-10) closes a chain: said with that work.
    gates = tuple({"item": refs.by_name(k), "after": tuple(refs.by_name(a) for a in after),
                   "closes_chain": bool(after) and all(a in config.gates for a in after)} for k, after in config.gates.items())
    parent = refs.by_number(config.tracker.parent) if config.tracker.parent else None
    mega = refs.by_number(config.tracker.mega) if config.tracker.mega else None
    follow = _follow_ups(config, refs, items, doc_only, parent, mega, issues)
    return Facts(
        date=date, slug=slug, title=slug.replace("-", " "), report=report, github=issues is not None,
        base_commit=(report.base_commit or "")[:7], changes=changes,
        by_file=tuple((f, tuple(cs)) for f, cs in by_file.items()), pulls=items,
        unrouted=tuple(c for c in changes if c.child is None), findings=findings,
        vram=_vram(report.findings), caches=tuple(f for f in findings if f["check"] == "model_cache"),
        research=research, gates=gates, follow_ups=follow, parent=parent, mega=mega,
        services=_services(live or {}, report.findings),
        contested=_contested(items),
    )


def _inside(key: str, folder: str) -> str:
    """A docs folder as a repo path; one that leaves the repository is a mistake in `.drift.yml`."""
    clean = posixpath.normpath(folder.strip())
    if clean.startswith(("/", "..")) or clean == ".":
        raise DriftError(f".drift.yml: {key} must be a folder inside the repository, not {folder!r}")
    return clean


def _contested(items: Sequence[PullItem]) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    for item in items:
        if item.state != "merged":
            for f in item.files:
                counts[f] = counts.get(f, 0) + 1
    return tuple((f, n) for f, n in counts.items() if n > 1)


def entry_slug(slug: str | None) -> str:
    """The tail of a handover page's name, as `handover_pages` writes it."""
    return _slug(slug or "bring-up")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- issues by name and number ---------------------------------------------------------

class _Refs:
    """Names and numbers of the issues the run knows (`bot.gates.issue_names`: children, research
    keys, `R-0` for the parent, `issues:`), with titles from `.drift.yml` (child and research
    titles) or else from GitHub, whose titles also name issues `.drift.yml` does not
    ("R-12: docs migration")."""

    def __init__(self, config: Config, issues: Mapping[int, IssueState] | None, github_url: str):
        from bot.gates import issue_names

        self.issues = issues or {}
        self.base = f"{github_url.rstrip('/')}/{config.repository}" if config.repository else None
        self.numbers: dict[str, int] = dict(issue_names(config))
        self.titles: dict[int, str] = {}
        for child in config.children:
            if child.issue and child.title:
                self.titles[child.issue] = child.title  # the configured title says what it owns
        for item in config.tracker.research:
            if isinstance(item, Mapping) and item.get("issue") and item.get("title"):
                self.titles[int(item["issue"])] = str(item["title"])
        for number, issue in self.issues.items():
            m = _TITLE_NAME.match(issue.title or "")
            if m:
                self.numbers.setdefault(m[1], number)
                self.titles.setdefault(number, m[2] or issue.title)
        self.names = {n: k for k, n in self.numbers.items()}

    def by_number(self, number: int | None, name: str | None = None) -> Ref:
        issue = self.issues.get(number) if number else None
        return Ref(name or self.names.get(number or -1), number, self.titles.get(number or -1) or (issue.title if issue else None),
                   issue.state if issue else None, f"{self.base}/issues/{number}" if self.base and number else None)

    def by_name(self, name: str) -> Ref:
        number = self.numbers.get(name)
        return self.by_number(number, name) if number else Ref(name, None)

    def pull_url(self, number: int) -> str | None:
        return f"{self.base}/pull/{number}" if self.base else None


# --- changes and pull requests ---------------------------------------------------------

def _change(d: Divergence) -> Change:
    kind = file_kind(d.file)
    base = posixpath.basename(d.file)
    if not d.pointer:
        label = f"{base} (whole file)"
    elif kind == "compose" and d.pointer.startswith("/services/"):
        service, _, rest = d.pointer[len("/services/"):].partition("/")
        label = f"{_unescape(service)} {'.'.join(_unescape(p) for p in rest.split('/'))}".strip()
    elif kind in ("compose", "dotenv"):
        label = ".".join(_unescape(p) for p in d.pointer.strip("/").split("/"))
    else:
        label = f"{base} line {d.line}" if d.line else f"{base} {d.pointer}"
    where = f"{d.file}:{d.line}" if d.line else d.file
    from bot.render import show  # keeps the part where the two sides differ in view

    return Change(d.child, d.file, label, where, d.kind, None if d.before is None else show(d.before, 70, d.after),
                  None if d.after is None else show(d.after, 70, d.before), d.secret, not d.pointer and d.kind == "added",
                  None if d.secret else _brief(d.before, d.after), kind in ("compose", "dotenv") and bool(d.pointer))


def _brief(before: Any, after: Any, width: int = 50) -> tuple[str | None, str | None] | None:
    """The difference in a few characters, (before, after): `("10", "30")`, `(None, "1")` for an
    addition, the one list item that changed, a common start left out (`…8080/healthz`)."""
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        diff = [(a, b) for a, b in zip(before, after) if a != b]
        if len(diff) == 1:
            before, after = diff[0]
    if isinstance(before, (dict, list)) or isinstance(after, (dict, list)):
        return None
    a = None if before is None else short(before, 10_000)
    b = None if after is None else short(after, 10_000)
    if a is not None and b is not None and len(a) + len(b) > width:
        words = [(x, y) for x, y in zip(a.split(" "), b.split(" ")) if x != y]
        if len(words) == 1 and a.count(" ") == b.count(" ") and len(words[0][0]) + len(words[0][1]) <= width:
            return words[0]  # a one-word fix ("consise" -> "concise")
        common = len(posixpath.commonprefix([a, b]))
        cut = max((a.rfind(ch, 0, common) for ch in ":/ ="), default=-1) + 1
        if cut > 0:
            a, b = "…" + a[cut:], "…" + b[cut:]
    if sum(len(v) for v in (a, b) if v is not None) > width:
        return None
    return a, b


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _pull_items(report: DiffReport, config: Config, refs: _Refs, pulls: Sequence[PullRequestState],
                doc_only: Mapping[str, str]) -> tuple[PullItem, ...]:
    out = []
    for pr in proposed_prs(report, config):
        mine = [p for p in sorted(pulls, key=lambda p: p.number) if p.head == pr.branch]
        pull = next((p for p in mine if p.state == "open"), mine[-1] if mine else None)
        state = "none" if pull is None else "merged" if pull.merged else pull.state
        changes = tuple(_change(d) for d in pr.divergences)
        reasons = [doc_only[c] for c in pr.children if c in doc_only]
        out.append(PullItem(pr.slug, pr.branch, pull.title if pull else pr.title, tuple(refs.by_name(c) for c in pr.children), changes,
                            tuple(dict.fromkeys(c.file for c in changes)), pull.number if pull else None, state,
                            refs.pull_url(pull.number) if pull else None, "; ".join(reasons) or None))
    return tuple(out)


# --- findings --------------------------------------------------------------------------

def _finding(f: Finding) -> dict[str, Any]:
    return {"id": f.id, "check": f.check, "severity": f.severity, "message": f.message, "evidence": f.evidence or {},
            "main_only": (f.evidence or {}).get("side") == "main", "service": (f.evidence or {}).get("service")}


def _vram(findings: Sequence[Finding]) -> dict[str, Any] | None:
    """The VRAM accounting of the first GPU the vram check reported on (None without one)."""
    for f in findings:
        ev = f.evidence or {}
        if f.check != "vram" or not isinstance(ev.get("services"), list):
            continue
        rows = [s for s in ev["services"] if isinstance(s, Mapping) and s.get("service")]
        memory, total = ev.get("memory_gib"), ev.get("total_gib")
        if total is None and rows and all(isinstance(r.get("gib"), (int, float)) for r in rows):
            total = sum(r["gib"] for r in rows)
        used = total / memory if isinstance(total, (int, float)) and isinstance(memory, (int, float)) and memory else None
        threshold = ev.get("threshold")
        return {"gpu": ev.get("gpu"), "model": ev.get("model"), "memory": memory, "rows": rows, "total": total,
                "used": used, "threshold": threshold, "severity": f.severity, "message": f.message,
                "over": used is not None and isinstance(threshold, (int, float)) and used > threshold,
                "unclaimed": tuple(ev.get("unclaimed") or ()), "evidence": ev}
    return None


def _research(config: Config, refs: _Refs, findings: Sequence[Finding]) -> tuple[dict[str, Any], ...]:
    out = []
    for item in config.tracker.research:
        if isinstance(item, Mapping):
            ref = refs.by_number(item["issue"], str(item.get("key")) if item.get("key") else None) if item.get("issue") \
                else Ref(str(item.get("key") or item.get("title")), None, str(item.get("title") or ""))
        else:
            ref = refs.by_number(int(item))
        title = (ref.title or "").lower()
        checks = {c for c, words in _CHECK_WORDS.items() if any(w in title for w in words)}
        feeds = tuple(_finding(f) for f in findings if f.check in checks)
        waiting = tuple(refs.by_name(k) for k, after in config.gates.items() if ref.name in after)
        out.append({"ref": ref, "findings": feeds, "waiting": waiting})
    return tuple(out)


# --- follow-ups ------------------------------------------------------------------------

def _follow_ups(config: Config, refs: _Refs, items: Sequence[PullItem], doc_only: Mapping[str, str],
                parent: Ref | None, mega: Ref | None, issues: Mapping[int, IssueState] | None) -> tuple[FollowUp, ...]:
    known = issues is not None
    pending = lambda names: tuple(r for n in names for r in [refs.by_name(n)] if not r.closed)  # noqa: E731
    ready: list[tuple[tuple[Any, ...], FollowUp]] = []
    gated: list[tuple[tuple[Any, ...], FollowUp]] = []
    order = {c.name: i for i, c in enumerate(config.children)}

    def add(rank: tuple[Any, ...], item: FollowUp, names: Sequence[str]) -> None:
        waits = tuple(dict.fromkeys(a for n in names for a in pending(config.gates.get(n, ()))))
        if waits:
            gated.append(((_depth(config.gates, names), *rank), FollowUp(**{**item.__dict__, "after": waits})))
        else:
            ready.append((rank, item))

    covered: set[str] = set()
    for item in items:
        names = [c.name or "" for c in item.children]
        covered.update(names)
        if item.state == "merged":
            continue
        first = min(order.get(n, len(order)) for n in names)
        size = (len(item.children), len(item.files), len(item.changes), first)
        if item.doc_only:
            add((0, 0, *size), FollowUp("close", item.children[0], item, item.doc_only), names)
        else:
            add((0, 1, *size), FollowUp("pr", pull=item), names)
    for child in config.children:  # open children with nothing live-only left: a note closes them
        ref = refs.by_name(child.name)
        if child.name in covered or ref.number is None or ref.state != "open":
            continue
        covered.add(child.name)
        reason = doc_only.get(child.name) or "nothing of it is live-only any more"
        add((0, 0, 0, 0, 0, order[child.name]), FollowUp("close", ref, reason=reason), [child.name])

    special = {n for n in (parent.number if parent else None, mega.number if mega else None) if n}
    research = {item if isinstance(item, int) else item.get("issue") for item in config.tracker.research} - {None}
    gate_names = set(config.gates) | {a for after in config.gates.values() for a in after}
    for number in sorted(set((issues or {}).keys()) | set(refs.names)):
        ref = refs.by_number(number)
        if number in special or number in research or ref.name in covered or ref.name in gate_names:
            continue
        if ref.name is None or ref.name in order or (known and ref.state != "open"):
            continue
        add((1, 0, number), FollowUp("issue", ref, known=known and ref.state is not None), [ref.name])

    if mega is not None:
        slots = _open_slots(issues.get(mega.number) if issues else None)
        if slots:
            ready.append(((2,), FollowUp("attach", mega, slots=tuple(slots),
                                         known=bool(issues and mega.number in issues))))

    parent_name = parent.name if parent else None
    for name in config.gates:
        ref = refs.by_name(name)
        after = config.gates[name]
        if name == parent_name or name in covered or ref.closed or (parent and ref.number == parent.number):
            continue
        if after and all(a in config.gates for a in after):
            continue  # it waits only for gated work: said with that work ("… can close after it")
        then = tuple(refs.by_name(k) for k, after in config.gates.items() if name in after)
        probes = tuple(str(p.get("name")) for p in config.verify)
        add((9, 0), FollowUp("gate", ref, then=then, probes=probes, known=known and ref.state is not None), [name])
    return tuple(f for _, f in sorted(ready, key=lambda x: x[0])) + tuple(f for _, f in sorted(gated, key=lambda x: x[0]))


def _depth(gates: Mapping[str, Sequence[str]], names: Sequence[str], seen: frozenset[str] = frozenset()) -> int:
    """How many gates deep a name sits (a gate after a gate comes later); cycles stop counting."""
    return max((1 + _depth(gates, gates.get(n, ()), seen | {n}) for n in names if n in gates and n not in seen), default=0)


def _open_slots(mega: IssueState | None) -> list[tuple[str, str]]:
    from bot.tracker import SLOTS

    if mega is None:
        return list(SLOTS)
    out = []
    for key, label in SLOTS:
        m = re.search(rf"<!-- drift-bot:slot {re.escape(key)} -->(.*?)<!-- drift-bot:slot-end -->", mega.body or "", re.S)
        if m is None or not m[1].strip() or m[1].strip().startswith("_not attached yet"):
            out.append((key, label))
    return out


# --- the services, for the architecture page -------------------------------------------

def _services(live: Mapping[str, str], findings: Sequence[Finding]) -> tuple[dict[str, Any], ...]:
    from bot.compare.compose import parsed
    from bot.compare.yamlload import YamlError

    claims = {}
    vram = _vram(findings)
    if vram:
        claims = {r["service"]: r for r in vram["rows"]}
    ephemeral = {f.evidence.get("service"): f.evidence for f in findings if f.check == "model_cache" and f.evidence}
    out = []
    for path in sorted(live):
        if file_kind(path) != "compose":
            continue
        try:
            _, doc = parsed(live[path], path)
        except YamlError:
            continue
        named = set((doc.get("volumes") or {}).keys())
        for name, svc in (doc.get("services") or {}).items():
            if not isinstance(svc, dict):
                continue
            build = svc.get("build")
            ports = [f"{p.get('host_ip') + ':' if p.get('host_ip') else ''}{p.get('published')}→{p.get('target')}"
                     if p.get("published") else str(p.get("target")) for p in svc.get("ports") or [] if isinstance(p, dict)]
            env = svc.get("environment") if isinstance(svc.get("environment"), dict) else {}
            cache = next((str(env[v]) for v in ("HF_HUB_CACHE", "HF_HOME") if env.get(v)), None)
            kept = [v for v in svc.get("volumes") or [] if isinstance(v, dict) and v.get("type") == "volume"
                    and v.get("source") in named and cache and str(cache).startswith(str(v.get("target", "")).rstrip("/") + "/")]
            out.append({
                "name": name, "file": path,
                "image": svc.get("image"),
                "build": (build.get("context") if isinstance(build, dict) else build) if build else None,
                "ports": ports, "gpu": name in claims or _reserves_gpu(svc), "claim": claims.get(name),
                "health": bool(svc.get("healthcheck")) and not (svc.get("healthcheck") or {}).get("disable"),
                "depends_on": sorted((svc.get("depends_on") or {}).keys()) if isinstance(svc.get("depends_on"), dict) else [],
                "cache": ephemeral[name].get("cache_path") if name in ephemeral else cache,
                "cache_var": ephemeral[name].get("cache_var") if name in ephemeral else None,
                "cache_volume": kept[0]["source"] if kept and name not in ephemeral else None,
                "ephemeral": name in ephemeral, "offline": str(env.get("HF_HUB_OFFLINE", "")).lower() in ("1", "true"),
            })
    return tuple(out)


def _reserves_gpu(svc: Mapping[str, Any]) -> bool:
    devices = ((((svc.get("deploy") or {}).get("resources") or {}).get("reservations") or {}).get("devices")) or []
    return any(isinstance(d, Mapping) and ("gpu" in (d.get("capabilities") or []) or d.get("driver") == "nvidia") for d in devices) \
        or bool(svc.get("gpus")) or svc.get("runtime") == "nvidia"


def page_name(path: str) -> str:
    return posixpath.splitext(posixpath.basename(path))[0]
