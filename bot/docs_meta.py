"""The `meta.json` beside docs pages: new pages put in sidebar order, nothing else touched.

Fumadocs builds a folder's sidebar from its `meta.json`: `title`, and `pages`, a list of
page names, `...` (the pages not listed), `z...a` (those, reversed), `...folder` (a
folder's items in place), `---Label---` (a separator), `[Text](url)` (a link) and `!name`
(left out). Once `pages` exists, a page it does not list is hidden unless `...` is there, so
a new page is always written into the list. Humans own everything else in the file: its
other keys and the entries already listed, in their order. A file that is not valid JSON is
an error naming it; it is never overwritten.
"""
from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from bot.config import DocsConfig
from bot.errors import DriftError

ORDERS = ("newest-first", "append")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_LINK = re.compile(r"^(?:external:)?(?:\[[^\]\n]*\])?\[[^\]\n]+\]\([^)\s]+\)$")
_SEPARATOR = re.compile(r"^---(?:\[[^\]\n]*\])?[^\n]*---$")
_REST = ("...", "z...a")
_BOOL_KEYS = ("root", "defaultOpen", "collapsible")
_STR_KEYS = ("title", "description", "icon")


class MetaError(DriftError):
    """A `meta.json` that cannot be read or does not have the shape Fumadocs reads."""


def _name(entry: str) -> str:
    return entry[2:] if entry.startswith("./") else entry


def _date(entry: str) -> str | None:
    m = _DATE.search(entry)
    return m.group(1) if m else None


def update_meta(text: str | None, new_pages: Sequence[str], *, order: str = "newest-first",
                head: Sequence[str] = (), path: str = "meta.json", title: str | None = None) -> str:
    """The `meta.json` text with `new_pages` (names without `.mdx`) listed.

    `order`: "newest-first" puts a new page after the `head` entries, above older dated pages
    (a name carrying a YYYY-MM-DD date sorts by it); "append" puts it last. A page named in
    `head` goes to its place among the head entries. A page already listed, or excluded with
    `!name`, stays as it is; so does the text when nothing is added (running twice changes
    nothing). Without a file, one is made with `title` and a `...` so no page goes missing.
    """
    if order not in ORDERS:
        raise MetaError(f"docs.sidebar must be one of {', '.join(ORDERS)}, not {order!r}")
    if text is None:
        data: dict[str, Any] = {"title": title or "Docs", "pages": ["..."]}
    else:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise MetaError(f"{path} is not valid JSON ({exc}); fix or remove it, it was not changed") from None
        if not isinstance(data, dict):
            raise MetaError(f"{path} must hold a JSON object with `title` and `pages`; it was not changed")
    problems = meta_problems(data)
    if problems:
        raise MetaError(f"{path}: {problems[0]}; it was not changed")
    pages: list[str] = list(data.get("pages") if "pages" in data else ["..."])
    listed = {_name(e) for e in pages} | {_name(e[1:]) for e in pages if e.startswith("!")}
    added = False
    for page in new_pages:
        if page in listed:
            continue
        pages.insert(_position(pages, page, order, list(head)), page)
        listed.add(page)
        added = True
    if not added and text is not None:
        return text
    data["pages"] = pages
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _position(pages: list[str], page: str, order: str, head: list[str]) -> int:
    names = [_name(e) for e in pages]
    if page in head:
        # After the head entries that come before it, before those that come after it.
        later = set(head[head.index(page) + 1:])
        return next((i for i, n in enumerate(names) if n in later), _after_head(names, head))
    if order == "append":
        return len(pages)
    start = _after_head(names, head)
    mine = _date(page)
    if mine is None:
        return start
    dated = [(i, d) for i, n in enumerate(names) if i >= start and (d := _date(n))]
    older = next((i for i, d in dated if d < mine), None)
    if older is not None:
        return older
    return dated[-1][0] + 1 if dated else start


def _after_head(names: list[str], head: list[str]) -> int:
    """The index just past the last head entry (the head block may be partly absent)."""
    positions = [i for i, n in enumerate(names) if n in head]
    return positions[-1] + 1 if positions else 0


def meta_problems(data: Any) -> list[str]:
    """What in a parsed `meta.json` Fumadocs would not read as meant (empty: nothing)."""
    if not isinstance(data, dict):
        return ["the top level must be an object"]
    out = []
    for key in _STR_KEYS:
        if key in data and not isinstance(data[key], str):
            out.append(f"`{key}` must be a string")
    for key in _BOOL_KEYS:
        if key in data and not isinstance(data[key], bool):
            out.append(f"`{key}` must be true or false")
    if "pages" in data:
        pages = data["pages"]
        if not isinstance(pages, list):
            return out + ["`pages` must be a list of strings"]
        for i, entry in enumerate(pages):
            problem = entry_problem(entry)
            if problem:
                out.append(f"`pages[{i}]` {problem}")
    return out


def entry_problem(entry: Any) -> str | None:
    """Why one `pages` entry is not a name, `...`, `z...a`, `...folder`, `---Label---`,
    `[Text](url)` or `!name`; None when it is one."""
    if not isinstance(entry, str):
        return "must be a string"
    if not entry.strip() or entry != entry.strip() or "\n" in entry:
        return f"{entry!r} is empty or has surrounding whitespace"
    if entry in _REST or _SEPARATOR.match(entry) or _LINK.match(entry):
        return None
    if entry.startswith("[") or entry.startswith("external:"):
        return f"{entry!r} looks like a link but is not `[Text](url)`"
    if entry.startswith("---"):
        return f"{entry!r} looks like a separator but is not `---Label---`"
    name = entry[3:] if entry.startswith("...") else entry[1:] if entry.startswith("!") else entry
    if not name or name.startswith(("!", ".../")) or name.endswith("/"):
        return f"{entry!r} is not a page or folder name"
    return None


def meta_updates(pages: Iterable[str], docs: DocsConfig, read: Callable[[str], str | None]) -> dict[str, str]:
    """The `meta.json` files to write for newly written pages (paths as in `pages`).

    `docs` is the `docs:` settings: `dir` takes `sidebar` and `head`; the changelog folder is
    newest first with no head. `read(path)` returns a file's text or None when absent. Only
    files whose text changes are returned.
    """
    by_folder: dict[str, list[str]] = {}
    for page in pages:
        folder, name = posixpath.split(page)
        stem, ext = posixpath.splitext(name)
        if ext in (".mdx", ".md"):
            by_folder.setdefault(folder, []).append(stem)
    changelog = (docs.changelog or "").rstrip("/")
    out = {}
    for folder, names in sorted(by_folder.items()):
        path = posixpath.join(folder, "meta.json")
        is_log = bool(changelog) and folder == changelog
        order = "newest-first" if is_log else docs.sidebar
        head = () if is_log else docs.head
        before = read(path)
        title = posixpath.basename(folder).replace("-", " ").capitalize() or "Docs"
        after = update_meta(before, names, order=order, head=head, path=path, title=title)
        if after != before:
            out[path] = after
    return out
