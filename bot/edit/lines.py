"""Line-based edits (`.env`, Dockerfile, Caddyfile): replace, insert and delete line ranges of
main's text, applied bottom-up so that earlier line numbers stay valid."""
from __future__ import annotations

from dataclasses import dataclass

from bot.secrets import canonical, redact
from bot.secrets.references import referenced


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
    # Bottom-up, so that line numbers above stay valid. An insertion after line n goes in before
    # an edit of line n (so it lands after what replaces that line), and insertions after the
    # same line go in last-given first (so they read in the order given).
    order = sorted(enumerate(edits), key=lambda ie: (ie[1].start + 0.5 if ie[1].count == 0 else ie[1].start, ie[0]),
                   reverse=True)
    for _, edit in order:
        if edit.count:
            lines[edit.start - 1 : edit.start - 1 + edit.count] = list(edit.lines)
        else:
            lines[edit.start : edit.start] = list(edit.lines)
    return "\n".join(lines) + ("\n" if trailing or not lines else "")


_SPELL = {"dotenv": lambda n: "", "compose": lambda n: "${" + n + "}", "dockerfile": lambda n: "${" + n + "}",
          "text": lambda n: "{env." + n + "}"}


def without_secrets(line: str, style: str) -> str:
    """A redacted value becomes a reference the host fills in; the value never reaches git."""
    return referenced(line, spell=_SPELL[style])[0]


def as_compared(text: str, kind: str, *, main: bool) -> str:
    """The text as compare reads it, so that line pointers name the same lines here: main's
    secrets redacted (the redaction keeps lines), every redaction spelt alike."""
    if main:
        text = redact(text, kind).text
    return canonical(text)
