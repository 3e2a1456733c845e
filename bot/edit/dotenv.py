"""`.env` divergences applied to main's env file by key, line by line."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.compare.dotenv import DotenvError, parse_dotenv
from bot.edit.compose import pointer_keys
from bot.edit.lines import LineEdit, apply_line_edits, without_secrets
from bot.model import Divergence


@dataclass(frozen=True)
class _Entry:
    key: str
    first: int  # 1-based
    last: int  # a quoted value may go on over several lines


def _entries(text: str) -> list[_Entry]:
    """Every line that sets a key, in file order (parse_dotenv keeps only the last of a key)."""
    lines = text.replace("\r\n", "\n").split("\n")
    out, n = [], 0
    while n < len(lines):
        for end in range(n, len(lines)):
            try:
                parsed = parse_dotenv("\n".join(lines[n : end + 1]))
                break
            except DotenvError:
                continue  # a quoted value not closed yet: it goes on below
        else:
            parsed, end = {}, n
        out += [_Entry(key, n + 1, end + 1) for key in parsed]
        n = end + 1
    return out


def apply_dotenv(base_text: str, live_text: str, divergences: Iterable[Divergence]) -> str:
    base, live = _entries(base_text), _entries(live_text)
    base_last = {e.key: e for e in base}  # the one that takes effect
    live_last = {e.key: e for e in live}
    live_lines = live_text.split("\n")
    order = list(live_last)
    edits = []
    appended: list[str] = []
    for d in divergences:
        key = pointer_keys(d.pointer)[0]
        if d.kind == "removed":
            # Every line that sets the key goes: an earlier one would otherwise take effect.
            edits += [LineEdit(e.first, e.last - e.first + 1, ()) for e in base if e.key == key]
            continue
        entry = live_last[key]
        lines = live_lines[entry.first - 1 : entry.last]
        if d.secret:
            lines = [without_secrets(lines[0], "dotenv")] if len(lines) == 1 and "<redacted" in lines[0] else [f"{key}="]
        if key in base_last:
            old = base_last[key]
            edits.append(LineEdit(old.first, old.last - old.first + 1, tuple(lines)))
            continue
        # A new key goes after the key that precedes it live, when main has that one.
        anchor = next((base_last[k].last for k in reversed(order[: order.index(key)]) if k in base_last), None)
        if anchor is None:
            appended += lines
        else:
            edits.append(LineEdit(anchor, 0, tuple(lines)))
    text = apply_line_edits(base_text, edits)
    if appended:
        text = text + ("" if text.endswith("\n") or not text else "\n") + "\n".join(appended) + "\n"
    return text
