"""The run's divergences as a handover says them (`web healthcheck.interval`, `10 → 30`), and
the pull requests they go into, with what GitHub holds of each."""
from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.compare import file_kind
from bot.config import Config
from bot.handover.issues import _Refs, Ref
from bot.mdx import short
from bot.model import DiffReport, Divergence, PullRequestState
from bot.plan import proposed_prs
from bot.render import show  # keeps the part where the two sides differ in view


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
