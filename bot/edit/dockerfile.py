"""Dockerfile divergences applied instruction by instruction, with the live text of each.

Instructions are paired as compare pairs them, so that a divergence's pointer names the same
instruction here. An added instruction brings the comment right above it and sits where it
sits live: after the instruction that precedes it live, on the same side of main's blank
line. A changed one keeps main's comment; a removed one takes its comment along when the
host no longer has that comment.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from bot.compare.dockerfile import Instruction, instruction_names, paired_runs, parse_dockerfile
from bot.edit.lines import LineEdit, apply_line_edits, as_compared, without_secrets
from bot.model import Divergence

# Parser directives look like comments but belong to the file, not to the instruction below.
_DIRECTIVE = re.compile(r"#\s*(syntax|escape|check)\s*=", re.IGNORECASE)


def _is_comment(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith("#") and not _DIRECTIVE.match(stripped)


def _is_blank(lines: list[str], n: int) -> bool:
    """Line n (1-based) exists and is blank."""
    return 1 <= n <= len(lines) and not lines[n - 1].strip()


def _comments_above(lines: list[str], line: int) -> list[int]:
    """Line numbers of the comment lines right above line `line`."""
    out, n = [], line - 1
    while n >= 1 and _is_comment(lines[n - 1]):
        out.insert(0, n)
        n -= 1
    return out


def _body(lines: list[str], ins: Instruction) -> list[int]:
    """Line numbers of an instruction: its first line, its continuation lines and the body of a
    heredoc (which compare gives as the lines of the instruction's text after the first)."""
    out, n = [ins.line], ins.line
    while lines[n - 1].rstrip().endswith("\\") and n < len(lines):
        n += 1
        out.append(n)
    return out + list(range(n + 1, min(n + ins.text.count("\n"), len(lines)) + 1))


def _keys(text: str, parsed: list[Instruction], main: bool) -> list[str]:
    """What compare pairs instructions by: the keys of the text as it reads it."""
    compared = parse_dockerfile(as_compared(text, "dockerfile", main=main))
    return [i.key for i in (compared if len(compared) == len(parsed) else parsed)]


class _Editor:
    def __init__(self, base_text: str, live_text: str):
        self.base_lines, self.live_lines = base_text.splitlines(), live_text.splitlines()
        self.live_raw = live_text.split("\n")  # what is written: the live lines with their own ends
        self.a, self.b = parse_dockerfile(base_text), parse_dockerfile(live_text)
        self.edits: list[LineEdit] = []

    def _last(self, ins: Instruction) -> int:
        return _body(self.base_lines, ins)[-1]

    def _following(self, ins: Instruction | None) -> Instruction | None:
        """Main's instruction after `ins` (after none: the first)."""
        at = 0 if ins is None else self.a.index(ins) + 1
        return self.a[at] if at < len(self.a) else None

    def _live_lines(self, ins: Instruction, comments: bool = True) -> list[str]:
        numbers = (_comments_above(self.live_lines, ins.line) if comments else []) + _body(self.live_lines, ins)
        return [without_secrets(self.live_raw[n - 1], "dockerfile") for n in numbers]

    def _first_live_line(self, ins: Instruction) -> int:
        return (_comments_above(self.live_lines, ins.line) or [ins.line])[0]

    def change(self, old: Instruction, new: Instruction) -> None:
        body = _body(self.base_lines, old)
        self.edits.append(LineEdit(old.line, len(body), tuple(self._live_lines(new, comments=False))))

    def remove(self, old: Instruction) -> None:
        body = _body(self.base_lines, old)
        live = {line.strip() for line in self.live_lines}
        first = old.line
        for n in reversed(_comments_above(self.base_lines, old.line)):
            if self.base_lines[n - 1].strip() in live:
                break  # the host still has this comment (above something else): it stays
            first = n
        self.edits.append(LineEdit(first, body[-1] - first + 1, ()))

    def add(self, group: list[Instruction], previous: Instruction | None) -> None:
        """Instructions that follow each other live, added after main's `previous`."""
        if not group:
            return
        after = self._last(previous) if previous is not None else 0
        following = self._following(previous)
        live_next_index = self.b.index(group[-1]) + 1
        live_next = self.b[live_next_index] if live_next_index < len(self.b) else None
        main_comments = [self.base_lines[n - 1] for n in _comments_above(self.base_lines, following.line)] if following else []
        first_comments = [self.live_lines[n - 1] for n in _comments_above(self.live_lines, group[0].line)]
        next_comments = [self.live_lines[n - 1] for n in _comments_above(self.live_lines, live_next.line)] if live_next else []
        lines: list[str] = []
        for k, ins in enumerate(group):
            lead = _is_blank(self.live_lines, self._first_live_line(ins) - 1)
            lines += ([""] if lead and k > 0 else []) + self._live_lines(ins)
        lead = _is_blank(self.live_lines, self._first_live_line(group[0]) - 1)
        trail = _is_blank(self.live_lines, _body(self.live_lines, group[-1])[-1] + 1)
        gap = 0
        while _is_blank(self.base_lines, after + gap + 1):
            gap += 1
        if following is not None and main_comments and first_comments == main_comments and next_comments != main_comments:
            # Live, the instruction went in between main's comment and the instruction it
            # describes (a header above FROM): it goes there, and the comment is not repeated.
            lines = lines[len(first_comments):]
            self.edits.append(LineEdit(following.line - 1, 0, tuple(lines)))
        elif gap and lead and not trail:
            self.edits.append(LineEdit(after + gap, 0, tuple(lines)))  # below main's blank line, as live
        else:
            before = [""] if lead and after else []
            behind = [""] if trail and not gap and following is not None else []  # blank lines as live
            self.edits.append(LineEdit(after, 0, tuple(before + lines + behind)))


def apply_dockerfile(base_text: str, live_text: str, divergences: Iterable[Divergence]) -> str:
    wanted = {d.pointer for d in divergences}
    editor = _Editor(base_text, live_text)
    a, b = editor.a, editor.b
    names_a, names_b = instruction_names(a), instruction_names(b)
    runs = paired_runs(_keys(base_text, a, main=True), _keys(live_text, b, main=False),
                       [x.keyword for x in a], [x.keyword for x in b])
    for start, pairs in runs:
        previous = a[start - 1] if start > 0 else None
        group: list[Instruction] = []
        for kind, i, j in pairs:
            if kind == "changed":
                editor.add(group, previous)
                group = []
                if names_a[i] in wanted:
                    editor.change(a[i], b[j])
                previous = a[i]  # what is added after it live goes after it
            elif kind == "added" and names_b[j] in wanted:
                group.append(b[j])
        editor.add(group, previous)
        for kind, i, _ in pairs:
            if kind == "removed" and names_a[i] in wanted:
                editor.remove(a[i])
    return apply_line_edits(base_text, editor.edits)
