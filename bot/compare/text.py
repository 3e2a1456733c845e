"""Any other text (the Caddyfile) by hunks of lines.

Whitespace inside a line, blank lines and `#` comment lines are cosmetic here: Caddyfiles
and most config formats read them alike, and a re-indented or re-commented file must not
look like drift.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterator


def _significant(text: str) -> list[tuple[int, str, str]]:
    """(line number, key to compare, line as written) for every line that carries meaning."""
    return [(n, " ".join(line.split()), line.rstrip()) for n, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")]


def _names(lines: list[tuple[int, str, str]]) -> list[str]:
    """A pointer token per significant line: its content (whitespace folded, at most 80
    characters), with `[k]` from its second occurrence on, so that a name survives lines added
    elsewhere."""
    seen: dict[str, int] = {}
    out = []
    for _, key, _ in lines:
        token = key[:80].replace("~", "~0").replace("/", "~1")
        n = seen.get(token, 0)
        seen[token] = n + 1
        out.append(token if n == 0 else f"{token}[{n}]")
    return out


def text_hunks(before: str, after: str) -> Iterator[tuple[str, str, int, int, list[int], list[int]]]:
    """Yield (kind, pointer, anchor line in main, first line live, line numbers in main, line numbers live).

    A hunk is named by its content, never by its line: a changed or removed hunk by its first
    line in main (`/reverse_proxy vllm:8000`), an added one by its first line live, after `+`
    (`/+:8081 {`). For an insertion the anchor is the line of main the hunk goes after (0: the top).
    """
    a, b = _significant(before), _significant(after)
    names_a, names_b = _names(a), _names(b)
    matcher = difflib.SequenceMatcher(a=[k for _, k, _ in a], b=[k for _, k, _ in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old = [n for n, _, _ in a[i1:i2]]
        new = [n for n, _, _ in b[j1:j2]]
        kind = {"replace": "changed", "delete": "removed", "insert": "added"}[tag]
        if kind == "added":
            anchor = a[i1 - 1][0] if i1 > 0 else 0
            pointer = "/+" + names_b[j1]
        else:
            anchor = old[0]
            pointer = "/" + names_a[i1]
        live_line = new[0] if new else (b[j1 - 1][0] if j1 > 0 else 0)
        yield kind, pointer, anchor, live_line, old, new
