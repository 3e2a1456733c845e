"""`.env` divergences applied to main's env file by key, line by line."""
from __future__ import annotations

from collections.abc import Iterable

from bot.compare.dotenv import parse_dotenv
from bot.edit.compose import pointer_keys
from bot.edit.lines import LineEdit, apply_line_edits, without_secrets
from bot.model import Divergence


def apply_dotenv(base_text: str, live_text: str, divergences: Iterable[Divergence]) -> str:
    base, live = parse_dotenv(base_text), parse_dotenv(live_text)
    live_lines = live_text.split("\n")
    edits = []
    appended: list[str] = []
    for d in divergences:
        key = pointer_keys(d.pointer)[0]
        if d.kind == "removed":
            edits.append(LineEdit(base[key].line, 1, ()))
            continue
        line = live_lines[live[key].line - 1]
        if d.secret:
            line = without_secrets(line, "dotenv") if "<redacted" in line else f"{key}="
        if key in base:
            edits.append(LineEdit(base[key].line, 1, (line,)))
            continue
        # A new key goes after the key that precedes it live, when main has that one.
        order = list(live)
        anchor = next((base[k].line for k in reversed(order[: order.index(key)]) if k in base), None)
        if anchor is None:
            appended.append(line)
        else:
            edits.append(LineEdit(anchor, 0, (line,)))
    text = apply_line_edits(base_text, edits)
    if appended:
        text = text + ("" if text.endswith("\n") or not text else "\n") + "\n".join(appended) + "\n"
    return text
