"""Any other text (the Caddyfile) by hunks of lines.

Whitespace inside a line and blank lines are cosmetic here: Caddyfiles and most config
formats read them alike, and a re-indented file must not look like drift.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterator


def _significant(text: str) -> list[tuple[int, str, str]]:
    """(line number, key to compare, line as written) for every non-blank line."""
    return [(n, " ".join(line.split()), line.rstrip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def text_hunks(before: str, after: str) -> Iterator[tuple[str, int, int, list[str], list[str]]]:
    """Yield (kind, base line, live line, lines in main, lines live) per differing hunk."""
    a, b = _significant(before), _significant(after)
    matcher = difflib.SequenceMatcher(a=[k for _, k, _ in a], b=[k for _, k, _ in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old = [line for _, _, line in a[i1:i2]]
        new = [line for _, _, line in b[j1:j2]]
        base_line = a[i1][0] if i1 < len(a) else (a[-1][0] + 1 if a else 1)
        live_line = b[j1][0] if j1 < len(b) else (b[-1][0] + 1 if b else 1)
        kind = {"replace": "changed", "delete": "removed", "insert": "added"}[tag]
        if kind == "added":
            base_line = a[i1 - 1][0] if i1 > 0 else 0  # the hunk goes after this line of main
        yield kind, base_line, live_line, old, new
