"""Dockerfile divergences applied instruction by instruction, with the live text of each."""
from __future__ import annotations

import difflib
from collections.abc import Iterable

from bot.compare.dockerfile import Instruction, parse_dockerfile
from bot.edit.lines import LineEdit, apply_line_edits, without_secrets
from bot.model import Divergence


def _span(text_lines: list[str], ins: Instruction, following: Instruction | None) -> list[str]:
    """The live lines of an instruction, with the comment lines right above it."""
    end = (following.line - 1 if following else len(text_lines))
    body = []
    for n in range(ins.line, end + 1):
        line = text_lines[n - 1]
        if n > ins.line and not line.strip():
            break
        body.append(line)
        if not line.rstrip().endswith("\\"):
            break
    comments = []
    n = ins.line - 1
    while n >= 1 and text_lines[n - 1].lstrip().startswith("#") and not text_lines[n - 1].lstrip().startswith("# syntax"):
        comments.insert(0, text_lines[n - 1])
        n -= 1
    return comments + body


def _extent(text_lines: list[str], ins: Instruction) -> int:
    count, n = 1, ins.line
    while text_lines[n - 1].rstrip().endswith("\\") and n < len(text_lines):
        count, n = count + 1, n + 1
    return count


def apply_dockerfile(base_text: str, live_text: str, divergences: Iterable[Divergence]) -> str:
    wanted = {d.pointer for d in divergences}
    a, b = parse_dockerfile(base_text), parse_dockerfile(live_text)
    base_lines, live_lines = base_text.split("\n"), live_text.split("\n")
    follows = {id(ins): b[i + 1] if i + 1 < len(b) else None for i, ins in enumerate(b)}
    edits = []
    matcher = difflib.SequenceMatcher(a=[i.key for i in a], b=[i.key for i in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds, anchor, added = list(a[i1:i2]), (a[i1 - 1].line + _extent(base_lines, a[i1 - 1]) - 1 if i1 > 0 else 0), []
        anchor_line = a[i1 - 1].line if i1 > 0 else 0
        for new in b[j1:j2]:
            old = next((o for o in olds if o.keyword == new.keyword), None)
            live = [without_secrets(l, "dockerfile") for l in _span(live_lines, new, follows[id(new)])]
            if old is not None:
                olds.remove(old)
                if f"/L{old.line}" in wanted:
                    live = [l for l in live if not l.lstrip().startswith("#")]  # main keeps its own comments
                    edits.append(LineEdit(old.line, _extent(base_lines, old), tuple(live)))
            else:
                added.append(new)
                if f"/L{anchor_line}+{len(added)}" in wanted:
                    edits.append(LineEdit(anchor, 0, ("",) + tuple(live) if live and live[0].lstrip().startswith("#") else tuple(live)))
        for old in olds:
            if f"/L{old.line}" in wanted:
                edits.append(LineEdit(old.line, _extent(base_lines, old), ()))
    return apply_line_edits(base_text, edits)
