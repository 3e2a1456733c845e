"""Line-based edits (`.env`, Dockerfile, Caddyfile): replace, insert and delete line ranges of
main's text, applied bottom-up so that earlier line numbers stay valid."""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.capture.redact import TOKEN_RE


@dataclass(frozen=True)
class LineEdit:
    start: int  # first line of main replaced (1-based); for an insertion, the line it goes after
    count: int  # lines of main replaced (0: insertion)
    lines: tuple[str, ...]  # the new lines, without line ends


def apply_line_edits(text: str, edits: list[LineEdit]) -> str:
    lines = text.split("\n")
    trailing = lines[-1] == ""
    if trailing:
        lines.pop()
    for edit in sorted(edits, key=lambda e: (e.start, e.count), reverse=True):
        if edit.count:
            lines[edit.start - 1 : edit.start - 1 + edit.count] = list(edit.lines)
        else:
            lines[edit.start : edit.start] = list(edit.lines)
    return "\n".join(lines) + ("\n" if trailing or not lines else "")


def without_secrets(line: str, style: str) -> str:
    """A redacted value becomes a reference the host fills in; the value never reaches git."""

    def reference(match: re.Match[str]) -> str:
        before = line[: match.start()]
        name = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*[=:]?\s*[\"']?\s*$", before)
        key = (name[-1] if name else "SECRET").upper()
        return {"dotenv": "", "compose": "${" + key + "}", "dockerfile": "${" + key + "}", "text": "{env." + key + "}"}[style]

    return TOKEN_RE.sub(reference, line)
