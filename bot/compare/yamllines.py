"""Where a key path stands in block-style YAML text: the line a divergence or a finding shows.

For evidence, not for meaning: the text is searched, not parsed, so that a 20,000-line
compose file costs a few short scans per key path.
"""
from __future__ import annotations

import bisect
import re
from functools import lru_cache


def _child_indent(text: str, pos: int) -> int | None:
    """Indentation of the first line with content after `pos` (where a block's children sit)."""
    while True:
        nl = text.find("\n", pos)
        if nl < 0:
            return None
        line_end = text.find("\n", nl + 1)
        line = text[nl + 1 : line_end if line_end >= 0 else len(text)]
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith("#"):
            return len(line) - len(stripped)
        pos = nl + 1


def _find_key(text: str, token: str, indent: int, pos: int, end: int) -> int | None:
    """Offset of the line where `token` is a key at exactly `indent` spaces, between `pos` and `end`."""
    best = None
    pad = "\n" + " " * indent
    for prefix, spelling in (("", token), ("- ", f"- {token}"), ('"', f'"{token}"'), ("'", f"'{token}'"),
                             ('- "', f'- "{token}"')):
        if prefix and not _occurs(text, pad + prefix):
            continue  # a spelling the file never uses at this depth: no scan of the block for it
        needle = pad + spelling
        # Other spellings only matter before the best match so far: bound the scan there.
        limit = end if best is None else best
        at = text.find(needle, pos, limit)
        while at >= 0:
            rest = text[at + len(needle) : at + len(needle) + 3].lstrip(" \t")
            if rest[:1] in (":", "=") or rest == "":
                break
            at = text.find(needle, at + 1, limit)
        if at >= 0:
            best = at
    return None if best is None else best + 1


@lru_cache(maxsize=64)
def _occurs(text: str, needle: str) -> bool:
    return needle in text


@lru_cache(maxsize=4)
def _prepared(text: str) -> tuple[str, list[int]]:
    """The text behind a newline (so every key line follows one) and where its top-level lines are."""
    text = "\n" + text
    return text, [m.start() for m in re.finditer(r"\n(?=[^ \t\n#])", text)]


@lru_cache(maxsize=32)
def _shallower(indent: int) -> re.Pattern[str]:
    return re.compile(r"\n {0,%d}[^ \n#]" % indent)


def _block_end(text: str, top_level: list[int], pos: int, indent: int) -> int:
    """Where the block of the key line at `pos` (indented `indent`) ends: the next line no deeper."""
    if indent < 0:
        return len(text)
    if indent == 0:
        i = bisect.bisect_right(top_level, pos)
        return top_level[i] if i < len(top_level) else len(text)
    m = _shallower(indent).search(text, pos + 1)
    return m.start() if m else len(text)


def locate_line(text: str, path: tuple[str, ...]) -> int | None:
    """Best-effort line of a key path in block-style YAML (for evidence, not for meaning).

    Each key is looked for at the indentation of its parent's children, with `str.find`, within
    its parent's block, so a 20,000-line file costs a few short scans per divergence. Flow style
    and anchors are not followed; the nearest enclosing key that was found is returned instead.
    """
    text, top_level = _prepared(text)
    pos, found, parent_indent = 0, None, -1
    for token in path:
        indent = 0 if found is None else _child_indent(text, pos)
        if indent is None or indent <= parent_indent:
            return found
        at = _find_key(text, token, indent, pos, _block_end(text, top_level, pos, parent_indent))
        if at is None:
            return found
        # The newlines before the key's line are its number; each key stands below its parent.
        found = (found or 0) + text.count("\n", pos, at)
        parent_indent, pos = indent, at
    return found
